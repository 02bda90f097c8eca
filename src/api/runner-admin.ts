import * as v from 'valibot'
import { authenticate, loadProject, type Caller } from '../auth/access'
import { AccessLevel, authorize } from '../auth/policy'
import { AVAILABLE_STATUSES } from '../ci/statuses'
import type { JobViewRow } from '../db/job-views'
import { projectsByIds, type ProjectRow } from '../db/projects'
import { deleteRunnerStatements, updateRunnerToken } from '../db/runners'
import { generateToken, tokenDigest } from '../auth/tokens'
import { resetTokenResult } from '../present/runner-registration'
import {
  RUNNER_SCOPES, RUNNER_STATUSES, RUNNER_TYPES, runnerJobsStatements, runnerListStatements, runnerManagersStatement, runnerViewStatement,
  updateRunnerStatement, type ManagerRow, type RunnerListFilter, type RunnerScope, type RunnerUpdate, type RunnerViewRow, type RunnerWithAccessRow,
} from '../db/runner-lists'
import { checkUnmodifiedSince } from '../http/conditional'
import { ApiError } from '../http/errors'
import { MAX_COUNT_LIMIT, offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Bool, Int, OneOf, SortDirection, Str } from '../http/param-types'
import { validate, type RawParams } from '../http/params'
import { json, noContent } from '../http/response'
import { jobBasic } from '../present/job'
import { projectIdentity } from '../present/project'
import { runnerDetails, runnerManager, runnerOfView } from '../present/runner'
import type { ApiContext } from './context'
import { TAG_LIST_MAX_LENGTH, TagList, TOO_MANY_TAGS } from './runners'

/**
 * The runners API for users (lib/api/ci/runners.rb): lists (`GET /runners`, `/runners/all`,
 * `/projects/:id/runners`), one runner (RunnerDetails), its update and deletion, its jobs and
 * its managers. A project runner belongs to its project's maintainers (Ci::RunnerPolicy:
 * admin_runner); instance runners are readable by any user and changed by admins only.
 */
const ListFilterParams = {
  type: v.optional(OneOf(RUNNER_TYPES)),
  status: v.optional(OneOf(RUNNER_STATUSES)),
  paused: v.optional(Bool),
  tag_list: v.optional(TagList),
  version_prefix: v.optional(v.pipe(Str, v.regex(/^[\d+.]+/, 'is invalid'))),
}

/** filter_runners: a declared scope the endpoint does not allow is render_api_error!. */
function scopesOf(params: { scope?: string; type?: RunnerScope; status?: RunnerScope; paused?: boolean }, allowed: readonly string[]): RunnerScope[] {
  const scopes: RunnerScope[] = []
  if (params.scope !== undefined && params.scope !== '') {
    if (!allowed.includes(params.scope)) throw ApiError.withMessage(400, 'Scope contains invalid value')
    scopes.push(params.scope as RunnerScope)
  }
  if (params.type) scopes.push(params.type)
  if (params.status) scopes.push(params.status)
  if (params.paused !== undefined) scopes.push(params.paused ? 'paused' : 'active')
  return scopes
}

async function listPage(c: ApiContext, raw: RawParams, filter: RunnerListFilter): Promise<Response> {
  const page = parseOffsetPage(raw)
  const [rows, count] = await c.env.DB.batch(runnerListStatements(c.env.DB, filter, { limit: page.perPage + 1, offset: page.offset }, MAX_COUNT_LIMIT))
  const runners = rows.results as RunnerViewRow[]
  const total = (count.results[0] as { total: number } | undefined)?.total ?? 0
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: runners.length > page.perPage, total: total > MAX_COUNT_LIMIT ? undefined : total })
  return json(runners.slice(0, page.perPage).map((row) => runnerOfView(row, c.now, c.externalUrl)), { headers })
}

const OwnedListParams = v.looseObject({ scope: v.optional(OneOf(RUNNER_SCOPES)), ...ListFilterParams })

/** GET /runners — the runners the caller administers (User#ci_owned_runners). */
export async function listOwned(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const params = validate(OwnedListParams, raw)
  const scopes = scopesOf(params, RUNNER_STATUSES)
  return listPage(c, raw, { ownedBy: caller.user!.id, scopes, tags: params.tag_list, versionPrefix: params.version_prefix, now: c.now })
}

const AllListParams = v.looseObject({ scope: v.optional(OneOf(RUNNER_SCOPES)), ...ListFilterParams })

/** GET /runners/all — every runner (admins). */
export async function listAll(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  if (caller.user?.is_admin !== 1) throw ApiError.forbidden()
  const params = validate(AllListParams, raw)
  const scopes = scopesOf(params, RUNNER_SCOPES)
  return listPage(c, raw, { scopes, tags: params.tag_list, versionPrefix: params.version_prefix, now: c.now })
}

