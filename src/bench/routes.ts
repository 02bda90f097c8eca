import type { IRequest } from 'itty-router'
import type { Env } from '../env'
import { configOf } from '../config'
import { projectJobsStatement } from '../db/job-lists'
import { namedJobObject } from '../objects/stubs'
import { ApiError } from '../http/errors'
import { errorResponse, json } from '../http/response'

/**
 * The benchmark's baselines (`npm run bench`), served by the same Worker as the API so that a
 * ratio to them isolates what an endpoint adds: an empty route, one indexed D1 query returning
 * 21 rows (a page plus one, with no auth and no presenter), the job list's own statement alone,
 * and one bare Durable Object round trip. They exist only when BENCH_ROUTES is '1'; otherwise
 * the API's 404 answers. Their lines are in the route table (src/routes.ts).
 */

/** Guards every bench route: the API's 404 unless BENCH_ROUTES is '1'. */
export function only(_request: IRequest, env: Env): Response | undefined {
  return configOf(env).benchRoutes ? undefined : errorResponse(ApiError.notFound())
}

/** GET /-/bench/empty: the Worker's floor. */
export async function empty(): Promise<Response> {
  return json({})
}

/** GET /-/bench/query?project_id=1: served by jobs_project_builds, as the project's job list. */
export async function query(request: IRequest, env: Env): Promise<Response> {
  const projectId = Number(request.query.project_id ?? 1)
  const { results } = await env.DB.prepare(`SELECT * FROM jobs WHERE project_id = ? AND type = 'build' ORDER BY id DESC LIMIT 21`)
    .bind(projectId)
    .all()
  return json(results)
}

/**
 * GET /-/bench/page?project_id=1: the project job list's own statement (first page, 21 job
 * views), without auth or presenter: splits a list's cost into its SQL and the rest.
 */
export async function page(request: IRequest, env: Env): Promise<Response> {
  const project = { sql: '?', value: Number(request.query.project_id ?? 1) }
  const { results } = await projectJobsStatement(env.DB, project, {}, 21).all()
  return json(results)
}

/** GET /-/bench/object?name=x: JobObject#ping on the object named x (a fresh name, a new object). */
export async function object(request: IRequest, env: Env): Promise<Response> {
  const name = typeof request.query.name === 'string' ? request.query.name : 'bench'
  const pong = await namedJobObject(env, name).ping()
  return json({ pong })
}
