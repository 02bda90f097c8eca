import { DurableObject } from 'cloudflare:workers'
import { pipelineDuration } from '../ci/durations'
import { pipelineStatus, processPipeline, stageStatuses } from '../ci/processing'
import { isCompleted, type JobStatus } from '../ci/statuses'
import { jobsToReopen } from '../ci/reset-skipped'
import type { Need, ProcessableJob, ProcessEvent, When } from '../ci/types'
import type { Env } from '../env'
import { configOf } from '../config'
import { cancelableJobsStatement, latestJobsStatement, type JobRow } from '../db/jobs'
import {
  childPipelineIds, getPipeline, markAutoCanceledStatement, pipelineStatement, updatePipelineStatement, updateStageStatement,
  type PipelineChanges, type PipelineRow,
} from '../db/pipelines'
import type { ChangedJob, PipelineObjectRpc } from './rpc'
import { jobObject, pipelineObject } from './stubs'
import { SerialQueue } from './serial'
import { firePipelineHooks } from '../hooks/fan-out'


/** Passes in one processing run before we stop and let the next request continue. */
const MAX_PASSES = 20

/**
 * One Durable Object per pipeline: runs pipeline processing (AtomicProcessingService) one run at
 * a time, so two jobs finishing together never enqueue a job twice or lose a skip. Requests that
 * arrive while a run is in progress share ONE queued follow-up run, which starts after the
 * current one and therefore sees every change made before those requests.
 */
export class PipelineObject extends DurableObject<Env> implements PipelineObjectRpc {
  readonly #queue = new SerialQueue()
  #queued?: Promise<void>
  /** Jobs whose skipped dependents the next run reopens (ResetSkippedJobsService). */
  #reopenAfter: ChangedJob[] = []

