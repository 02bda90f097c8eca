import type { IRequest } from 'itty-router'
import type { Env } from '../env'
import { readParams, type RawParams } from '../http/params'

/** The request as handlers see it: itty's request plus our merged, cached params. */
export type ApiRequest = IRequest & { rawParams?: RawParams }

export type Handler = (request: ApiRequest, env: Env, ctx: ExecutionContext) => Promise<Response>

/** Query + body + route params, read once per request (route params URL-decoded). */
export async function paramsOf(request: ApiRequest, env: Env): Promise<RawParams> {
  if (!request.rawParams) {
    const route: Record<string, string> = {}
    for (const [key, value] of Object.entries(request.params ?? {})) route[key] = safeDecode(value)
    const max = env.MAX_BODY_BYTES ? Number(env.MAX_BODY_BYTES) : undefined
    request.rawParams = await readParams(request, route, max)
  }
  return request.rawParams
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** The configured external URL without a trailing slash. */
export function externalUrl(env: Env): string {
  return (env.EXTERNAL_URL || 'http://localhost:8787').replace(/\/+$/, '')
}
