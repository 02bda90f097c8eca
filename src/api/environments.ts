import * as v from 'valibot'
import type { Env } from '../env'
import { loadProject } from '../auth/access'
import { can } from '../auth/policy'
import {
  deploymentListStatements, deploymentStatement, environmentListStatements, environmentStatement, lastDeploymentStatement,
  type DeploymentRow, type EnvironmentRow,
} from '../db/environments'
import { JOB_VIEW_SELECT, type JobViewRow } from '../db/job-views'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Int, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { deployment, environment } from '../present/environment'
import { externalUrl, paramsOf, type ApiRequest } from './request'

/**
 * GET /projects/:id/environments, /environments/:environment_id, /deployments,
 * /deployments/:deployment_id (GitLab's Environments and Deployments APIs, read side). Reading
 * them takes read access to the project's jobs, as GitLab's read_environment/read_deployment.
 */

const ListParams = v.looseObject({
  id: Str,
  name: v.optional(Str),
  search: v.optional(Str),
  states: v.optional(OneOf(['available', 'stopping', 'stopped'] as const)),
})

export async function listEnvironments(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(ListParams, raw)
  if (params.name !== undefined && params.search !== undefined) throw new ApiError(400, { error: 'name, search are mutually exclusive' })
  const page = parseOffsetPage(raw)
  const ctx = await loadProject<[EnvironmentRow, { n: number }]>(env, request, raw, params.id, { requireUser: false, jobTokenAllowed: true }, (project) =>
    environmentListStatements(env.DB, project, params, page.perPage + 1, page.offset),
  )
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  const rows = ctx.results[0].results
  const headers = offsetHeaders(request.url, externalUrl(env), page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(rows.slice(0, page.perPage).map(environment), { headers })
}

const ShowParams = v.looseObject({ id: Str, environment_id: Int })

export async function showEnvironment(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(ShowParams, raw)
  const ctx = await loadProject<[EnvironmentRow]>(env, request, raw, params.id, { requireUser: false, jobTokenAllowed: true }, (project) => [
    environmentStatement(env.DB, project, params.environment_id),
  ])
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  const last = await lastDeploymentStatement(env.DB, row.id).first<DeploymentRow>()
  const lastDeployment = last ? (await presentDeployments(env, [last]))[0] : null
  return json({ ...environment(row), last_deployment: lastDeployment })
}

const DeploymentListParams = v.looseObject({
  id: Str,
  environment: v.optional(Str),
  status: v.optional(OneOf(['created', 'running', 'success', 'failed', 'canceled', 'skipped', 'blocked'] as const)),
  order_by: v.optional(OneOf(['id', 'iid', 'created_at', 'updated_at', 'finished_at', 'ref'] as const), 'id'),
  sort: v.optional(OneOf(['asc', 'desc'] as const), 'asc'),
})

export async function listDeployments(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(DeploymentListParams, raw)
  const page = parseOffsetPage(raw)
  const filter = { environment: params.environment, status: params.status ? [params.status] : undefined, orderBy: params.order_by, sort: params.sort }
  const ctx = await loadProject<[DeploymentRow, { n: number }]>(env, request, raw, params.id, { requireUser: false, jobTokenAllowed: true }, (project) =>
    deploymentListStatements(env.DB, project, filter, page.perPage + 1, page.offset),
  )
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  const rows = ctx.results[0].results
  const headers = offsetHeaders(request.url, externalUrl(env), page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(await presentDeployments(env, rows.slice(0, page.perPage)), { headers })
}

const DeploymentParams = v.looseObject({ id: Str, deployment_id: Int })

export async function showDeployment(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(DeploymentParams, raw)
  const ctx = await loadProject<[DeploymentRow]>(env, request, raw, params.id, { requireUser: false, jobTokenAllowed: true }, (project) => [
    deploymentStatement(env.DB, project, params.deployment_id),
  ])
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  return json((await presentDeployments(env, [row]))[0])
}

/** The deployments with their jobs as Job entities (one query for the page's jobs). */
async function presentDeployments(env: Env, rows: DeploymentRow[]) {
  const ids = rows.map((row) => row.job_id)
  const jobs = ids.length === 0
    ? []
    : (await env.DB.prepare(`${JOB_VIEW_SELECT} WHERE j.id IN (${ids.map(() => '?').join(', ')})`).bind(...ids).all<JobViewRow>()).results
  const byId = new Map(jobs.map((job) => [job.id, job]))
  const now = Date.now()
  return rows.map((row) => deployment(row, byId.get(row.job_id), externalUrl(env), now))
}
