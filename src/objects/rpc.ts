import type { Refused } from '../ci/refusals'
import type { JobStatus } from '../ci/statuses'
import type { ProcessEvent } from '../ci/types'
import type { JobRow } from '../db/jobs'
import type { JobViewRow } from '../db/job-views'

/**
 * The RPC surfaces of the Durable Objects: what callers (handlers, services, the other object)
 * may ask of them. The classes implement these; `env.ts` and the accessor (stubs.ts) type the
 * namespaces with them, so nothing imports an object's class to call it. Internals of the
 * classes are `#private` and not callable through a stub.
 */

/** A command's outcome: the job row after it, and whether it changed anything. */
export interface JobResult {
  job: JobRow
  changed: boolean
  /** The job as its entity shows it, read in the same batch as the write (when asked for). */
  view?: JobViewRow
}

export type RetryResult = { ok: true; job: JobRow } | Refused
/** `retried`: the played job had finished, so a new job was made (it still needs processing). */
export type PlayResult = { ok: true; job: JobRow; retried: boolean; view?: JobViewRow } | Refused
export type EraseResult = { ok: true; job: JobRow; view: JobViewRow } | Refused

/** A job row handed in by a caller: it may be stale, so a "no change" decision on it is re-checked. */
export type KnownRow = JobRow

export interface JobObjectRpc {
  /** The benchmark's bare round trip; refused unless BENCH_ROUTES is on. */
  ping(): Promise<string>
  /** Tests only: refused unless TEST_CLOCK is on. */
  advanceClock(ms: number): Promise<void>
  processEvent(jobId: number, event: ProcessEvent | 'process', known?: KnownRow): Promise<JobStatus | null>
  enqueueRetried(jobId: number, known?: KnownRow): Promise<JobViewRow | null>
  downstreamStatusChanged(bridgeId: number, status: JobStatus): Promise<void>
  cancel(jobId: number, options: { force: boolean; known?: KnownRow }): Promise<JobResult | null>
  retry(jobId: number, options: { userId: number; enqueueImmediately?: boolean; jobVariables?: string; known?: KnownRow }): Promise<RetryResult>
  play(jobId: number, options: { userId: number; jobVariables?: string; known?: KnownRow }): Promise<PlayResult>
  erase(jobId: number, options: { userId: number }): Promise<EraseResult>
  /** Its pipeline is being deleted: the live log, the alarm and the job's R2 objects go; its row is the caller's to delete. */
  destroy(jobId: number): Promise<void>
  assign(jobId: number, runner: { runnerId: number; runnerManagerId: number | null; timeout?: number | null }): Promise<{ job: JobRow; token: string } | null>
  touch(jobId: number): Promise<void>
  runnerUpdate(jobId: number, update: { state: 'running' | 'success' | 'failed'; failureReason?: string | null; exitCode?: number | null }): Promise<JobRow | null>
  dropPending(jobId: number, reason: string): Promise<boolean>
  appendTrace(jobId: number, start: number, bytes: Uint8Array): Promise<{ ok: boolean; length: number; watched: boolean }>
  waitForTrace(jobId: number, offset: number, timeoutMs: number): Promise<{ bytes: Uint8Array; archived: boolean }>
  traceLength(): Promise<number>
  readTrace(offset?: number, limit?: number): Promise<Uint8Array>
}

/** A job just retried or played: its skipped dependents are reopened. */
export interface ChangedJob {
  name: string
  stageIdx: number
}

export interface PipelineObjectRpc {
  /** Processes the pipeline; resolves when a run that started after this call has finished. */
  process(pipelineId: number, reopenAfter?: ChangedJob[]): Promise<void>
  /** Fire-and-forget form, for callers inside other objects (never wait on a processing run there). */
  requestProcess(pipelineId: number, reopenAfter?: ChangedJob[]): Promise<void>
  /** Ci::CancelPipelineService: cancels the cancelable jobs (each through its job's object); the count canceled. */
  cancelJobs(pipelineId: number, options?: { onlyInterruptible?: boolean; cascade?: boolean; autoCanceledBy?: number }): Promise<number>
  ping(): Promise<string>
}
