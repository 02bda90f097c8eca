import * as v from 'valibot'
import { authenticate, loadProject, parseAfterAuthentication } from '../auth/access'
import { AccessLevel, authorize, can, VALID_ACCESS_LEVELS } from '../auth/policy'
import { generateToken, RUNNER_REGISTRATION_PREFIX, tokenDigest } from '../auth/tokens'
import {
  getCiDefaultGitDepth, setCiDefaultGitDepth,
  insertProject, memberPageStatements, memberWithUser, projectPathTaken, updateProject, upsertMember,
  type MemberPageRow, type ProjectUpdate,
} from '../db/projects'
import { getUser } from '../db/users'
import { ApiError } from '../http/errors'
import { MAX_COUNT_LIMIT, offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Bool, Int, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { checkUnmodifiedSince } from '../http/conditional'
import { json } from '../http/response'
import { deleteProject } from '../services/delete-project'
import { member, project } from '../present/project'
import type { ApiContext } from './context'

const VISIBILITY = ['private', 'internal', 'public'] as const
/** lib/api/helpers/projects_helpers.rb: `values: %w[disabled enabled]` */
const AUTO_CANCEL = ['disabled', 'enabled'] as const
const PATH = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/

const CreateProjectParams = v.looseObject({
  name: v.optional(Str),
  path: v.optional(Str),
  description: v.optional(Str),
  visibility: v.optional(OneOf(VISIBILITY), 'private'),
  public_jobs: v.optional(Bool, true),
  public_builds: v.optional(Bool),
  ci_config_path: v.optional(Str),
  build_timeout: v.optional(Int),
  default_branch: v.optional(Str),
  auto_cancel_pending_pipelines: v.optional(OneOf(AUTO_CANCEL)),
})

/** POST /projects — created in the caller's personal namespace; the caller becomes owner. */
export async function createProject(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const params = validate(CreateProjectParams, raw)
  if (!params.name && !params.path) throw ApiError.validation(['name, path are missing, at least one parameter must be provided'])
  const name = params.name ?? params.path!
  const path = params.path ?? name.trim().toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '')
  const invalid = { ...nameErrors(name), ...pathErrors(path) }
  if (Object.keys(invalid).length > 0) throw ApiError.fieldErrors(invalid)
  checkBuildTimeout(params.build_timeout)
  const namespacePath = caller.user!.username
  const fullPath = `${namespacePath}/${path}`
  if (await projectPathTaken(c.env.DB, fullPath)) {
    throw ApiError.fieldErrors({ path: ['has already been taken'], name: ['has already been taken'] })
  }
  const now = c.now
  const row = await insertProject(c.env.DB, {
    name, path, namespace_path: namespacePath, full_path: fullPath, description: params.description ?? null,
    visibility: params.visibility, public_jobs: (params.public_builds ?? params.public_jobs) ? 1 : 0,
    builds_enabled: 1, ci_config_path: params.ci_config_path ?? null, build_timeout: params.build_timeout ?? 3600,
    ci_job_token_scope_enabled: 0, default_branch: params.default_branch ?? null,
    auto_cancel_pending_pipelines: params.auto_cancel_pending_pipelines === 'disabled' ? 0 : 1, creator_id: caller.user!.id,
    created_at: now, runnersTokenDigest: await tokenDigest(generateToken(RUNNER_REGISTRATION_PREFIX)),
  }).catch(() => {
    throw ApiError.fieldErrors({ path: ['has already been taken'], name: ['has already been taken'] })
  })
  return json(project(row, c.externalUrl), { status: 201 })
}

/** Gitlab::Regex.project_name_regex */
const NAME = /^[\p{L}\p{N}\u00A9-\u{1F9FF}_][\p{L}\p{N}\p{Pd}+\u00A9-\u{1F9FF}_. ]*$/u

/** Project model validations of `name` and `path`, in render_validation_error!'s shape. */
function nameErrors(name: string): Record<string, string[]> {
  if (name.trim() === '') return { name: ["can't be blank"] }
  if (NAME.test(name)) return {}
  return { name: ["can contain only letters, digits, emoji, '_', '.', '+', dashes, or spaces. It must start with a letter, digit, emoji, or '_'."] }
}

