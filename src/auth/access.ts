import type { Env } from '../env'
import type { UserRow } from '../db/users'
import { projectRefCondition, type ProjectRow } from '../db/projects'
import { ApiError } from '../http/errors'
import { extractCredential, type Credential } from './credentials'
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

export interface AccessOptions {
  /** Route accepts CI job tokens (route_setting :authentication, job_token_allowed: true). */
  jobTokenAllowed?: boolean
  /** `before { authenticate! }`: anonymous callers get 401. */
  requireUser?: boolean
  /**
   * Personal token scopes are checked as the API guard does (default). False for git over HTTP,
   * whose own rules (auth/git-scopes.ts) the caller applies to `Caller.scopes`.
   */
  apiScopes?: boolean
}

const EXECUTING = new Set(['running', 'canceling'])

interface CallerRow extends UserRow {
  t_digest: string
  t_expires_at?: string | null
  t_revoked?: number
  t_scopes?: string
  job_id?: number
  job_status?: string
  job_project_id?: number
  job_erased_at?: number | null
  job_project_path?: string
}

async function callerStatements(env: Env, credential: Credential): Promise<{ caller?: D1PreparedStatement; userIdSql: string; binds: unknown[]; digest?: string }> {
  if (credential.kind === 'none') return { userIdSql: 'NULL', binds: [] }
  const digest = await tokenDigest(credential.token)
  if (credential.kind === 'personal') {
    return {
      digest,
      caller: env.DB.prepare(
        `SELECT u.*, t.token_digest AS t_digest, t.expires_at AS t_expires_at, t.revoked AS t_revoked,
                t.scopes AS t_scopes
         FROM personal_access_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_digest = ?`,
      ).bind(digest),
      userIdSql: '(SELECT user_id FROM personal_access_tokens WHERE token_digest = ?)',
      binds: [digest],
    }
  }
  return {
    digest,
    caller: env.DB.prepare(
      `SELECT u.*, j.token_digest AS t_digest, j.id AS job_id, j.status AS job_status,
              j.project_id AS job_project_id, j.erased_at AS job_erased_at,
              (SELECT full_path FROM projects WHERE id = j.project_id) AS job_project_path
       FROM jobs j LEFT JOIN users u ON u.id = j.user_id WHERE j.token_digest = ?`,
    ).bind(digest),
    userIdSql: '(SELECT user_id FROM jobs WHERE token_digest = ?)',
    binds: [digest],
  }
}

function resolveCaller(request: Request, credential: Credential, digest: string | undefined, row: CallerRow | null, now: number, apiScopes = true): Caller {
  if (credential.kind === 'none') return { user: null }
  if (!row || !digest || !digestsEqual(row.t_digest, digest)) throw ApiError.unauthorized()
  let scopes: string[] | undefined
  if (credential.kind === 'personal') {
    if (row.t_revoked) throw ApiError.unauthorized()
    // GitLab tokens expire at the start of their expires_at day (UTC).
    if (row.t_expires_at && Date.parse(`${row.t_expires_at}T00:00:00Z`) <= now) throw ApiError.unauthorized()
    scopes = parseScopes(row.t_scopes)
    if (apiScopes) requireScope(scopes, request.method, new URL(request.url).pathname)
  } else {
    // A job token works only while its job runs (EXECUTING) and is not erased, and needs a user.
    if (!EXECUTING.has(row.job_status ?? '') || row.job_erased_at || row.id === null) throw ApiError.unauthorized()
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

/** Authenticates without a project (e.g. GET /user). Anonymous → 401 when required. */
export async function authenticate(env: Env, request: Request, params: Record<string, unknown>, options: AccessOptions = {}): Promise<Caller> {
  const credential = extractCredential(request, params, options.jobTokenAllowed ?? false)
  const { caller: statement, digest } = await callerStatements(env, credential)
  const row = statement ? await statement.first<CallerRow>() : null
  const caller = resolveCaller(request, credential, digest, row, Date.now(), options.apiScopes)
  if ((options.requireUser ?? true) && !caller.user) throw ApiError.unauthorized()
  return caller
}

/**
 * Grape's `before { authenticate! }` runs before parameter validation: no credentials, or
 * credentials that do not authenticate, are 401 even when the params are invalid. `parse` runs
 * first anyway (the valid path stays one round trip); only when it rejects the request are the
 * credentials checked before its error is let through.
 */
export async function parseAfterAuthentication<T>(
  env: Env,
  request: Request,
  params: Record<string, unknown>,
  options: { jobTokenAllowed?: boolean },
  parse: () => T,
): Promise<T> {
  if (extractCredential(request, params, options.jobTokenAllowed ?? false).kind === 'none') throw ApiError.unauthorized()
  try {
    return parse()
  } catch (error) {
    if (error instanceof ApiError) await authenticate(env, request, params, { ...options, requireUser: true })
    throw error
  }
}

/**
 * Authenticates and finds the project `ref` (id or full path) in one batch with `extra`
 * statements. A project the caller cannot read is 404 `Project Not Found`, as in GitLab.
 * `extra` receives the SQL condition and value that select the project, to use in subqueries.
 */
export async function loadProject<T extends unknown[] = unknown[]>(
  env: Env,
  request: Request,
  params: Record<string, unknown>,
  ref: string,
  options: AccessOptions = {},
  extra: (project: { sql: string; value: string | number }) => D1PreparedStatement[] = () => [],
): Promise<ProjectContext<T>> {
  const credential = extractCredential(request, params, options.jobTokenAllowed ?? false)
  const who = await callerStatements(env, credential)
  const condition = projectRefCondition(ref)
  const projectStatement = env.DB.prepare(
    `SELECT p.*, COALESCE((SELECT m.access_level FROM project_members m
        WHERE m.project_id = p.id AND m.user_id = ${who.userIdSql}), 0) AS member_access
     FROM projects p WHERE ${condition.sql}`,
  ).bind(...who.binds, condition.value)
  const statements = [...(who.caller ? [who.caller] : []), projectStatement, ...extra(projectSubquery(condition))]
  const results = await env.DB.batch(statements)
  const callerRow = who.caller ? ((results.shift()!.results[0] as CallerRow | undefined) ?? null) : null
  const caller = resolveCaller(request, credential, who.digest, callerRow, Date.now(), options.apiScopes)
  if ((options.requireUser ?? true) && !caller.user) throw ApiError.unauthorized()
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