const ProjectListParams = v.looseObject({ id: Str, scope: v.optional(OneOf(RUNNER_SCOPES)), ...ListFilterParams })

/** GET /projects/:id/runners — the project's runners and the instance's (maintainer+). */
export async function listForProject(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  await authenticate(c)
  const params = validate(ProjectListParams, raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'admin_project')
  const scopes = scopesOf(params, RUNNER_SCOPES)
  return listPage(c, raw, { project: { sql: '?', value: ctx.project.id }, scopes, tags: params.tag_list, versionPrefix: params.version_prefix, now: c.now })
}

// ---- one runner ---------------------------------------------------------------------------------

const RunnerIdParams = v.looseObject({ id: Int })

interface LoadedRunner {
  caller: Caller
  runner: RunnerWithAccessRow
  /** admin_runner: an admin, or a maintainer of the runner's project */
  administers: boolean
}

/** get_runner: `Ci::Runner.find` (404 `404 Not found`), with what the caller may do with it. */
async function loadRunner(c: ApiContext, id: number, caller: Caller): Promise<LoadedRunner> {
  const runner = await runnerViewStatement(c.env.DB, id, caller.user!.id).first<RunnerWithAccessRow>()
  if (!runner) throw ApiError.notFound()
  const isAdmin = caller.user!.is_admin === 1
  const administers = isAdmin || (runner.runner_type === 'project_type' && runner.caller_access >= AccessLevel.maintainer)
  return { caller, runner, administers }
}

/** The runner of a `/runners/:id` request: the caller (401 before any 400), the id, the runner (404). */
async function requestedRunner(c: ApiContext): Promise<LoadedRunner> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const { id } = validate(RunnerIdParams, raw)
  return loadRunner(c, id, caller)
}

/** admin_runner (authenticate_update_runner!, authenticate_delete_runner!, …), or 403. */
function authorizeAdminister(loaded: LoadedRunner): void {
  if (!loaded.administers) throw ApiError.forbidden('No access granted')
}

/** authenticate_show_runner!: instance runners are anyone's to read; others need admin_runner. */
function authorizeShow(loaded: LoadedRunner): void {
  if (loaded.runner.runner_type !== 'instance_type') authorizeAdminister(loaded)
}

async function presentDetails(c: ApiContext, loaded: LoadedRunner) {
  const { runner, caller } = loaded
  const isAdmin = caller.user!.is_admin === 1
  // Admins see the runner's projects; others only those they are a member of (authorized_projects).
  const visible = runner.project_id !== null && (isAdmin || runner.caller_access > 0)
  const projects: ProjectRow[] = visible ? await projectsByIds(c.env.DB, [runner.project_id!]) : []
  return runnerDetails(runner, { now: c.now, externalUrl: c.externalUrl, mayUpdate: loaded.administers, projects })
}

/** GET /runners/:id — RunnerDetails. */
export async function show(c: ApiContext): Promise<Response> {
  const loaded = await requestedRunner(c)
  authorizeShow(loaded)
  return json(await presentDetails(c, loaded))
}

const UPDATABLE = ['description', 'active', 'paused', 'tag_list', 'run_untagged', 'locked', 'access_level', 'maximum_timeout', 'maintenance_note'] as const

const UpdateParams = v.looseObject({
  id: Int,
  description: v.optional(Str),
  active: v.optional(Bool),
  paused: v.optional(Bool),
  tag_list: v.optional(TagList),
  run_untagged: v.optional(Bool),
  locked: v.optional(Bool),
  access_level: v.optional(OneOf(['not_protected', 'ref_protected'] as const)),
  maximum_timeout: v.optional(Int),
  maintenance_note: v.optional(Str),
})

/** Grape's at_least_one_of and mutually_exclusive, checked with the other params. */
function parseUpdate(raw: RawParams) {
  const params = validate(UpdateParams, raw)
  if (!UPDATABLE.some((key) => params[key] !== undefined)) throw ApiError.validation([`${UPDATABLE.join(', ')} are missing, at least one parameter must be provided`])
  if (params.active !== undefined && params.paused !== undefined) throw ApiError.validation(['active, paused are mutually exclusive'])
  return params
}

