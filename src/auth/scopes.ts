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
 * whose `scope` lists the endpoint's registered scopes, endpoint first, then API::API's. Which
 * endpoint class a route belongs to is declared with the route in `src/routes.ts`.
 */
export interface RegisteredScope {
  name: string
  /** The `if:` condition: any method, GET/HEAD only, or POST only. */
  when: 'any' | 'read' | 'post'
}

const API_SCOPES: RegisteredScope[] = [
  { name: 'api', when: 'any' },
  { name: 'read_api', when: 'read' },
]

/** The scopes endpoint classes register beyond API::API's; routes declare theirs in the route table. */
export const ENDPOINT_SCOPES = {
  /** API::UserRunners */
  userRunners: [{ name: 'create_runner', when: 'post' }],
  /** API::Users */
  users: [{ name: 'read_user', when: 'read' }],
  /** API::Files */
  files: [{ name: 'read_repository', when: 'read' }],
} as const satisfies Record<string, readonly RegisteredScope[]>

/** Throws GitLab's `403 insufficient_scope` unless one of `tokenScopes` opens this request. */
export function requireScope(tokenScopes: readonly string[], method: string, endpointScopes: readonly RegisteredScope[]): void {
  const registered = [...endpointScopes, ...API_SCOPES]
  const holds = { any: true, read: method === 'GET' || method === 'HEAD', post: method === 'POST' }
  const passing = registered.filter((scope) => holds[scope.when]).map((scope) => scope.name)
  if (passing.some((name) => tokenScopes.includes(name))) return
  throw ApiError.insufficientScope(registered.map((scope) => scope.name).join(' '))
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