  /**
   * Processes the pipeline; resolves when a run that started after this call has finished.
   * `reopenAfter`: jobs just retried or played, whose skipped dependents go back to `created`.
   */
  async process(pipelineId: number, reopenAfter: ChangedJob[] = []): Promise<void> {
    this.#reopenAfter.push(...reopenAfter)
    if (this.#queued) return this.#queued
    const run = this.#queue.run(async () => {
      this.#queued = undefined
      const reopen = this.#reopenAfter
      this.#reopenAfter = []
      await this.#pass(pipelineId, reopen)
    })
    this.#queued = run
    return run
  }

  /** Fire-and-forget form, for callers inside other objects (never wait on a processing run there). */
  async requestProcess(pipelineId: number, reopenAfter: ChangedJob[] = []): Promise<void> {
    this.ctx.waitUntil(this.process(pipelineId, reopenAfter).catch((error) => console.error('pipeline processing failed', pipelineId, error)))
  }

  async ping(): Promise<string> {
    if (!configOf(this.env).benchRoutes) throw new Error('ping is the benchmark\'s (BENCH_ROUTES=1)')
    return 'pong'
  }

  /**
   * Ci::CancelPipelineService#force_execute: cancels the pipeline's cancelable jobs, each through
   * its own JobObject (as the cancel command does), then processes the pipeline. `onlyInterruptible`
   * is its safe_cancellation (only `interruptible: true` jobs); `cascade` also cancels the child
   * pipelines (cancel_children); `autoCanceledBy` records the newer pipeline (auto_canceled_by_id).
   * A pipeline with no cancelable job, or an `external` one, is left alone (Ci::Pipeline#cancelable?).
   */
  async cancelJobs(pipelineId: number, options: { onlyInterruptible?: boolean; cascade?: boolean; autoCanceledBy?: number } = {}): Promise<number> {
    const pipeline = await getPipeline(this.env.DB, pipelineId)
    if (!pipeline || pipeline.source === 'external') return 0
    const jobs = await cancelableJobsStatement(this.env.DB, pipelineId, options.onlyInterruptible ?? false).all<JobRow>()
    if (jobs.results.length === 0) return 0
    if (options.autoCanceledBy !== undefined) await markAutoCanceledStatement(this.env.DB, pipelineId, options.autoCanceledBy).run()
    const results = await Promise.all(jobs.results.map((job) => jobObject(this.env, job.id).cancel(job.id, { force: false, known: job })))
    let canceled = results.filter((result) => result?.changed).length
    if (options.cascade) {
      for (const child of await childPipelineIds(this.env.DB, pipelineId)) {
        canceled += await pipelineObject(this.env, child).cancelJobs(child, { cascade: true, autoCanceledBy: options.autoCanceledBy })
      }
    }
    await this.process(pipelineId)
    return canceled
  }

  async #pass(pipelineId: number, reopen: ChangedJob[]): Promise<void> {
    let state = await this.#load(pipelineId)
    if (!state.pipeline) return
    if (reopen.length > 0) {
      const ids = jobsToReopen(state.rows.map(processable), reopen)
      if (ids.length > 0) {
        await Promise.all(ids.map((id) => this.#sendEvent(state.rows, id, 'process')))
        state = await this.#load(pipelineId)
      }
    }
    for (let i = 0; i < MAX_PASSES; i++) {
      const { decisions } = processPipeline(state.rows.map(processable))
      if (decisions.length === 0) break
      // Each decision goes through the job's own object, which re-checks the transition.
      await Promise.all(decisions.map((d) => this.#sendEvent(state.rows, d.jobId, d.event)))
      state = await this.#load(pipelineId)
    }
    if (state.pipeline) await this.#updateStatuses(state.pipeline, state.rows)
  }

  /** The latest jobs and the pipeline row, in one round trip. */
  async #load(pipelineId: number): Promise<{ rows: JobRow[]; pipeline: PipelineRow | undefined }> {
    const [jobs, pipeline] = await this.env.DB.batch([latestJobsStatement(this.env.DB, pipelineId), pipelineStatement(this.env.DB, pipelineId)])
    return { rows: jobs.results as JobRow[], pipeline: pipeline.results[0] as PipelineRow | undefined }
  }

  /** The row just read travels with the event, so the job's object need not read it again. */
  #sendEvent(rows: JobRow[], jobId: number, event: ProcessEvent | 'process') {
    return jobObject(this.env, jobId).processEvent(jobId, event, rows.find((row) => row.id === jobId))
  }

  async #updateStatuses(pipeline: PipelineRow, rows: JobRow[]): Promise<void> {
    const pipelineId = pipeline.id
    const now = Date.now()
    const jobs = rows.map(processable)
    const status = pipelineStatus(jobs)
    const statements = stageStatuses(jobs).map((s) => updateStageStatement(this.env.DB, pipelineId, s.stageIdx, s.status))
    const changes = pipelineChanges(pipeline, status, rows, now)
    if (Object.keys(changes).length > 0) statements.push(updatePipelineStatement(this.env.DB, pipelineId, changes, now))
    if (statements.length > 0) await this.env.DB.batch(statements)
    if (changes.status) {
      // Pipeline Hooks after the status is written (Ci::Pipeline's after_transition → execute_hooks).
      this.ctx.waitUntil(firePipelineHooks(this.env, pipeline.project_id, pipelineId, now).catch((error) => console.error('pipeline hooks failed', pipelineId, error)))
    }
    if (changes.status && pipeline.source_job_id !== null) {
      // A bridge with `strategy: depend` mirrors this pipeline; tell it without waiting.
      const bridge = jobObject(this.env, pipeline.source_job_id)
      this.ctx.waitUntil(bridge.downstreamStatusChanged(pipeline.source_job_id, status).catch(() => undefined))
    }
  }
}

/** Pipeline status transitions and their timestamps (state-machine.md §3, §12). */
function pipelineChanges(pipeline: PipelineRow, status: JobStatus, rows: JobRow[], now: number): PipelineChanges {
  const changes: PipelineChanges = {}
  if (pipeline.status === status) return changes
  changes.status = status
  if (status === 'running' && pipeline.started_at === null) {
    changes.started_at = now
    changes.queued_duration = Math.round((now - pipeline.created_at) / 1000) || null
  }
  if (status === 'success' || status === 'failed' || status === 'canceled' || status === 'manual') {
    const intervals = rows.map((r) => ({ status: r.status, startedAt: r.started_at, finishedAt: r.finished_at }))
    changes.duration = pipelineDuration(intervals, now)
    if (status !== 'manual') changes.finished_at = now
  } else if (isCompleted(pipeline.status) || pipeline.status === 'manual') {
    changes.finished_at = null
  }
  return changes
}

export function processable(row: JobRow): ProcessableJob {
  return {
    id: row.id,
    name: row.name,
    stageIdx: row.stage_idx,
    status: row.status,
    allowFailure: row.allow_failure === 1,
    when: row.when_ as Exclude<When, 'never'>,
    needs: row.scheduling_type === 'dag' ? (JSON.parse(row.needs) as Need[]) : null,
    enqueueImmediately: row.enqueue_immediately === 1,
  }
}
