import * as v from 'valibot'
import type { Env } from '../env'
import { enableDebugTraceStatement } from '../db/runner-jobs'
import { authenticateJob, jobForbidden, presentedJobToken, touchJobStatement, touchRunnerOfJobStatement, type AuthenticatedJob } from '../auth/job-auth'
import { authenticateRunner } from '../auth/runner'
import { traceLimitBytes } from '../db/settings'
import { readBodyBytes } from '../http/body'
import { ApiError } from '../http/errors'
import { Bool, Int, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { jobObject } from '../objects/stubs'
import { pipelineObject } from '../objects/stubs'
import { pickJob, queueValue } from '../services/job-queue'
import { loadPayloadContext, runnerPayload } from '../services/runner-payload'
import { hideSecrets, maskedValues } from '../services/trace-secrets'
import type { ApiContext } from './context'

/**
 * The runner's job calls (lib/api/ci/runner.rb `resource :jobs`; runner-protocol.md §2–§7).
 * Requests are answered at once, never held: see docs/runner-protocol.md "Long polling".
 */

/** GitLab's Trace::UPDATE_FREQUENCY_DEFAULT, and UPDATE_FREQUENCY_WHEN_BEING_WATCHED while someone follows the live log. */
export const TRACE_UPDATE_INTERVAL = '60'
export const TRACE_UPDATE_INTERVAL_WATCHED = '3'
/** The runner sends at most 1 MiB per patch (DefaultTracePatchLimit). */
export const TRACE_PATCH_LIMIT = 1024 * 1024

function noJob(lastUpdate: string): Response {
  return new Response(null, { status: 204, headers: { 'X-GitLab-Last-Update': lastUpdate } })
}

/** POST /jobs/request — 201 with the job payload, or 204 with `X-GitLab-Last-Update`. */
export async function requestJob(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const { runner, managerId } = await authenticateRunner(c.env, c.request, raw)
  if (runner.paused === 1) return noJob(await queueValue(c.env, runner))
  const picked = await pickJob(c.env, runner, managerId, runnerFeatures(raw))
  await Promise.all(picked.droppedPipelines.map((pipelineId) => pipelineObject(c.env, pipelineId).process(pipelineId)))
  if (!picked.assigned) return noJob(picked.lastUpdate)
  const { job } = picked.assigned
  await pipelineObject(c.env, job.pipeline_id).process(job.pipeline_id)
  try {
    const context = await loadPayloadContext(c.env, runner, picked.assigned, c.externalUrl)
    return json(runnerPayload(context), { status: 201 })
  } catch (error) {
    // GitLab drops a job it cannot present with scheduler_failure rather than lose it silently.
    console.error('job payload failed', job.id, error)
    await jobObject(c.env, job.id).runnerUpdate(job.id, { state: 'failed', failureReason: 'scheduler_failure' })
    await pipelineObject(c.env, job.pipeline_id).process(job.pipeline_id)
    return noJob(await queueValue(c.env, runner))
  }
}

/** `info.features` of this request (RegisterJobService reads `params.dig(:info, :features)`). */
function runnerFeatures(raw: Record<string, unknown>): Record<string, unknown> | null {
  const info = raw.info
  if (info === null || typeof info !== 'object' || Array.isArray(info)) return null
  const features = (info as Record<string, unknown>).features
  return features !== null && typeof features === 'object' && !Array.isArray(features) ? (features as Record<string, unknown>) : null
}

/**
 * `PUT /jobs/:id` replies: `Job-Status` always; `X-GitLab-Trace-Update-Interval` carries
 * UpdateBuildStateService's backoff, which only its 202 ("come back later") result has, so a
 * 200 or 400 has none (Grape drops a header set to nil).
 */
function statusReply(code: number, jobStatus: string): Response {
  return new Response(String(code), { status: code, headers: { 'Content-Type': 'text/plain', 'Job-Status': jobStatus } })
}

const UpdateParams = v.looseObject({
  id: Int,
  state: v.optional(Str),
  failure_reason: v.optional(Str),
  exit_code: v.optional(Int),
})

/**
 * PUT /jobs/:id — `running` is a heartbeat (also the runner's first call after pickup);
 * `success`/`failed` finish the job (a canceling job ends canceled) and the pipeline moves on
 * before we answer. Anything else is 400.
 */
export async function updateJob(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(UpdateParams, raw)
  const job = await authenticateJob(c.env, params.id, presentedJobToken(c.request, raw))
  if (params.state === 'running') {
    await touch(c.env, job, c.now)
    return statusReply(200, job.status)
  }
  const state = params.state === 'success' ? 'success' : params.state === 'failed' ? 'failed' : null
  if (!state) return statusReply(400, job.status)
  const updated = await jobObject(c.env, job.id).runnerUpdate(job.id, {
    state,
    failureReason: params.failure_reason ?? null,
    exitCode: params.exit_code ?? null,
  })
  await pipelineObject(c.env, job.pipeline_id).process(job.pipeline_id)
  return statusReply(200, updated?.status ?? job.status)
}

async function touch(env: Env, job: AuthenticatedJob, now: number): Promise<void> {
  const statements = [touchJobStatement(env, job, now), touchRunnerOfJobStatement(env, job, now)].filter((s) => s !== null)
  if (statements.length > 0) await env.DB.batch(statements)
}

const TraceParams = v.looseObject({ id: Int, debug_trace: v.optional(Bool) })

/**
 * `Content-Range`: only its presence is checked (400 without it); AppendBuildTraceService reads
 * the start as `stream_range.split('-')[0].to_i` (runner issue 3275: the end is off by one), so
 * `15-20/6` starts at 15 and text without leading digits at 0. A start other than the stored
 * length is a 416.
 */
function rangeStart(header: string | null): number {
  if (header === null) throw ApiError.plain(400, '400 Missing header Content-Range')
  return rubyToI(header.split('-')[0])
}

/** Ruby's String#to_i on text without '-': leading whitespace, `+`, digits (underscores between); else 0. */
function rubyToI(text: string): number {
  const match = /^\s*\+?(\d+(?:_\d+)*)/.exec(text)
  return match ? Number(match[1].replaceAll('_', '')) : 0
}

/**
 * PATCH /jobs/:id/trace — appends at `start`, which must equal the stored length (416 with
 * `Range: 0-<length>` otherwise). Over the log limit the job is dropped (trace_size_exceeded, 403).
 */
export async function patchTrace(c: ApiContext): Promise<Response> {
  const query = Object.fromEntries(new URL(c.request.url).searchParams)
  const params = validate(TraceParams, { ...query, id: c.request.params?.id })
  const job = await authenticateJob(c.env, params.id, presentedJobToken(c.request))
  const start = rangeStart(c.request.headers.get('Content-Range'))
  const body = await readBodyBytes(c.request, TRACE_PATCH_LIMIT)
  // first_debug_chunk?: `debug_trace=true` with the chunk at 0 puts the job in debug mode
  // (enable_debug_trace!), before the log is appended; its log then needs update_build to read.
  if (params.debug_trace === true && start === 0) await enableDebugTraceStatement(c.env.DB, job.id).run()
  if (start + body.byteLength > traceLimitBytes(job.ci_jobs_trace_size_limit)) {
    await jobObject(c.env, job.id).runnerUpdate(job.id, { state: 'failed', failureReason: 'trace_size_exceeded' })
    await pipelineObject(c.env, job.pipeline_id).process(job.pipeline_id)
    const dropped = jobForbidden(job.status === 'canceling' ? 'canceled' : 'failed')
    throw ApiError.plain(403, '403 Forbidden').withHeaders(dropped.headers)
  }
  const data = await hideSecrets(body, {
    jobToken: job.token, registrationDigest: job.runners_token_digest, maskedValues: await maskedValues(c.env, job.masked_values),
  })
  const result = await jobObject(c.env, job.id).appendTrace(job.id, start, data)
  if (!result.ok) throw ApiError.plain(416, '416 Range Not Satisfiable').withHeaders({ Range: `0-${result.length}` })
  await touch(c.env, job, c.now)
  return new Response(null, {
    status: 202,
    headers: {
      'Job-Status': job.status,
      Range: `0-${result.length}`,
      'X-GitLab-Trace-Update-Interval': result.watched ? TRACE_UPDATE_INTERVAL_WATCHED : TRACE_UPDATE_INTERVAL,
    },
  })
}
