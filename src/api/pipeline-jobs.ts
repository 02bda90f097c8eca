import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize, can } from '../auth/policy'
import type { JobViewRow } from '../db/job-views'
import { pipelineJobsStatements } from '../db/job-lists'
import { ApiError } from '../http/errors'
import { isKeysetRequested, keysetHeaders, MAX_COUNT_LIMIT, offsetHeaders, parseKeysetPage, parseOffsetPage } from '../http/pagination'
import { Bool, Int, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { parseScope } from '../http/scope'
import { bridge as presentBridge, job as presentJob } from '../present/job'
import type { ApiContext } from './context'

const BridgesParams = v.looseObject({ id: Str, pipeline_id: Int })
const JobsParams = v.looseObject({ id: Str, pipeline_id: Int, include_retried: v.optional(Bool, false) })

/** GET /projects/:id/pipelines/:pipeline_id/jobs */
export function jobs(c: ApiContext): Promise<Response> {
  return listOfPipeline(c, 'build')
}

/** GET /projects/:id/pipelines/:pipeline_id/bridges */
export function bridges(c: ApiContext): Promise<Response> {
  return listOfPipeline(c, 'bridge')
}

/**
 * Anonymous callers may read public projects (authenticate_non_get!); params are validated before
 * the project lookup; counted offset pagination (counts dropped above 10,000). Keyset pagination
 * here is an edgejobs extension.
 */
async function listOfPipeline(c: ApiContext, type: 'build' | 'bridge'): Promise<Response> {
  const raw = await c.params()
  // Ci::JobsFinder reads Grape's full params, undeclared keys included, and any string is true in
  // Ruby: on bridges (where include_retried is not declared) `include_retried=false` still includes
  // retried bridges, and `with_artifacts=<anything>` keeps only builds with artifacts.
  const params = type === 'build'
    ? validate(JobsParams, raw)
    : { ...validate(BridgesParams, raw), include_retried: raw.include_retried !== undefined }
  const withArtifacts = type === 'build' && raw.with_artifacts !== undefined
  const statuses = parseScope(raw.scope, { acceptHash: false })
  const keyset = isKeysetRequested(raw) ? parseKeysetPage(raw) : undefined
  const offset = keyset ? undefined : parseOffsetPage(raw)
  const perPage = keyset?.perPage ?? offset!.perPage
  const ctx = await loadProject<[{ id: number }, JobViewRow, { n: number }]>(
    c, params.id,
    (project) => {
      const filter = { type, statuses, includeRetried: params.include_retried, withArtifacts, beforeId: keyset?.beforeId }
      const s = pipelineJobsStatements(c.env.DB, project, params.pipeline_id, filter, perPage + 1, offset?.offset ?? 0)
      return [s.pipeline, s.page, s.count]
    },
  )
  authorize(ctx.access, type === 'build' ? 'read_pipeline' : 'read_build')
  if (!ctx.results[0].results[0]) throw ApiError.notFound()
  // The finder needs read_build on the pipeline; without it GitLab answers an empty list.
  const readable = can(ctx.access, 'read_build')
  const rows = readable ? ctx.results[1].results : []
  const hasNext = rows.length > perPage
  const page = rows.slice(0, perPage)
  const total = readable ? ctx.results[2].results[0]?.n ?? 0 : 0
  const headers = keyset
    ? keysetHeaders(c.request.url, c.externalUrl, hasNext ? page[page.length - 1].id : undefined)
    : offsetHeaders(c.request.url, c.externalUrl, offset!, { hasNext, total: total > MAX_COUNT_LIMIT ? undefined : total })
  const now = c.now
  const present = type === 'build' ? presentJob : presentBridge
  return json(page.map((row) => present(row, c.externalUrl, now)), { headers })
}
