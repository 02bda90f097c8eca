import type { JobStatus } from './statuses'

/**
 * Durations of state-machine.md §12. Timestamps are epoch milliseconds; durations are seconds.
 * Sources: gitlabhq app/models/commit_status.rb (`duration`, `queued_duration`),
 * app/models/concerns/ci/has_status.rb (`calculate_duration`), lib/gitlab/ci/pipeline/duration.rb.
 */

/** `calculate_duration`: nil without a start, otherwise up to the end or to now. */
function seconds(start: number | null, end: number | null, now: number): number | null {
  if (start === null) return null
  return ((end ?? now) - start) / 1000
}

/** Time spent running: (finished_at || now) − started_at. */
export function jobDuration(job: { startedAt: number | null; finishedAt: number | null }, now: number): number | null {
  return seconds(job.startedAt, job.finishedAt, now)
}

/**
 * Time spent queued: (started_at || now) − queued_at. Like GitLab, a job that never started
 * keeps counting even after it finished (canceled or dropped while pending): `finishedAt` is
 * deliberately not the end of the interval (commit_status.rb `queued_duration`).
 */
export function jobQueuedDuration(
  job: { queuedAt: number | null; startedAt: number | null; finishedAt?: number | null },
  now: number,
): number | null {
  return seconds(job.queuedAt, job.startedAt, now)
}

const BUSY_STATUSES: readonly JobStatus[] = ['success', 'failed', 'running', 'canceled']

/**
 * Wall-clock busy time of a pipeline: the union of [started_at, finished_at || now] over its
 * latest jobs in success/failed/running/canceled that started, in whole seconds (the column is
 * an integer). null when no job qualifies: GitLab only stores a duration once the pipeline has
 * started (Ci::Pipeline#update_duration).
 */
export function pipelineDuration(
  jobs: ReadonlyArray<{ status: JobStatus; startedAt: number | null; finishedAt: number | null }>,
  now: number,
): number | null {
  const periods = jobs
    .filter((job) => BUSY_STATUSES.includes(job.status) && job.startedAt !== null)
    .map((job) => ({ first: job.startedAt as number, last: job.finishedAt ?? now }))
    .sort((a, b) => a.first - b.first)
  if (periods.length === 0) return null
  let total = 0
  let current = { ...periods[0] }
  for (const period of periods.slice(1)) {
    if (period.first <= current.last) {
      current.last = Math.max(current.last, period.last)
    } else {
      total += current.last - current.first
      current = { ...period }
    }
  }
  total += current.last - current.first
  return Math.trunc(total / 1000)
}
