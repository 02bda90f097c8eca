import { CANCELABLE_STATUSES, isCompleted, type JobStatus } from './statuses'

/**
 * What may be done to a job, as GitLab's predicates answer it (state-machine.md §7–§10,
 * gitlab-behavior.md §3.8–3.11). Archiving is not modelled, so no job counts as archived.
 */

const RETRYABLE_STATUSES: readonly JobStatus[] = ['success', 'failed', 'canceled', 'canceling']

/** A bridge whose downstream tripped a hierarchy limit would only trip it again. */
const BRIDGE_UNRETRYABLE_REASONS = ['pipeline_loop_detected', 'reached_max_descendant_pipelines_depth']

/**
 * Ci::Processable#retryable? (and Ci::Bridge#retryable?): not already retried, not a rejected
 * deployment, and finished or canceling.
 */
export function isRetryable(job: {
  status: JobStatus
  retried: boolean
  kind: 'build' | 'bridge'
  failureReason: string | null
}): boolean {
  if (job.retried) return false
  if (job.status === 'failed' && job.failureReason === 'deployment_rejected') return false
  if (job.kind === 'bridge' && job.status === 'failed' && BRIDGE_UNRETRYABLE_REASONS.includes(job.failureReason ?? '')) {
    return false
  }
  return RETRYABLE_STATUSES.includes(job.status)
}

/**
 * Ci::Build#playable? = action? && (manual? || scheduled? || retryable?), where action? means
 * `when: manual|delayed`. Ci::Bridge#playable? = `when: manual` && manual?.
 */
export function isPlayable(job: {
  status: JobStatus
  when: string
  kind: 'build' | 'bridge'
  retried: boolean
  failureReason: string | null
}): boolean {
  if (job.kind === 'bridge') return job.when === 'manual' && job.status === 'manual'
  if (job.when !== 'manual' && job.when !== 'delayed') return false
  return job.status === 'manual' || job.status === 'scheduled' || isRetryable(job)
}

/** Ci::Build#erasable? = complete? && (artifacts or a log to erase). */
export function isErasable(job: { status: JobStatus; hasArtifacts: boolean; hasTrace: boolean }): boolean {
  return isCompleted(job.status) && (job.hasArtifacts || job.hasTrace)
}

/**
 * Whether a normal cancel request changes the job: every CANCELABLE status (created, the active
 * ones, scheduled), never canceling. Ci::Build#cancelable? is `(active? || created?) && !canceling?`;
 * we also accept `scheduled` because the `cancel` event takes it and the Jobs API is documented to
 * cancel it (gitlab-behavior.md §3.8). `manual` is left out even though the event would take it:
 * the API answers 201 with a manual job unchanged.
 */
export function isCancelable(status: JobStatus): boolean {
  return CANCELABLE_STATUSES.includes(status)
}

/** Ci::Build#force_cancelable? = canceling? && supports_force_cancel? (true for builds). */
export function isForceCancelable(status: JobStatus): boolean {
  return status === 'canceling'
}