/** Ci::Runner's validations of the runner as it would be after the update. */
function runnerErrors(runner: RunnerViewRow, changes: RunnerUpdate): Record<string, string[]> {
  const errors: Record<string, string[]> = {}
  const add = (field: string, message: string) => (errors[field] ??= []).push(message)
  const tags = changes.tag_list ?? (JSON.parse(runner.tag_list) as string[])
  const runUntagged = changes.run_untagged ?? runner.run_untagged === 1
  if (tags.length === 0 && !runUntagged) add('tags_list', 'can not be empty when runner is not allowed to pick untagged jobs')
  if (changes.tag_list !== undefined && changes.tag_list.length > TAG_LIST_MAX_LENGTH) add('tags_list', TOO_MANY_TAGS)
  if (changes.maximum_timeout !== undefined && changes.maximum_timeout < 600) add('maximum_timeout', 'needs to be at least 10 minutes')
  if (changes.description !== undefined && changes.description.length > 1024) add('description', 'is too long (maximum is 1024 characters)')
  if (changes.maintenance_note !== undefined && changes.maintenance_note.length > 1024) add('maintenance_note', 'is too long (maximum is 1024 characters)')
  return errors
}

/** PUT /runners/:id — admin, or admin_runner (update_runner); 200 RunnerDetails. */
export async function update(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const params = parseUpdate(raw)
  const loaded = await loadRunner(c, params.id, caller)
  authorizeAdminister(loaded)
  const changes: RunnerUpdate = {
    description: params.description,
    // `active` is the deprecated inverse of `paused`.
    paused: params.paused ?? (params.active === undefined ? undefined : !params.active),
    tag_list: params.tag_list,
    run_untagged: params.run_untagged,
    locked: params.locked,
    access_level: params.access_level,
    maximum_timeout: params.maximum_timeout,
    maintenance_note: params.maintenance_note,
  }
  const errors = runnerErrors(loaded.runner, changes)
  if (Object.keys(errors).length > 0) throw ApiError.fieldErrors(errors)
  await updateRunnerStatement(c.env.DB, loaded.runner.id, changes, c.now).run()
  return json(await presentDetails(c, await loadRunner(c, loaded.runner.id, caller)))
}

/** DELETE /runners/:id — admin, or admin_runner (delete_runner); 204, 412 if changed since. */
export async function destroy(c: ApiContext): Promise<Response> {
  const loaded = await requestedRunner(c)
  authorizeAdminister(loaded)
  checkUnmodifiedSince(c.request, loaded.runner.updated_at ?? loaded.runner.created_at)
  await c.env.DB.batch(deleteRunnerStatements(c.env.DB, loaded.runner.id))
  return noContent()
}

const JobsParams = v.looseObject({
  id: Int,
  status: v.optional(OneOf(AVAILABLE_STATUSES)),
  order_by: v.optional(OneOf(['id'] as const), 'id'),
  sort: v.optional(SortDirection, 'desc'),
  system_id: v.optional(Str),
})

/** GET /runners/:id/jobs — JobBasicWithProject; non-admins see jobs of projects they report on. */
export async function jobs(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const params = validate(JobsParams, raw)
  const page = parseOffsetPage(raw)
  const loaded = await loadRunner(c, params.id, caller)
  // authenticate_list_runners_jobs!: read_builds on the runner is admin_runner.
  authorizeAdminister(loaded)
  const isAdmin = caller.user!.is_admin === 1
  const filter = { statuses: params.status ? [params.status] : undefined, readerId: isAdmin ? undefined : caller.user!.id, systemId: params.system_id, sort: params.sort }
  const [rows, count] = await c.env.DB.batch(runnerJobsStatements(c.env.DB, loaded.runner.id, filter, { limit: page.perPage + 1, offset: page.offset }, MAX_COUNT_LIMIT))
  const jobRows = (rows.results as JobViewRow[]).slice(0, page.perPage)
  const total = (count.results[0] as { total: number } | undefined)?.total ?? 0
  // With system_id GitLab pages without counting.
  const counted = params.system_id === undefined && total <= MAX_COUNT_LIMIT
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.results.length > page.perPage, total: counted ? total : undefined })
  const projects = new Map((await projectsByIds(c.env.DB, jobRows.map((job) => job.project_id))).map((project) => [project.id, project]))
  const body = jobRows.map((job) => ({ ...jobBasic(job, c.externalUrl, c.now), project: projectIdentity(projects.get(job.project_id)!) }))
  return json(body, { headers })
}

/** GET /runners/:id/managers — the runner's machines (read_runner). */
export async function managers(c: ApiContext): Promise<Response> {
  const loaded = await requestedRunner(c)
  authorizeShow(loaded)
  const { results } = await runnerManagersStatement(c.env.DB, loaded.runner.id).all<ManagerRow>()
  return json(results.map((m) => runnerManager(m, c.now, m.executing === 1)))
}

/** POST /runners/:id/reset_authentication_token — update rights; 201 with the new token, shown once. */
export async function resetToken(c: ApiContext): Promise<Response> {
  const loaded = await requestedRunner(c)
  authorizeAdminister(loaded)
  const token = generateToken(loaded.runner.token_prefix)
  await updateRunnerToken(c.env.DB, loaded.runner.id, await tokenDigest(token))
  return json(resetTokenResult(token), { status: 201 })
}
