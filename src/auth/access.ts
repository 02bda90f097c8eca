import type { Env } from '../env'
import type { UserRow } from '../db/users'
import { personalTokenCaller, jobTokenCaller, projectWithMembershipStatement, type CallerLookup, type CallerRow } from '../db/credentials'
import { projectRefCondition, type ProjectRow } from '../db/projects'
import { ApiError } from '../http/errors'
import { isExecuting } from '../ci/statuses'
import type { Credential } from './credentials'
import type { RouteAuth } from './route-auth'
import { canReadProject, type ProjectAccess } from './policy'
import { parseScopes, requireScope } from './scopes'
import { digestsEqual, tokenDigest } from './tokens'

/**
 * Who is calling, and what they may see of one project, resolved in ONE D1 round trip: the
 * token lookup, the project lookup with the caller's membership, and any statements the handler
 * wants answered (its list query) travel together in one `batch`.
 */
export interface Caller {
  user: UserRow | null
  /** Set when authenticated by a CI job token: the job whose token it is. */
  job?: { id: number; projectId: number; projectPath: string; status: string }
  /** Set when authenticated by a personal access token: its scopes. */
  scopes?: string[]
}

export interface ProjectContext<T extends unknown[] = unknown[]> {
  caller: Caller
  project: ProjectRow
  access: ProjectAccess
  /** Results of the handler's extra statements, in order. */
  results: { [K in keyof T]: D1Result<T[K]> }
}

/**
 * What authentication needs of a request, built once per request by the API's context: the
 * route's declared authentication (which credentials, which scopes, anonymous or not), the
 * credential read once, and the request's clock.
 */
export interface AuthRequest {
  readonly env: Env
  readonly request: Request
  readonly now: number
  readonly auth: RouteAuth
  credential(): Promise<Credential>
}

async function callerStatements(env: Env, credential: Credential): Promise<CallerLookup & { digest?: string }> {
  if (credential.kind === 'none') return { userIdSql: 'NULL', binds: [] }
  const digest = await tokenDigest(credential.token)
  const lookup = credential.kind === 'personal' ? personalTokenCaller(env.DB, digest) : jobTokenCaller(env.DB, digest)
  return { ...lookup, digest }
}

function resolveCaller(c: AuthRequest, credential: Credential, digest: string | undefined, row: CallerRow | null): Caller {
  if (credential.kind === 'none') return { user: null }
  if (!row || !digest || !digestsEqual(row.t_digest, digest)) throw ApiError.unauthorized()
  let scopes: string[] | undefined
  if (credential.kind === 'personal') {
    if (row.t_revoked) throw ApiError.unauthorized()
    // GitLab tokens expire at the start of their expires_at day (UTC).
    if (row.t_expires_at && Date.parse(`${row.t_expires_at}T00:00:00Z`) <= c.now) throw ApiError.unauthorized()
    scopes = parseScopes(row.t_scopes)
    // A route with no API scope rule (git over HTTP) applies its own rules to `Caller.scopes`.
    if (c.auth.scopes) requireScope(scopes, c.request.method, c.auth.scopes)
  } else {
    // A job token works only while its job runs (EXECUTING_STATUSES) and is not erased, and needs a user.
    if (!isExecuting(row.job_status) || row.job_erased_at || row.id === null) throw ApiError.unauthorized()
  }
  if (row.state !== 'active') throw ApiError.unauthorized()
  const user: UserRow = {
    id: row.id, username: row.username, name: row.name, email: row.email,
    is_admin: row.is_admin, state: row.state, created_at: row.created_at,
  }
  const caller: Caller = { user }
  if (scopes) caller.scopes = scopes
  if (credential.kind === 'job') caller.job = { id: row.job_id!, projectId: row.job_project_id!, projectPath: row.job_project_path!, status: row.job_status! }
  return caller
}

/** Authenticates without a project (e.g. GET /user). Anonymous → 401 unless the route accepts it. */
export async function authenticate(c: AuthRequest): Promise<Caller> {
  const credential = await c.credential()
  const { caller: statement, digest } = await callerStatements(c.env, credential)
  const row = statement ? await statement.first<CallerRow>() : null
  const caller = resolveCaller(c, credential, digest, row)
  if (!c.auth.anonymous && !caller.user) throw ApiError.unauthorized()
  return caller
}

/**
 * Grape's `before { authenticate! }` runs before parameter validation: no credentials, or
 * credentials that do not authenticate, are 401 even when the params are invalid. `parse` runs
 * first anyway (the valid path stays one round trip); only when it rejects the request are the
 * credentials checked before its error is let through.
 */
export async function parseAfterAuthentication<T>(c: AuthRequest, parse: () => T): Promise<T> {
  if ((await c.credential()).kind === 'none') throw ApiError.unauthorized()
  try {
    return parse()
  } catch (error) {
    if (error instanceof ApiError) await authenticate({ ...c, credential: () => c.credential(), auth: { ...c.auth, anonymous: false } })
    throw error
  }
}

/**
 * Authenticates and finds the project `ref` (id or full path) in one batch with `extra`
 * statements. A project the caller cannot read is 404 `Project Not Found`, as in GitLab.
 * `extra` receives the SQL condition and value that select the project, to use in subqueries.
 */
export async function loadProject<T extends unknown[] = unknown[]>(
  c: AuthRequest,
  ref: string,
  extra: (project: { sql: string; value: string | number }) => D1PreparedStatement[] = () => [],
): Promise<ProjectContext<T>> {
  const env = c.env
  const credential = await c.credential()
  const who = await callerStatements(env, credential)
  const condition = projectRefCondition(ref)
  const projectStatement = projectWithMembershipStatement(env.DB, condition, who)
  const statements = [...(who.caller ? [who.caller] : []), projectStatement, ...extra(projectSubquery(condition))]
  const results = await env.DB.batch(statements)
  const callerRow = who.caller ? ((results.shift()!.results[0] as CallerRow | undefined) ?? null) : null
  const caller = resolveCaller(c, credential, who.digest, callerRow)
  if (!c.auth.anonymous && !caller.user) throw ApiError.unauthorized()
  const projectRow = results.shift()!.results[0] as (ProjectRow & { member_access: number }) | undefined
  if (!projectRow) throw ApiError.notFound('Project')
  const { member_access, ...project } = projectRow
  const access: ProjectAccess = {
    visibility: project.visibility,
    publicJobs: project.public_jobs === 1,
    accessLevel: member_access,
    authenticated: caller.user !== null,
    isAdmin: caller.user?.is_admin === 1,
    buildsEnabled: project.builds_enabled === 1,
  }
  if (!canReadProject(access)) throw ApiError.notFound('Project')
  // The job token allowlist: edgejobs keeps none, so a job token reaches only its own project.
  if (caller.job && caller.job.projectId !== project.id) {
    throw ApiError.forbidden(`Authentication by CI/CD job token not allowed from ${caller.job.projectPath} to project #${project.id}.`)
  }
  return { caller, project, access, results: results as ProjectContext<T>['results'] }
}

/** `project_id = <project>` usable inside a handler's statement. */
function projectSubquery(condition: { sql: string; value: string | number }): { sql: string; value: string | number } {
  if (typeof condition.value === 'number') return { sql: '?', value: condition.value }
  return { sql: '(SELECT id FROM projects WHERE full_path = ?)', value: condition.value }
}
