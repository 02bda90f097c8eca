import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import {
  deploymentListStatements, deploymentStatement, environmentListStatements, environmentStatement, lastDeploymentStatement,
  type DeploymentRow, type EnvironmentRow,
} from '../db/environments'
import { jobViewsByIds } from '../db/job-views'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Int, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { deployment, environment } from '../present/environment'
import type { ApiContext } from './context'

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
  const params = await c.valid(ShowParams)
  const ctx = await loadProject<[EnvironmentRow]>(c, params.id, (project) => [
    environmentStatement(c.env.DB, project, params.environment_id),
  ])
  authorize(ctx.access, 'read_build')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  const last = await lastDeploymentStatement(c.env.DB, row.id).first<DeploymentRow>()
  const lastDeployment = last ? (await presentDeployments(c, [last]))[0] : null
  return json({ ...environment(row), last_deployment: lastDeployment })
}

const DeploymentListParams = v.looseObject({
  id: Str,
  environment: v.optional(Str),
  status: v.optional(OneOf(['created', 'running', 'success', 'failed', 'canceled', 'skipped', 'blocked'] as const)),
  order_by: v.optional(OneOf(['id', 'iid', 'created_at', 'updated_at', 'finished_at', 'ref'] as const), 'id'),
  sort: v.optional(OneOf(['asc', 'desc'] as const), 'asc'),
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
  const params = await c.valid(DeploymentParams)
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
