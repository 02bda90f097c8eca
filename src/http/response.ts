import { ApiError } from './errors'

/** Headers GitLab's API adds to every response (lib/api/api.rb). */
export const SECURITY_HEADERS: Record<string, string> = {
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Content-Type-Options': 'nosniff',
}

export function json(body: unknown, init: { status?: number; headers?: HeadersInit } = {}): Response {
  const headers = new Headers(init.headers)
  headers.set('Content-Type', 'application/json')
  return new Response(JSON.stringify(body), { status: init.status ?? 200, headers })
}

export function noContent(headers?: HeadersInit): Response {
  return new Response(null, { status: 204, headers })
}

export function errorResponse(error: ApiError): Response {
  return json(error.body, { status: error.status, headers: error.headers })
}

/** Adds the security headers to whatever a handler returned. */
export function withSecurityHeaders(response: Response): Response {
  const out = new Response(response.body, response)
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) out.headers.set(name, value)
  return out
}
