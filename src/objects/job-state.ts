import type { JobState, When } from '../ci/types'
import type { JobChanges, JobRow } from '../db/jobs'
import { jobOptions } from '../db/jobs'

/** Row → the state the pure transition rules read. */
export function stateOf(row: JobRow): JobState {
  const options = jobOptions(row)
  return {
    kind: row.type,
    status: row.status,
    when: row.when_ as Exclude<When, 'never'>,
    allowFailure: row.allow_failure === 1,
    allowFailureExitCodes: options.allow_failure_exit_codes ?? [],
    retried: row.retried === 1,
    queuedAt: row.queued_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    scheduledAt: row.scheduled_at,
    failureReason: row.failure_reason,
    exitCode: row.exit_code,
    timeout: row.timeout,
    startInSeconds: options.start_in_seconds ?? null,
  }
}

/** The columns that differ between two states. */
export function changesBetween(before: JobState, after: JobState): JobChanges {
  const changes: JobChanges = {}
  if (before.status !== after.status) changes.status = after.status
  if (before.allowFailure !== after.allowFailure) changes.allow_failure = after.allowFailure ? 1 : 0
  if (before.queuedAt !== after.queuedAt) changes.queued_at = after.queuedAt
  if (before.startedAt !== after.startedAt) changes.started_at = after.startedAt
  if (before.finishedAt !== after.finishedAt) changes.finished_at = after.finishedAt
  if (before.scheduledAt !== after.scheduledAt) changes.scheduled_at = after.scheduledAt
  if (before.failureReason !== after.failureReason) changes.failure_reason = after.failureReason
  if (before.exitCode !== after.exitCode) changes.exit_code = after.exitCode
  if (before.timeout !== after.timeout) changes.timeout = after.timeout
  return changes
}
