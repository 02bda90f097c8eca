import type { RouterType } from 'itty-router'
import { ApiError } from './errors'
import { errorResponse } from './response'

/**
 * HEAD and OPTIONS, as Grape answers them for every route: HEAD is routed as GET and answered
 * without a body (Rack drops it); OPTIONS answers 204 with `Allow:` listing the path's methods,
 * HEAD with GET and OPTIONS always; a path no route serves is 404.
 */
export function allowedMethods(router: RouterType, pathname: string): string[] {
  const methods = new Set<string>()
  for (const [method, pattern] of router.routes) {
    if (method === 'ALL' || !pattern.test(pathname)) continue
    methods.add(method)
  }
  if (methods.size === 0) return []
  if (methods.has('GET')) methods.add('HEAD')
  methods.add('OPTIONS')
  return [...methods].sort()
}

export function optionsResponse(router: RouterType, pathname: string): Response {
  const methods = allowedMethods(router, pathname)
  if (methods.length === 0) return errorResponse(ApiError.notFound())
  return new Response(null, { status: 204, headers: { Allow: methods.join(', ') } })
}

/** HEAD is answered as the GET would be, headers and status kept, body dropped. */
export function withoutBody(response: Response): Response {
  response.body?.cancel().catch(() => undefined)
  return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers })
}
