import * as v from 'valibot'
import type { Env } from '../env'
import { loadProject, type ProjectContext } from '../auth/access'
import { extractCredential } from '../auth/credentials'
import { can, canEraseJob } from '../auth/policy'
import type { JobViewRow } from '../db/job-views'
import { getJobView } from '../db/job-views'
import { projectJobStatement } from '../db/job-lists'
import { ApiError } from '../http/errors'
import { Bool, Int, NonBlankStr, Str } from '../http/param-types'
import { validate, type RawParams } from '../http/params'
import { json } from '../http/response'
import type { JobRow } from '../db/jobs'
import { jobObject } from '../objects/JobObject'
import { pipelineObject } from '../objects/PipelineObject'
import { bridge as presentBridge, job as presentJob } from '../present/job'
import { externalUrl, paramsOf, type ApiRequest } from './request'

/**
 * The job commands (lib/api/ci/jobs.rb). Handlers stay thin: params, auth, policy, one JobObject
 * RPC (which serializes the change), pipeline processing, presenter.
 */
async function loadJob(request: ApiRequest, env: Env, raw: RawParams, projectRef: string, jobId: number) {
  if (extractCredential(request, raw, false).kind === 'none') throw ApiError.unauthorized()
  return loadProject<[JobViewRow]>(env, request, raw, projectRef, {}, (project) => [projectJobStatement(env.DB, project, jobId)])
}

function jobOf(ctx: ProjectContext<[JobViewRow]>, buildsOnly: boolean): JobViewRow {
  const row = ctx.results[0].results[0]
  if (!row || (buildsOnly && row.type !== 'build')) throw ApiError.notFound()
  return row
}

function present(env: Env, view: JobViewRow, status: number, entity: 'job' | 'auto'): Response {
  const presenter = entity === 'auto' && view.type === 'bridge' ? presentBridge : presentJob
  return json(presenter(view, externalUrl(env), Date.now()), { status })
}

/** A new job (retry) is `created` until processing decides: wait for it, then show the job. */
async function presentAfterProcessing(env: Env, job: JobRow, status: number, entity: 'job' | 'auto'): Promise<Response> {
  await pipelineObject(env, job.pipeline_id).process(job.pipeline_id, [{ name: job.name, stageIdx: job.stage_idx }])
  return present(env, (await getJobView(env.DB, job.id))!, status, entity)
}

/**
 * Processing after a change to an existing job runs after the response, as GitLab's
 * PipelineProcessWorker does: the answer shows the job as the command left it.
 */
function processLater(env: Env, execution: ExecutionContext, job: JobRow, reopen: boolean): void {
  const changed = reopen ? [{ name: job.name, stageIdx: job.stage_idx }] : []
  execution.waitUntil(pipelineObject(env, job.pipeline_id).process(job.pipeline_id, changed))
}

const CancelParams = v.looseObject({ id: Str, job_id: Int, force: v.optional(Bool, false) })

/** POST /projects/:id/jobs/:job_id/cancel → 201 with the job, changed or not. */
export async function cancel(request: ApiRequest, env: Env, execution: ExecutionContext): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(CancelParams, raw)
  const ctx = await loadJob(request, env, raw, params.id, params.job_id)
  if (!can(ctx.access, 'cancel_build')) throw ApiError.forbidden()
  const row = jobOf(ctx, true)
  if (params.force && !can(ctx.access, 'force_cancel_build')) throw ApiError.forbidden()
  const result = await jobObject(env, row.id).cancel(row.id, { force: params.force, known: row })
  if (!result) throw ApiError.notFound()
  if (result.changed) processLater(env, execution, result.job, false)
  return present(env, result.view!, 201, 'job')
}

// lib/api/ci/jobs.rb declares only `job_id` for retry and `job_variables_attributes` for play: job
// inputs (Ci::PlayBuildService `inputs:`) are reached through GraphQL, not REST, so an `inputs` or
// `job_inputs` param is undeclared and Grape ignores it, as here.
const RetryParams = v.looseObject({ id: Str, job_id: Int })

/** POST /projects/:id/jobs/:job_id/retry → 201 with the NEW job. Builds and bridges. */
export async function retry(request: ApiRequest, env: Env, execution: ExecutionContext): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(RetryParams, raw)
  const ctx = await loadJob(request, env, raw, params.id, params.job_id)
  const row = jobOf(ctx, false)
  if (!can(ctx.access, 'retry_job')) throw ApiError.forbidden()
  const result = await jobObject(env, row.id).retry(row.id, { userId: ctx.caller.user!.id, known: row })
  if (!result.ok) throw ApiError.forbidden('Job is not retryable')
  if (result.job.type === 'bridge') {
    // The new bridge answers `pending`; its downstream pipeline is made after the response
    // (Ci::CreateDownstreamPipelineWorker), and processing follows as for play.
    const view = await jobObject(env, result.job.id).enqueueRetried(result.job.id, result.job)
    processLater(env, execution, result.job, true)
    return present(env, view!, 201, 'job')
  }
  return presentAfterProcessing(env, result.job, 201, 'job')
}

const EraseParams = v.looseObject({ id: Str, job_id: Int })

/** POST /projects/:id/jobs/:job_id/erase → 201; log and artifacts deleted, erased_at set. */
export async function erase(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(EraseParams, raw)
  const ctx = await loadJob(request, env, raw, params.id, params.job_id)
  const row = jobOf(ctx, true)
  if (!canEraseJob(ctx.access, ctx.caller.user!.id, row.user_id)) throw ApiError.forbidden()
  const result = await jobObject(env, row.id).erase(row.id, { userId: ctx.caller.user!.id })
  if (!result.ok) throw ApiError.forbidden('Job is not erasable!')
  return present(env, result.view, 201, 'job')
}

const PlayParams = v.looseObject({
  id: Str,
  job_id: Int,
  job_variables_attributes: v.optional(v.array(v.looseObject({ key: NonBlankStr, value: Str }), 'is invalid')),
})

/** POST /projects/:id/jobs/:job_id/play → 200 with the job now pending (or its retry). */
export async function play(request: ApiRequest, env: Env, execution: ExecutionContext): Promise<Response> {
  const raw = await paramsOf(request, env)
  if (extractCredential(request, raw, false).kind === 'none') throw ApiError.unauthorized()
  const params = validate(PlayParams, raw)
  const ctx = await loadJob(request, env, raw, params.id, params.job_id)
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  const row = jobOf(ctx, false)
  if (!can(ctx.access, 'play_job')) throw ApiError.forbidden()
  const variables = params.job_variables_attributes?.map((item) => ({ key: item.key, value: item.value }))
  const result = await jobObject(env, row.id).play(row.id, {
    userId: ctx.caller.user!.id,
    jobVariables: variables ? JSON.stringify(variables) : undefined,
  })
  if (!result.ok) throw ApiError.badRequest('Unplayable Job')
  if (result.retried) return presentAfterProcessing(env, result.job, 200, 'auto')
  processLater(env, execution, result.job, true)
  return present(env, result.view!, 200, 'auto')
}
