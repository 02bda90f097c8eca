import { normalizeFailureReason } from './failure-reasons'
import { CANCELABLE_STATUSES, isFinished, type JobStatus } from './statuses'
import type { JobState } from './types'

/**
 * The job events of state-machine.md §2 with their guards, and the column side effects of §12.
 * Sources: gitlabhq app/models/commit_status.rb (base events and timestamp hooks),
 * app/models/ci/build.rb (actionize/schedule/unschedule/enqueue_scheduled, scheduled_at hooks,
 * the job_execution_timeout finished_at rule), app/models/ci/bridge.rb (inherit_* events).
 */
export type JobEvent =
  | { type: 'enqueue' }
  | { type: 'request_resource' }
  | { type: 'run' }
  | { type: 'success' }
  | { type: 'drop'; reason: string | null; exitCode?: number | null }
  | { type: 'cancel'; graceful: boolean }
  | { type: 'force_cancel' }
  | { type: 'skip' }
  | { type: 'actionize' }
  | { type: 'schedule' }
  | { type: 'unschedule' }
  | { type: 'process' }
  | { type: 'enqueue_scheduled' }
  | { type: 'bridge_status'; status: JobStatus }

/** Exit codes are stored as a smallint (Ci::Build#exit_code=). */
const MAX_EXIT_CODE = 32767

const SUCCESS_FROM: readonly JobStatus[] = ['created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running']
const DROP_FROM: readonly JobStatus[] = [...SUCCESS_FROM, 'manual', 'scheduled']
const CANCEL_FROM: readonly JobStatus[] = [...CANCELABLE_STATUSES, 'manual']
const QUEUED_FROM: readonly JobStatus[] = ['created', 'waiting_for_resource', 'preparing', 'skipped', 'manual', 'scheduled']
const STARTED_FROM: readonly JobStatus[] = ['created', 'preparing', 'pending']

/**
 * The job after `event`, or undefined when the event is not allowed from the job's status
 * (or would not change it). `now` is epoch milliseconds.
 */
export function applyEvent(job: JobState, event: JobEvent, now: number): JobState | undefined {
  const to = targetStatus(job, event, now)
  if (to === undefined || to === job.status) return undefined
  return withSideEffects(job, to, event, now)
}

const from = (job: JobState, statuses: readonly JobStatus[], to: JobStatus) =>
  statuses.includes(job.status) ? to : undefined

function targetStatus(job: JobState, event: JobEvent, now: number): JobStatus | undefined {
  const build = job.kind === 'build'
  switch (event.type) {
    case 'enqueue': return from(job, ['created', 'skipped', 'manual', 'scheduled', 'waiting_for_resource'], 'pending')
    case 'request_resource': return from(job, ['created', 'skipped', 'manual', 'scheduled'], 'waiting_for_resource')
    case 'run': return from(job, ['pending'], 'running')
    // The runner's final report for a canceling job ends it as canceled, whatever it reports.
    case 'success': return job.status === 'canceling' ? 'canceled' : from(job, SUCCESS_FROM, 'success')
    case 'drop': return job.status === 'canceling' ? 'canceled' : from(job, DROP_FROM, 'failed')
    case 'cancel': return cancelTarget(job, event.graceful)
    case 'force_cancel': return build ? from(job, ['canceling'], 'canceled') : undefined
    case 'skip': return from(job, ['created', 'waiting_for_resource', 'preparing', 'pending'], 'skipped')
    case 'actionize': return from(job, ['created'], 'manual')
    case 'schedule': return build ? from(job, ['created'], 'scheduled') : undefined
    case 'unschedule': return build ? from(job, ['scheduled'], 'manual') : undefined
    case 'process': return from(job, ['skipped', 'manual'], 'created')
    case 'enqueue_scheduled': return build && scheduleDue(job, now) ? from(job, ['scheduled'], 'pending') : undefined
    case 'bridge_status': return build ? undefined : inheritedStatus(event.status)
  }
}

/**
 * A running build goes to canceling only when its runner cancels gracefully
 * (`supports_canceling?`); a bridge never does. Everything else cancelable ends at once.
 */
function cancelTarget(job: JobState, graceful: boolean): JobStatus | undefined {
  if (job.status === 'running' && graceful && job.kind === 'build') return 'canceling'
  return from(job, CANCEL_FROM, 'canceled')
}

/** `enqueue_scheduled` only proceeds once `scheduled_at` is nil or has come. */
function scheduleDue(job: JobState, now: number): boolean {
  return job.scheduledAt === null || job.scheduledAt <= now
}

/** Ci::Bridge#inherit_status_from_downstream!: other downstream statuses change nothing. */
function inheritedStatus(downstream: JobStatus): JobStatus | undefined {
  if (downstream === 'success') return 'success'
  if (downstream === 'canceled') return 'canceled'
  if (downstream === 'failed' || downstream === 'skipped') return 'failed'
  return undefined
}

function withSideEffects(job: JobState, to: JobStatus, event: JobEvent, now: number): JobState {
  const next: JobState = { ...job, status: to }
  if (to === 'pending' && QUEUED_FROM.includes(job.status)) next.queuedAt = now
  if (to === 'running' && STARTED_FROM.includes(job.status)) next.startedAt = now
  if (isFinished(to)) next.finishedAt = now
  if (job.status === 'scheduled') next.scheduledAt = null
  if (to === 'scheduled') next.scheduledAt = now + (job.startInSeconds ?? 0) * 1000
  // failure_reason only means something on a failed job; a bridge can leave failed by inheriting.
  if (job.status === 'failed') next.failureReason = null
  if (to === 'failed') return withFailure(next, job.status, event)
  return next
}

/**
 * Entering failed: Gitlab::Ci::Build::Status::Reason sets failure_reason (unknown → unknown_failure),
 * exit_code, and forces allow_failure when the exit code is in allow_failure:exit_codes.
 */
function withFailure(next: JobState, previous: JobStatus, event: JobEvent): JobState {
  const reason = event.type === 'drop' ? normalizeFailureReason(event.reason) : 'unknown_failure'
  const exitCode = event.type === 'drop' && event.exitCode != null ? clampExitCode(event.exitCode) : next.exitCode
  const failed: JobState = { ...next, failureReason: reason, exitCode }
  if (exitCode !== null && next.allowFailureExitCodes.includes(exitCode)) failed.allowFailure = true
  // Only the configured timeout is billed for a job the runner timed out.
  if (reason === 'job_execution_timeout' && previous === 'running' && next.startedAt !== null && next.timeout !== null) {
    failed.finishedAt = next.startedAt + next.timeout * 1000
  }
  return failed
}

function clampExitCode(exitCode: number): number {
  return Math.min(Math.max(Math.trunc(exitCode), 0), MAX_EXIT_CODE)
}
