import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize, can } from '../auth/policy'
import { guessTier, validEnvironmentName } from '../ci/config/environment'
import {
  deleteEnvironmentStatements, deploymentListStatements, deploymentStatement, environmentListStatements, environmentStatement,
  insertEnvironmentStatement, lastDeploymentStatement, nameTakenStatement, updateEnvironmentStatement, type DeploymentRow, type EnvironmentRow,
} from '../db/environments'
import { jobViewsByIds } from '../db/job-views'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Bool, Int, OneOf, SortDirection, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { deployment, environment } from '../present/environment'
import { environmentSlug } from '../services/creation-values'
import { stopEnvironment } from '../services/stop-environment'
import type { ApiContext } from './context'

/**
 * GitLab's Environments API (lib/api/environments.rb: list, show, create, update, delete, stop)
 * and the read side of its Deployments API. Reading takes read access to the project's jobs, as
 * GitLab's read_environment/read_deployment; writing takes developer (create_environment,
 * update_environment, destroy_environment), here `update_build`, which developers have.
 */

const ListParams = v.looseObject({
  id: Str,
  name: v.optional(Str),
  search: v.optional(Str),
  states: v.optional(OneOf(['available', 'stopping', 'stopped'] as const)),
})

export async function listEnvironments(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(ListParams, raw)
  if (params.name !== undefined && params.search !== undefined) throw ApiError.plain(400, 'name, search are mutually exclusive')
  const page = parseOffsetPage(raw)
  const ctx = await loadProject<[EnvironmentRow, { n: number }]>(c, params.id, (project) =>
    environmentListStatements(c.env.DB, project, params, page.perPage + 1, page.offset),
  )
  authorize(ctx.access, 'read_build')
  const rows = ctx.results[0].results
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(rows.slice(0, page.perPage).map(environment), { headers })
}

const ShowParams = v.looseObject({ id: Str, environment_id: Int })

export async function showEnvironment(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(ShowParams, raw)
  // The environment and its last deployment in the same round trip as the project (the deployment
  // row is only used when the environment is this project's).
  const ctx = await loadProject<[EnvironmentRow, DeploymentRow]>(c, params.id, (project) => [
    environmentStatement(c.env.DB, project, params.environment_id),
    lastDeploymentStatement(c.env.DB, params.environment_id),
  ])
  authorize(ctx.access, 'read_build')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  const last = ctx.results[1].results[0]
  const lastDeployment = last ? (await presentDeployments(c, [last]))[0] : null
  return json({ ...environment(row), last_deployment: lastDeployment })
}

const DeploymentListParams = v.looseObject({
  id: Str,
  environment: v.optional(Str),
  status: v.optional(OneOf(['created', 'running', 'success', 'failed', 'canceled', 'skipped', 'blocked'] as const)),
  order_by: v.optional(OneOf(['id', 'iid', 'created_at', 'updated_at', 'finished_at', 'ref'] as const), 'id'),
  sort: v.optional(SortDirection, 'asc'),
})

export async function listDeployments(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(DeploymentListParams, raw)
  const page = parseOffsetPage(raw)
  const filter = { environment: params.environment, status: params.status ? [params.status] : undefined, orderBy: params.order_by, sort: params.sort }
  const ctx = await loadProject<[DeploymentRow, { n: number }]>(c, params.id, (project) =>
    deploymentListStatements(c.env.DB, project, filter, page.perPage + 1, page.offset),
  )
  authorize(ctx.access, 'read_build')
  const rows = ctx.results[0].results
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(await presentDeployments(c, rows.slice(0, page.perPage)), { headers })
}

const DeploymentParams = v.looseObject({ id: Str, deployment_id: Int })

export async function showDeployment(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(DeploymentParams, raw)
  const ctx = await loadProject<[DeploymentRow]>(c, params.id, (project) => [
    deploymentStatement(c.env.DB, project, params.deployment_id),
  ])
  authorize(ctx.access, 'read_build')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  return json((await presentDeployments(c, [row]))[0])
}

/** The deployments with their jobs as Job entities (one query for the page's jobs). */
async function presentDeployments(c: ApiContext, rows: DeploymentRow[]) {
  const ids = rows.map((row) => row.job_id)
  const jobs = ids.length === 0
    ? []
    : await jobViewsByIds(c.env.DB, ids)
  const byId = new Map(jobs.map((job) => [job.id, job]))
  return rows.map((row) => deployment(row, byId.get(row.job_id), c.externalUrl, c.now))
}

const TIERS = ['production', 'staging', 'testing', 'development', 'other'] as const
const NAME_ERROR = "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'"

const CreateParams = v.looseObject({
  id: Str,
  name: Str,
  external_url: v.optional(Str),
  tier: v.optional(OneOf(TIERS)),
})

