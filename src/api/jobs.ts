import * as v from 'valibot'
import { loadProject, parseAfterAuthentication } from '../auth/access'
import { authorize } from '../auth/policy'
import type { JobViewRow } from '../db/job-views'
import { projectJobsStatement, projectJobStatement } from '../db/job-lists'
import { ApiError } from '../http/errors'
import { isKeysetRequested, keysetHeaders, offsetHeaders, parseKeysetPage, parseOffsetPage } from '../http/pagination'
import { Int, Str } from '../http/param-types'
import { validate, type RawParams } from '../http/params'
import { json } from '../http/response'
import { parseScope } from '../http/scope'
import { job as presentJob } from '../present/job'
import type { ApiContext } from './context'

const ListParams = v.looseObject({ id: Str, ref: v.optional(Str), name: v.optional(Str) })

/**
 * GET /projects/:id/jobs — builds of the project, retried included, id DESC. Offset pages are
 * never counted (GitLab's without_count); `pagination=keyset` pages by cursor. Authentication,
 * project, membership and the page itself are ONE D1 round trip.
 */
export async function list(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const { params, filter, keyset, offset } = await parseAfterAuthentication(c, () => {
    const params = validate(ListParams, raw)
    const statuses = parseScope(raw.scope, { acceptHash: true })
    const ref = params.ref?.trim() ? params.ref : undefined
    const keyset = isKeysetRequested(raw) ? parseKeysetPage(raw) : undefined
    return { params, filter: { statuses, ref, name: params.name }, keyset, offset: keyset ? undefined : parseOffsetPage(raw) }
  })
  const perPage = keyset?.perPage ?? offset!.perPage
  const ctx = await loadProject<[JobViewRow]>(c, params.id, (project) => [
    projectJobsStatement(c.env.DB, project, { ...filter, beforeId: keyset?.beforeId }, perPage + 1, offset?.offset ?? 0),
  ])
  authorize(ctx.access, 'read_build')
  const rows = ctx.results[0].results
  const hasNext = rows.length > perPage
  const page = rows.slice(0, perPage)
  const headers = keyset
    ? keysetHeaders(c.request.url, c.externalUrl, hasNext ? page[page.length - 1].id : undefined)
    : offsetHeaders(c.request.url, c.externalUrl, offset!, { hasNext })
  const now = c.now
  return json(page.map((row) => presentJob(row, c.externalUrl, now)), { headers })
}

const JobParams = v.looseObject({ id: Str, job_id: Int })

/** Loads one build of the project for a user with read_build; bridges and others' jobs are 404. */
export async function loadBuild(c: ApiContext, raw: RawParams, jobId: number, projectRef: string) {
  const ctx = await loadProject<[JobViewRow]>(c, projectRef, (project) => [projectJobStatement(c.env.DB, project, jobId)])
  const row = ctx.results[0].results[0]
  return { ctx, row: row && row.type === 'build' ? row : undefined }
}

/** GET /projects/:id/jobs/:job_id */
export async function show(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = await parseAfterAuthentication(c, () => validate(JobParams, raw))
  const { ctx, row } = await loadBuild(c, raw, params.job_id, params.id)
  authorize(ctx.access, 'read_build')
  if (!row) throw ApiError.notFound()
  return json(presentJob(row, c.externalUrl, c.now))
}