function pathErrors(path: string): Record<string, string[]> {
  if (PATH.test(path) && !/\.(git|atom)$/.test(path)) return {}
  return { path: ["can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'"] }
}

/** Rails' 1.month in seconds; GitLab's MAX_BUILD_TIMEOUT, itself not allowed (`less_than`). */
const ONE_MONTH = 2_629_746

function checkBuildTimeout(timeout: number | undefined): void {
  // Project validation: >= 10 minutes and < 1 month (app/models/project.rb).
  if (timeout !== undefined && (timeout < 600 || timeout >= ONE_MONTH)) {
    throw ApiError.fieldErrors({ build_timeout: ['needs to be between 10 minutes and 1 month'] })
  }
}

const ProjectIdParams = v.looseObject({ id: Str })

/** GET /projects/:id */
export async function showProject(c: ApiContext): Promise<Response> {
  const { id } = await c.valid(ProjectIdParams)
  const { project: loaded } = await loadProject(c, id)
  const row = { ...loaded, ci_default_git_depth: await getCiDefaultGitDepth(c.env.DB, loaded.id) }
  return json(project(row, c.externalUrl))
}

const UpdateProjectParams = v.looseObject({
  id: Str,
  name: v.optional(Str),
  description: v.optional(Str),
  visibility: v.optional(OneOf(VISIBILITY)),
  public_jobs: v.optional(Bool),
  public_builds: v.optional(Bool),
  jobs_enabled: v.optional(Bool),
  builds_access_level: v.optional(OneOf(['disabled', 'private', 'enabled'] as const)),
  ci_config_path: v.optional(Str),
  build_timeout: v.optional(Int),
  default_branch: v.optional(Str),
  ci_job_token_scope_enabled: v.optional(Bool),
  auto_cancel_pending_pipelines: v.optional(OneOf(AUTO_CANCEL)),
  ci_default_git_depth: v.optional(Int),
})

const UPDATE_SETTINGS = Object.keys(UpdateProjectParams.entries).filter((key) => key !== 'id')

/** PUT /projects/:id — visibility, public_jobs and CI settings (maintainer+; name and visibility owner+). */
export async function updateProjectSettings(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  // authenticate_non_get!: 401 comes before parameter errors.
  const params = await parseAfterAuthentication(c, () => {
    const parsed = validate(UpdateProjectParams, raw)
    if (!UPDATE_SETTINGS.some((key) => parsed[key as keyof typeof parsed] !== undefined)) {
      throw ApiError.validation([`${UPDATE_SETTINGS.join(', ')} are missing, at least one parameter must be provided`])
    }
    return parsed
  })
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'admin_project')
  // lib/api/projects.rb: renaming needs rename_project, any visibility param change_visibility_level.
  if (params.name) authorize(ctx.access, 'rename_project')
  if (params.visibility !== undefined) authorize(ctx.access, 'change_visibility_level')
  const invalidName = params.name === undefined ? {} : nameErrors(params.name)
  if (invalidName.name) throw ApiError.fieldErrors(invalidName)
  checkBuildTimeout(params.build_timeout)
  const changes: ProjectUpdate = {}
  if (params.name !== undefined) changes.name = params.name
  if (params.description !== undefined) changes.description = params.description
  if (params.visibility !== undefined) changes.visibility = params.visibility
  const publicJobs = params.public_builds ?? params.public_jobs
  if (publicJobs !== undefined) changes.public_jobs = publicJobs ? 1 : 0
  if (params.jobs_enabled !== undefined) changes.builds_enabled = params.jobs_enabled ? 1 : 0
  if (params.builds_access_level !== undefined) changes.builds_enabled = params.builds_access_level === 'disabled' ? 0 : 1
  if (params.ci_config_path !== undefined) changes.ci_config_path = params.ci_config_path || null
  if (params.build_timeout !== undefined) changes.build_timeout = params.build_timeout
  if (params.default_branch !== undefined) changes.default_branch = params.default_branch
  if (params.ci_job_token_scope_enabled !== undefined) changes.ci_job_token_scope_enabled = params.ci_job_token_scope_enabled ? 1 : 0
  if (params.auto_cancel_pending_pipelines !== undefined) changes.auto_cancel_pending_pipelines = params.auto_cancel_pending_pipelines === 'enabled' ? 1 : 0
  const depth = params.ci_default_git_depth
  if (depth !== undefined && (depth < 0 || depth > 1000)) {
    throw ApiError.fieldErrors({ ci_default_git_depth: [depth < 0 ? 'must be greater than or equal to 0' : 'must be less than or equal to 1000'] })
  }
  if (depth !== undefined) await setCiDefaultGitDepth(c.env.DB, ctx.project.id, depth)
  const row = await updateProject(c.env.DB, ctx.project.id, changes, c.now)
  return json(project({ ...row, ci_default_git_depth: depth ?? (await getCiDefaultGitDepth(c.env.DB, ctx.project.id)) }, c.externalUrl))
}

