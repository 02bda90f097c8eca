import type { RegisteredScope } from './scopes'

/**
 * What a route accepts, declared with it in the route table (GitLab's `route_setting
 * :authentication` and `allow_access_with_scope`):
 * - `personal`: a personal access token (`PRIVATE-TOKEN`, `private_token`, `Authorization: Bearer`);
 * - `job`: a CI job token (`JOB-TOKEN`, `job_token`/`token`, a `glcbt-` Bearer) — for the runner's
 *   job calls (`/jobs/:id…`) it is the only credential, and refusals are 403 as the runner expects;
 * - `runner`: a runner's authentication or registration token in the body's `token`;
 * - `anonymous`: no credential at all (public projects); without it a missing credential is 401.
 * `scopes` are the personal-token scopes the route's endpoint class registers beyond API::API's;
 * `null` means the API's scope rules do not apply (git over HTTP: a token authenticates whatever
 * its scopes, and git checks its own abilities, auth/git-scopes.ts).
 */
export type CredentialKind = 'personal' | 'job' | 'runner' | 'anonymous'

export interface RouteAuth {
  readonly personal: boolean
  readonly job: boolean
  readonly runner: boolean
  readonly anonymous: boolean
  readonly scopes: readonly RegisteredScope[] | null
}

export function accepts(...kinds: Array<CredentialKind | { scopes: readonly RegisteredScope[] | null }>): RouteAuth {
  const has = (kind: CredentialKind) => kinds.includes(kind)
  const declared = kinds.find((kind): kind is { scopes: readonly RegisteredScope[] | null } => typeof kind === 'object')
  const scopes = declared ? declared.scopes : []
  return { personal: has('personal'), job: has('job'), runner: has('runner'), anonymous: has('anonymous'), scopes }
}
