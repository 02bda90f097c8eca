import type { IRequest } from 'itty-router'
import type { Config } from '../config'
import type { Env } from '../env'
import type { AuthRequest } from '../auth/access'
import { extractCredential, type Credential } from '../auth/credentials'
import type { RouteAuth } from '../auth/route-auth'
import { readParams, validate, type RawParams } from '../http/params'
import { json } from '../http/response'
import type * as v from 'valibot'

/**
 * One request as every handler sees it (hono's `Context`), made once per request by the route
 * table: the request, env and execution context, the route's declared authentication, the params
 * (query + body + route params, read and parsed once, lazily), the credential (read once), `now`,
 * the external URL and the parsed configuration.
 */
export class ApiContext implements AuthRequest {
  readonly now = Date.now()
  #params?: Promise<RawParams>
  #credential?: Credential

  constructor(
    readonly request: IRequest,
    readonly env: Env,
    readonly execution: ExecutionContext,
    readonly config: Config,
    readonly auth: RouteAuth,
  ) {}

  /** GitLab's external_url, without a trailing slash. */
  get externalUrl(): string {
    return this.config.externalUrl
  }

  /** Query + body + route params (route params URL-decoded), read once per request. */
  params(): Promise<RawParams> {
    this.#params ??= readParams(this.request, decodedRouteParams(this.request), this.config.maxBodyBytes)
    return this.#params
  }

  /** The params validated against `schema` (400 `{"error": ...}` on failure). */
  async valid<TSchema extends v.GenericSchema>(schema: TSchema): Promise<v.InferOutput<TSchema>> {
    return validate(schema, await this.params())
  }

  /** The credential the request presents, among those its route accepts; read once. */
  async credential(): Promise<Credential> {
    const params = await this.params()
    this.#credential ??= extractCredential(this.request, params, this.auth.job)
    return this.#credential
  }

  /** The same request's authentication at a later moment (an open stream checking access again). */
  recheck(): AuthRequest {
    return { env: this.env, request: this.request, auth: this.auth, now: Date.now(), credential: () => this.credential() }
  }

  json(body: unknown, init: { status?: number; headers?: HeadersInit } = {}): Response {
    return json(body, init)
  }
}

function decodedRouteParams(request: IRequest): Record<string, string> {
  const route: Record<string, string> = {}
  for (const [key, value] of Object.entries(request.params ?? {})) route[key] = safeDecode(value)
  return route
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

export type Handler = (c: ApiContext) => Promise<Response>