const AddMemberParams = v.looseObject({
  id: Str,
  access_level: v.pipe(Int, v.check((n: number) => (VALID_ACCESS_LEVELS as readonly number[]).includes(n), 'does not have a valid value')),
  // `types: [Integer, String]` in GitLab: a value that names no user is 404 User, not 400.
  user_id: Str,
})

/** POST /projects/:id/members (maintainer+) */
export async function addMember(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  // The members API authenticates every route first (lib/api/members.rb: before { authenticate! }).
  const params = await parseAfterAuthentication(c, () => validate(AddMemberParams, raw))
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'admin_project_member')
  // Only owners (and admins) may grant the owner role.
  if (params.access_level === AccessLevel.owner) authorize(ctx.access, 'manage_owners')
  const userId = /^\d{1,15}$/.test(params.user_id.trim()) ? Number(params.user_id) : undefined
  const user = userId === undefined ? null : await getUser(c.env.DB, userId)
  if (!user) throw ApiError.notFound('User')
  const row = await upsertMember(c.env.DB, ctx.project.id, user.id, params.access_level, c.now)
  if (!row) throw ApiError.conflict('Member already exists')
  return json(member(row, user, c.externalUrl), { status: 201 })
}

/** GET /projects/:id/members/all — direct members (no groups here), offset-paginated. */
export async function listAllMembers(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const { id, page } = await parseAfterAuthentication(c, () => ({
    id: validate(ProjectIdParams, raw).id,
    page: parseOffsetPage(raw),
  }))
  const ctx = await loadProject<[MemberPageRow, { total: number }]>(c, id, (selected) =>
    memberPageStatements(c.env.DB, selected, { offset: page.offset, limit: page.perPage + 1 }, MAX_COUNT_LIMIT),
  )
  authorize(ctx.access, 'read_project_member')
  const [rows, count] = ctx.results
  const members = rows.results.map(memberWithUser)
  const total = count.results[0]?.total ?? 0
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, {
    hasNext: members.length > page.perPage,
    total: total > MAX_COUNT_LIMIT ? undefined : total,
  })
  const base = c.externalUrl
  return json(members.slice(0, page.perPage).map((m) => member(m.member, m.user, base)), { headers })
}

/**
 * DELETE /projects/:id (owner or admin: remove_project) — 202 `{"message":"202 Accepted"}`.
 * The project's rows go before the answer; its logs, artifacts and repository right after it.
 */
export async function destroyProject(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const { id } = await parseAfterAuthentication(c, () => validate(ProjectIdParams, raw))
  const ctx = await loadProject(c, id)
  authorize(ctx.access, 'remove_project')
  checkUnmodifiedSince(c.request, ctx.project.last_activity_at)
  const cleanup = await deleteProject(c.env, ctx.project.id)
  c.execution.waitUntil(cleanup())
  return json({ message: '202 Accepted' }, { status: 202 })
}
