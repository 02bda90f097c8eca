import { autoRetryAllowed } from '../ci/auto-retry'
import { isCompleted } from '../ci/statuses'
import type { JobEvent } from '../ci/transitions'
import type { Env } from '../env'
import { getJob, jobOptions, resourceGroupOf, retriesCount, type JobChanges, type JobRow } from '../db/jobs'
import { releaseResource } from '../db/resource-groups'
import { getPipeline } from '../db/pipelines'
import { environmentAfterJobStatements, jobEnvironmentStatement } from '../db/environments'
import { parseDuration } from '../ci/config/duration'
import { triggerDownstream } from '../services/trigger-downstream'
import { fireJobHooks } from '../hooks/fan-out'
import type { JobResult, RetryResult } from './rpc'
import { jobObject, pipelineObject } from './stubs'

/**
 * The effects of a job's committed transition, handed to their owners the way GitLab's
 * `after_transition` hooks only enqueue work: the job's own alarms (timeouts, a delayed start),
 * the next job of its resource group (that job's object), the downstream pipeline of a pending
 * bridge (Ci::CreateDownstreamPipelineWorker, after the response), an automatic retry (the job's
 * object, through its queue), the project's job hooks (hooks/fan-out.ts) and pipeline processing
 * (the pipeline's object). Nothing here
 * decides a job's state: every change goes back through a job object's command.
 */
export interface EffectsPort {
  env: Env
  now(): number
  waitUntil(work: Promise<unknown>): void
  watch(job: JobRow): Promise<void>
  schedule(jobId: number, at: number): Promise<void>
  retry(jobId: number, options: { userId: number; enqueueImmediately: boolean; known: JobRow }): Promise<RetryResult>
  /** Commits a pending bridge's outcome through the object's queue (null: no longer pending). */
  commitBridgeOutcome(bridgeId: number, decide: (row: JobRow) => { event: JobEvent; extra?: JobChanges }): Promise<JobResult | null>
}

export async function afterCommit(job: JobRow, port: EffectsPort): Promise<void> {
  // Job Hooks for every transition, after the response (WebHookService#async_execute).
  const now = port.now()
  port.waitUntil(fireJobHooks(port.env, job, now).catch((error) => console.error('job hooks failed', job.id, error)))
  if (job.type === 'build') await port.watch(job)
  await releaseResourceIfDone(port, job)
  await updateEnvironmentIfDone(port, job)
  if (job.type === 'bridge' && job.status === 'pending' && job.downstream_pipeline_id === null) {
    // Ci::CreateDownstreamPipelineWorker: the downstream pipeline is made after the bridge is
    // pending and whoever made it pending has had its answer.
    port.waitUntil(triggerBridge(job, port).catch((error) => console.error('downstream pipeline failed', job.id, error)))
  }
  if (job.status === 'scheduled' && job.scheduled_at !== null) await port.schedule(job.id, job.scheduled_at)
  if (job.status === 'failed') {
    const retried = job.user_id !== null && (await maybeAutoRetry(job, port))
    // Ci::Processable after_transition to failed: unless allowed to fail or about to be retried
    // (can_auto_cancel_pipeline_on_job_failure?), `on_job_failure: all` cancels the pipeline.
    if (!retried && job.allow_failure === 0) port.waitUntil(cancelPipelineOnFailure(port.env, job).catch((error) => console.error('auto-cancel on job failure', job.id, error)))
  }
}

/** Pipeline#cancel_async_on_job_failure: `all` runs UserCancelPipelineWorker (children included). */
async function cancelPipelineOnFailure(env: Env, job: JobRow): Promise<void> {
  const pipeline = await getPipeline(env.DB, job.pipeline_id)
  if (pipeline?.auto_cancel_on_job_failure !== 'all') return
  await pipelineObject(env, pipeline.id).cancelJobs(pipeline.id, { cascade: true })
}

/** A finished deployment or stop job moves its environment (start, stop_complete, recover). */
async function updateEnvironmentIfDone(port: EffectsPort, job: JobRow): Promise<void> {
  if (!job.options.includes('"environment"') || (job.status !== 'success' && job.status !== 'failed')) return
  const link = await jobEnvironmentStatement(port.env.DB, job.id).first<{ id: number; action: string }>()
  if (!link) return
  const autoStopIn = jobOptions(job).environment?.auto_stop_in
  const seconds = autoStopIn ? parseDuration(autoStopIn) : null
  const statements = environmentAfterJobStatements(port.env.DB, link.id, link.action, job.status, seconds, port.now())
  if (statements.length > 0) await port.env.DB.batch(statements)
}

/** A finished job gives its resource group's resource back; the next waiting job is offered it. */
async function releaseResourceIfDone(port: EffectsPort, job: JobRow): Promise<void> {
  const env = port.env
  const group = resourceGroupOf(job)
  if (!group || !isCompleted(job.status)) return
  const next = await releaseResource(env.DB, job.project_id, group, job.id, port.now())
  if (next === null) return
  const status = await jobObject(env, next).processEvent(next, 'enqueue')
  if (status === 'pending') {
    const row = await getJob(env.DB, next)
    if (row) await pipelineObject(env, row.pipeline_id).requestProcess(row.pipeline_id)
  }
}

/** Whether the failed job was retried automatically (auto_retry_expected?). */
async function maybeAutoRetry(job: JobRow, port: EffectsPort): Promise<boolean> {
  const options = jobOptions(job)
  const count = await retriesCount(port.env.DB, job.pipeline_id, job.name)
  if (!autoRetryAllowed({ retry: options.retry, failureReason: job.failure_reason, exitCode: job.exit_code, retriesCount: count })) return false
  const retried = await port.retry(job.id, { userId: job.user_id!, enqueueImmediately: false, known: job })
  if (retried.ok) await pipelineObject(port.env, job.pipeline_id).requestProcess(job.pipeline_id, [{ name: job.name, stageIdx: job.stage_idx }])
  return retried.ok
}

async function triggerBridge(bridge: JobRow, port: EffectsPort): Promise<void> {
  const outcome = await triggerDownstream(port.env, bridge)
  const result = await port.commitBridgeOutcome(bridge.id, (row) => {
    if (!outcome.ok) return { event: { type: 'drop', reason: outcome.reason } }
    // A dependent bridge keeps running and mirrors the downstream pipeline; others succeed now.
    const depend = jobOptions(row).trigger?.strategy === 'depend'
    return { event: depend ? { type: 'run' } : { type: 'success' }, extra: { downstream_pipeline_id: outcome.pipelineId } }
  })
  if (outcome.ok) await pipelineObject(port.env, outcome.pipelineId).requestProcess(outcome.pipelineId)
  if (result?.changed) await pipelineObject(port.env, bridge.pipeline_id).requestProcess(bridge.pipeline_id)
}