/** POST /projects/:id/environments → 201; Environment validations as render_validation_error!. */
export async function createEnvironment(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  rejectSlug(raw)
  const params = validate(CreateParams, raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'update_build')
  const externalUrl = params.external_url || null
  checkEnvironment({ name: params.name, external_url: externalUrl })
  const row = await insertEnvironmentStatement(c.env.DB, ctx.project.id, {
    name: params.name, slug: await environmentSlug(params.name), external_url: externalUrl, tier: params.tier ?? guessTier(params.name)!,
  }, c.now).first<EnvironmentRow>()
  if (!row) throw ApiError.fieldErrors({ name: ['has already been taken'] })
  return json(environment(row), { status: 201 })
}

const UpdateParams = v.looseObject({
  id: Str,
  environment_id: Int,
  name: v.optional(Str),
  external_url: v.optional(Str),
  tier: v.optional(OneOf(TIERS)),
})

/** PUT /projects/:id/environments/:environment_id → 200 (name, external_url, tier). */
export async function updateEnvironment(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  rejectSlug(raw)
  const params = validate(UpdateParams, raw)
  const ctx = await loadProject<[EnvironmentRow]>(c, params.id, (project) => [environmentStatement(c.env.DB, project, params.environment_id)])
  authorize(ctx.access, 'update_build')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  const changes: Partial<Pick<EnvironmentRow, 'name' | 'external_url' | 'tier'>> = {}
  if (params.name !== undefined) changes.name = params.name
  if (params.external_url !== undefined) changes.external_url = params.external_url || null
  if (params.tier !== undefined) changes.tier = params.tier
  checkEnvironment({ name: changes.name ?? row.name, external_url: changes.external_url === undefined ? row.external_url : changes.external_url })
  if (changes.name !== undefined && (await nameTakenStatement(c.env.DB, row.project_id, changes.name, row.id).first())) {
    throw ApiError.fieldErrors({ name: ['has already been taken'] })
  }
  const updated = await updateEnvironmentStatement(c.env.DB, row.id, changes, c.now).first<EnvironmentRow>()
  return json(environment(updated!))
}

const EnvironmentParams = v.looseObject({ id: Str, environment_id: Int })

/** DELETE /projects/:id/environments/:environment_id → 204; only a stopped one (EnvironmentPolicy). */
export async function deleteEnvironment(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(EnvironmentParams, raw)
  const ctx = await loadProject<[EnvironmentRow]>(c, params.id, (project) => [environmentStatement(c.env.DB, project, params.environment_id)])
  authorize(ctx.access, 'read_build')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  // destroy_environment: developer+, and `rule { ~stopped }.prevent(:destroy_environment)`.
  if (!can(ctx.access, 'update_build') || row.state !== 'stopped') throw ApiError.forbidden()
  await c.env.DB.batch(deleteEnvironmentStatements(c.env.DB, row.id))
  return new Response(null, { status: 204 })
}

const StopParams = v.looseObject({ id: Str, environment_id: Int, force: v.optional(Bool, false) })

/**
 * POST /projects/:id/environments/:environment_id/stop → 200 with the environment. As in GitLab,
 * a caller who may read but not stop it (StopService's stop_environment) gets it unchanged.
 */
export async function stop(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(StopParams, raw)
  const ctx = await loadProject<[EnvironmentRow]>(c, params.id, (project) => [environmentStatement(c.env.DB, project, params.environment_id)])
  authorize(ctx.access, 'read_build')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  if (can(ctx.access, 'update_build')) await stopEnvironment(c.env, row, { force: params.force })
  const after = await environmentStatement(c.env.DB, { sql: '?', value: row.project_id }, row.id).first<EnvironmentRow>()
  return json(environment(after!))
}

/** `optional :slug, absence: { message: "is automatically generated and cannot be changed" }` */
function rejectSlug(raw: Record<string, unknown>): void {
  if (raw.slug !== undefined && raw.slug !== null && raw.slug !== '') throw ApiError.plain(400, 'slug is automatically generated and cannot be changed')
}

/** Environment's validations of name and external_url (app/models/environment.rb). */
function checkEnvironment(values: { name: string; external_url: string | null }): void {
  const errors: Record<string, string[]> = {}
  if (values.name.trim() === '') errors.name = ["can't be blank"]
  else if (values.name.length > 255) errors.name = ['is too long (maximum is 255 characters)']
  else if (!validEnvironmentName(values.name)) errors.name = [NAME_ERROR]
  if (values.external_url !== null) {
    const url = values.external_url
    if (url.length > 255) errors.external_url = ['is too long (maximum is 255 characters)']
    else {
      // safe_external_url: Gitlab::Utils::SanitizeNodeLink::UNSAFE_PROTOCOLS
      const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim())?.[1]?.toLowerCase()
      if (scheme && ['javascript', 'data', 'vbscript'].includes(scheme)) errors.external_url = [`${scheme} scheme is not allowed`]
    }
  }
  if (Object.keys(errors).length > 0) throw ApiError.fieldErrors(errors)
}
