import { ApiError } from '../http/errors'

/**
 * Personal access token scopes as GitLab's API enforces them (lib/api/api_guard.rb,
 * AccessTokenValidationService): an endpoint registers scopes with `allow_access_with_scope`, a
 * token passes when it holds one registered scope whose condition holds for the request.
 *
 * - every endpoint (lib/api/api.rb): `api`, and `read_api` for GET and HEAD;
 * - the users endpoints (`/user`, `/users/…`, lib/api/users.rb): `read_user` for GET and HEAD;
 * - the repository files endpoints (lib/api/files.rb): `read_repository` for GET and HEAD;
 * - `POST /user/runners` (lib/api/user_runners.rb): `create_runner`.
 *
 * Every other scope (`write_repository`, `read_registry`, `create_runner`, `sudo`, …) opens none
 * of the API: `write_repository` is for git over HTTP only. A refused token gets GitLab's 403,
 * whose `scope` lists the endpoint's registered scopes, endpoint first, then API::API's.
 */
interface RegisteredScope {
  name: string
  /** The `if:` condition: any method, GET/HEAD only, or POST only. */
  when: 'any' | 'read' | 'post'
}

const API_SCOPES: RegisteredScope[] = [
  { name: 'api', when: 'any' },
  { name: 'read_api', when: 'read' },
]

/** Endpoint classes that register more scopes, by the path under /api/v4 they serve (first match). */
const ENDPOINT_SCOPES: Array<{ path: RegExp; scopes: RegisteredScope[] }> = [
  { path: /^\/user\/runners$/, scopes: [{ name: 'create_runner', when: 'post' }] }, // API::UserRunners
  { path: /^\/(user|users)(\/|$)/, scopes: [{ name: 'read_user', when: 'read' }] }, // API::Users
  { path: /^\/projects\/[^/]+\/repository\/files(\/|$)/, scopes: [{ name: 'read_repository', when: 'read' }] }, // API::Files
]

const DESCRIPTION = 'The request requires higher privileges than provided by the access token.'

function registeredScopes(pathname: string): RegisteredScope[] {
  const path = pathname.replace(/^\/api\/v4(?=\/|$)/, '')
  const endpoint = ENDPOINT_SCOPES.find((entry) => entry.path.test(path))?.scopes ?? []
  return [...endpoint, ...API_SCOPES]
}

/** Throws GitLab's `403 insufficient_scope` unless one of `tokenScopes` opens this request. */
export function requireScope(tokenScopes: readonly string[], method: string, pathname: string): void {
  const registered = registeredScopes(pathname)
  const holds = { any: true, read: method === 'GET' || method === 'HEAD', post: method === 'POST' }
  const passing = registered.filter((scope) => holds[scope.when]).map((scope) => scope.name)
  if (passing.some((name) => tokenScopes.includes(name))) return
  throw new ApiError(403, {
    error: 'insufficient_scope',
    error_description: DESCRIPTION,
    scope: registered.map((scope) => scope.name).join(' '),
  })
}

/** The stored scopes column (a JSON array); anything unreadable holds no scope. */
export function parseScopes(column: string | null | undefined): string[] {
  try {
    const parsed = JSON.parse(column ?? '[]') as unknown
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : []
  } catch {
    return []
  }
}
