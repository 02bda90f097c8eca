import * as v from 'valibot'
import { loadProject, type ProjectContext } from '../auth/access'
import { authorize, canEraseJob } from '../auth/policy'
import { authorizeRefWrite, protectionsOf, refProtectionStatements } from '../auth/ref-access'
import type { ProtectedBranchRow } from '../db/protected-branches'
import type { ProtectedTagRow } from '../db/protected-tags'
import type { JobViewRow } from '../db/job-views'
import { getJobView } from '../db/job-views'
import { projectJobStatement } from '../db/job-lists'
import { ApiError } from '../http/errors'
import { Bool, Int, NonBlankStr, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import type { JobRow } from '../db/jobs'
import { jobObject } from '../objects/stubs'
import { pipelineObject } from '../objects/stubs'
import { bridge as presentBridge, job as presentJob } from '../present/job'
import { sealList } from '../auth/secret-box'
import type { ApiContext } from './context'
import { accepted, refusalError } from './refusals'

/**
 * The job commands (lib/api/ci/jobs.rb). Handlers stay thin: params, auth, policy, one JobObject
 * RPC (which serializes the change), pipeline processing, presenter. Every command also needs
 * write access to the job's ref (Ci::BuildPolicy: `rule { protected_ref }` prevents update_build,
 * so play, retry and cancel, and erase_build), read in the same batch as the job.
 */
type JobContext = ProjectContext<[JobViewRow, ProtectedBranchRow, ProtectedTagRow]>

async function loadJob(c: ApiContext, projectRef: string, jobId: number): Promise<JobContext> {
  if ((await c.credential()).kind === 'none') throw ApiError.unauthorized()
  return loadProject<[JobViewRow, ProtectedBranchRow, ProtectedTagRow]>(c, projectRef, (project) => [
    projectJobStatement(c.env.DB, project, jobId),
    ...refProtectionStatements(c.env.DB, project),
  ])
}

/** Ci::BuildPolicy's protected_ref: 403 unless the caller may write the job's ref. */
function authorizeJobRef(ctx: JobContext, row: JobViewRow): void {
  authorizeRefWrite(ctx.access, protectionsOf(ctx.results[1], ctx.results[2]), row)
}

function jobOf(ctx: JobContext, buildsOnly: boolean): JobViewRow {
  const row = ctx.results[0].results[0]
  if (!row || (buildsOnly && row.type !== 'build')) throw ApiError.notFound()
  return row
}

function present(c: ApiContext, view: JobViewRow, status: number, entity: 'job' | 'auto'): Response {
  const presenter = entity === 'auto' && view.type === 'bridge' ? presentBridge : presentJob
  return json(presenter(view, c.externalUrl, c.now), { status })
}

/** A new job (retry) is `created` until processing decides: wait for it, then show the job. */
async function presentAfterProcessing(c: ApiContext, job: JobRow, status: number, entity: 'job' | 'auto'): Promise<Response> {
  await pipelineObject(c.env, job.pipeline_id).process(job.pipeline_id, [{ name: job.name, stageIdx: job.stage_idx }])
  return present(c, (await getJobView(c.env.DB, job.id))!, status, entity)
}

/**
 * Processing after a change to an existing job runs after the response, as GitLab's
 * PipelineProcessWorker does: the answer shows the job as the command left it.
 */
function processLater(c: ApiContext, job: JobRow, reopen: boolean): void {
  const changed = reopen ? [{ name: job.name, stageIdx: job.stage_idx }] : []
  c.execution.waitUntil(pipelineObject(c.env, job.pipeline_id).process(job.pipeline_id, changed))
}

const CancelParams = v.looseObject({ id: Str, job_id: Int, force: v.optional(Bool, false) })

/** POST /projects/:id/jobs/:job_id/cancel → 201 with the job, changed or not. */
export async function cancel(c: ApiContext): Promise<Response> {
  const params = await c.valid(CancelParams)
  const ctx = await loadJob(c, params.id, params.job_id)
  authorize(ctx.access, 'cancel_build')
  const row = jobOf(ctx, true)
  authorizeJobRef(ctx, row)
  if (params.force) authorize(ctx.access, 'force_cancel_build')
  const result = await jobObject(c.env, row.id).cancel(row.id, { force: params.force, known: row })
  if (!result) throw refusalError('not_found')
  if (result.changed) processLater(c, result.job, false)
  return present(c, result.view!, 201, 'job')
}

// lib/api/ci/jobs.rb declares only `job_id` for retry and `job_variables_attributes` for play: job
// inputs (Ci::PlayBuildService `inputs:`) are reached through GraphQL, not REST, so an `inputs` or
// `job_inputs` param is undeclared and Grape ignores it, as here.
const RetryParams = v.looseObject({ id: Str, job_id: Int })

/** POST /projects/:id/jobs/:job_id/retry → 201 with the NEW job. Builds and bridges. */
export async function retry(c: ApiContext): Promise<Response> {
  const params = await c.valid(RetryParams)
  const ctx = await loadJob(c, params.id, params.job_id)
  const row = jobOf(ctx, false)
  authorize(ctx.access, 'retry_job')
  authorizeJobRef(ctx, row)
  const result = accepted(await jobObject(c.env, row.id).retry(row.id, { userId: ctx.caller.user!.id, known: row }))
  if (result.job.type === 'bridge') {
    // The new bridge answers `pending`; its downstream pipeline is made after the response
    // (Ci::CreateDownstreamPipelineWorker), and processing follows as for play.
    const view = await jobObject(c.env, result.job.id).enqueueRetried(result.job.id, result.job)
    processLater(c, result.job, true)
    return present(c, view!, 201, 'job')
  }
  return presentAfterProcessing(c, result.job, 201, 'job')
}

const EraseParams = v.looseObject({ id: Str, job_id: Int })

/** POST /projects/:id/jobs/:job_id/erase → 201; log and artifacts deleted, erased_at set. */
export async function erase(c: ApiContext): Promise<Response> {
  const params = await c.valid(EraseParams)
  const ctx = await loadJob(c, params.id, params.job_id)
  const row = jobOf(ctx, true)
  if (!canEraseJob(ctx.access, ctx.caller.user!.id, row.user_id)) throw ApiError.forbidden()
  authorizeJobRef(ctx, row)
  const result = accepted(await jobObject(c.env, row.id).erase(row.id, { userId: ctx.caller.user!.id }))
  return present(c, result.view, 201, 'job')
}

const PlayParams = v.looseObject({
  id: Str,
  job_id: Int,
  job_variables_attributes: v.optional(v.array(v.looseObject({ key: NonBlankStr, value: Str }), 'is invalid')),
})

/** POST /projects/:id/jobs/:job_id/play → 200 with the job now pending (or its retry). */
export async function play(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  if ((await c.credential()).kind === 'none') throw ApiError.unauthorized()
  const params = validate(PlayParams, raw)
  const ctx = await loadJob(c, params.id, params.job_id)
  authorize(ctx.access, 'read_build')
  const row = jobOf(ctx, false)
  authorize(ctx.access, 'play_job')
  authorizeJobRef(ctx, row)
  const variables = params.job_variables_attributes?.map((item) => ({ key: item.key, value: item.value }))
  const result = accepted(await jobObject(c.env, row.id).play(row.id, {
    userId: ctx.caller.user!.id,
    jobVariables: variables ? await sealList(c.env, variables) : undefined,
  }))
  if (result.retried) return presentAfterProcessing(c, result.job, 200, 'auto')
  processLater(c, result.job, true)
  return present(c, result.view!, 200, 'auto')
}
