import type { JobStatus } from './statuses'

/**
 * When a job must be looked at again by the server (state-machine.md §11): the job timeout of a
 * running job, "no updates" for running/canceling jobs, pending jobs nobody takes, and what to do
 * when that time comes. Pure: the caller passes the job's times and `now`.
 */
export interface TimerLimits {
  /** running/canceling with no update from the runner (GitLab: 30 min with ci_lower_stuck_build_timeouts) */
  stuckSeconds: number
  /** pending with no online runner able to take it (GitLab: 1 hour) */
  pendingNoRunnerSeconds: number
  /** pending at all (GitLab: 1 day) */
  pendingMaxSeconds: number
}

export const DEFAULT_TIMER_LIMITS: TimerLimits = {
  stuckSeconds: 30 * 60,
  pendingNoRunnerSeconds: 60 * 60,
  pendingMaxSeconds: 24 * 60 * 60,
}

export interface TimedJob {
  status: JobStatus
  queuedAt: number | null
  startedAt: number | null
  /** seconds */
  timeout: number | null
  /** the last time the runner reported (PUT or trace PATCH), or when the job started */
  lastUpdateAt: number | null
}

export type TimerAction =
  | { drop: 'job_execution_timeout' | 'no_updates_running' | 'no_updates_canceling' | 'stuck_pending_with_matching_runners' }
  | { dropIfNoRunner: 'stuck_pending_no_matching_runners' }

/** The next instant at which `dueAction` may have something to do, or null when none. */
export function nextDeadline(job: TimedJob, limits: TimerLimits): number | null {
  const candidates: number[] = []
  if (job.status === 'running' || job.status === 'canceling') {
    if (job.status === 'running' && job.startedAt !== null && job.timeout !== null) candidates.push(job.startedAt + job.timeout * 1000)
    const last = job.lastUpdateAt ?? job.startedAt
    if (last !== null) candidates.push(last + limits.stuckSeconds * 1000)
  }
  if (job.status === 'pending' && job.queuedAt !== null) {
    candidates.push(job.queuedAt + limits.pendingNoRunnerSeconds * 1000, job.queuedAt + limits.pendingMaxSeconds * 1000)
  }
  return candidates.length === 0 ? null : Math.min(...candidates)
}

/** What is due at `now`, most decisive first; undefined when nothing is due yet. */
export function dueAction(job: TimedJob, limits: TimerLimits, now: number): TimerAction | undefined {
  if (job.status === 'running' && job.startedAt !== null && job.timeout !== null && now >= job.startedAt + job.timeout * 1000) {
    return { drop: 'job_execution_timeout' }
  }
  if (job.status === 'running' || job.status === 'canceling') {
    const last = job.lastUpdateAt ?? job.startedAt
    if (last !== null && now >= last + limits.stuckSeconds * 1000) {
      return { drop: job.status === 'running' ? 'no_updates_running' : 'no_updates_canceling' }
    }
  }
  if (job.status === 'pending' && job.queuedAt !== null) {
    if (now >= job.queuedAt + limits.pendingMaxSeconds * 1000) return { drop: 'stuck_pending_with_matching_runners' }
    if (now >= job.queuedAt + limits.pendingNoRunnerSeconds * 1000) return { dropIfNoRunner: 'stuck_pending_no_matching_runners' }
  }
  return undefined
}
