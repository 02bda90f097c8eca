/**
 * Why an object or service refused a command, as data (GitLab's ServiceResponse.error reasons).
 * Every reason has exactly one HTTP answer, in src/api/refusals.ts.
 */
export type Refusal =
  /** the job (or its pipeline) does not exist, or not as the caller named it */
  | 'not_found'
  /** Ci::RetryJobService: the job may not be retried (its status, or already retried) */
  | 'not_retryable'
  /** Ci::PlayBuildService: the job is not manual or scheduled, or no longer playable */
  | 'unplayable'
  /** Ci::BuildEraseService: nothing to erase, or the job has not finished */
  | 'not_erasable'

export type Refused = { ok: false; reason: Refusal }
