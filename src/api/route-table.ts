import { Router, type IRequest, type RouterType } from 'itty-router'
import type { Config } from '../config'
import type { Env } from '../env'
import type { RouteAuth } from '../auth/route-auth'
import { presentsCredential, recordAuthFailure } from '../auth/throttle'
import { ApiError } from '../http/errors'
import { ApiContext, type Handler } from './context'

/** One line of the route table: what a reader of `src/routes.ts` sees, as data. */
export interface RouteEntry {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  auth: RouteAuth
}

/**
 * The route table's builder: `.get(path, accepts(...), handler)`, one line per endpoint. Each
 * route gets its request context built once (itty's `before` stage), runs its handler, and on the
 * way out (its `catch` stage) a 401 for credentials that did not authenticate counts against the
 * client's address (auth/throttle.ts) and may become a 429.
 */
export class RouteTable {
  readonly router: RouterType
  readonly entries: RouteEntry[] = []

  constructor(readonly base: string) {
    this.router = Router({ base })
  }

  get(path: string, auth: RouteAuth, handler: Handler): this {
    return this.add('GET', path, auth, handler)
  }

  post(path: string, auth: RouteAuth, handler: Handler): this {
    return this.add('POST', path, auth, handler)
  }

  put(path: string, auth: RouteAuth, handler: Handler): this {
    return this.add('PUT', path, auth, handler)
  }

  patch(path: string, auth: RouteAuth, handler: Handler): this {
    return this.add('PATCH', path, auth, handler)
  }

  delete(path: string, auth: RouteAuth, handler: Handler): this {
    return this.add('DELETE', path, auth, handler)
  }

  private add(method: RouteEntry['method'], path: string, auth: RouteAuth, handler: Handler): this {
    this.entries.push({ method, path, auth })
    const route = (request: IRequest, env: Env, execution: ExecutionContext, config: Config) =>
      run(new ApiContext(request, env, execution, config, auth), handler)
    this.router[method.toLowerCase() as 'get'](path, route)
    return this
  }
}

async function run(c: ApiContext, handler: Handler): Promise<Response> {
  try {
    return await handler(c)
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && presentsCredential(c.request)) {
      throw (await recordAuthFailure(c.env, c.request, c.now).catch(() => undefined)) ?? error
    }
    throw error
  }
}
