import { DurableObject } from 'cloudflare:workers'
import { pipelineDuration } from '../ci/durations'
import { pipelineStatus, processPipeline, stageStatuses } from '../ci/processing'
import { isCompleted, type JobStatus } from '../ci/statuses'
import type { Need, ProcessableJob, When } from '../ci/types'
import type { Env } from '../env'
import { latestJobsOfPipeline, type JobRow } from '../db/jobs'
import { getPipeline, updatePipelineStatement, updateStageStatement, type PipelineChanges, type PipelineRow } from '../db/pipelines'
import { jobObject } from './JobObject'
import { SerialQueue } from './serial'

/** Passes in one processing run before we stop and let the next request continue. */
const MAX_PASSES = 20

/**
 * One Durable Object per pipeline: runs pipeline processing (AtomicProcessingService) one run at
 * a time, so two jobs finishing together never enqueue a job twice or lose a skip. Requests that
 * arrive while a run is in progress share ONE queued follow-up run, which starts after the
 * current one and therefore sees every change made before those requests.
 */
export class PipelineObject extends DurableObject<Env> {
  private readonly queue = new SerialQueue()
  private queued?: Promise<void>

  /** Processes the pipeline; resolves when a run that started after this call has finished. */
  async process(pipelineId: number): Promise<void> {
    if (this.queued) return this.queued
    const run = this.queue.run(async () => {
      this.queued = undefined
      await this.pass(pipelineId)
    })
    this.queued = run
    return run
  }

  /** Fire-and-forget form, for callers inside other objects (never wait on a processing run there). */
  async requestProcess(pipelineId: number): Promise<void> {
    this.ctx.waitUntil(this.process(pipelineId).catch((error) => console.error('pipeline processing failed', pipelineId, error)))
  }

  async ping(): Promise<string> {
    return 'pong'
  }

  private async pass(pipelineId: number): Promise<void> {
    let rows = await latestJobsOfPipeline(this.env.DB, pipelineId)
    for (let i = 0; i < MAX_PASSES; i++) {
      const { decisions } = processPipeline(rows.map(processable))
      if (decisions.length === 0) break
      // Each decision goes through the job's own object, which re-checks the transition.
      await Promise.all(decisions.map((d) => jobObject(this.env, d.jobId).processEvent(d.jobId, d.event)))
      rows = await latestJobsOfPipeline(this.env.DB, pipelineId)
    }
    await this.updateStatuses(pipelineId, rows)
  }

  private async updateStatuses(pipelineId: number, rows: JobRow[]): Promise<void> {
    const pipeline = await getPipeline(this.env.DB, pipelineId)
    if (!pipeline) return
    const now = Date.now()
    const jobs = rows.map(processable)
    const status = pipelineStatus(jobs)
    const statements = stageStatuses(jobs).map((s) => updateStageStatement(this.env.DB, pipelineId, s.stageIdx, s.status))
    const changes = pipelineChanges(pipeline, status, rows, now)
    if (Object.keys(changes).length > 0) statements.push(updatePipelineStatement(this.env.DB, pipelineId, changes, now))
    if (statements.length > 0) await this.env.DB.batch(statements)
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

export function pipelineObject(env: Env, pipelineId: number) {
  return env.PIPELINE_OBJECT.get(env.PIPELINE_OBJECT.idFromName(String(pipelineId)))
}
