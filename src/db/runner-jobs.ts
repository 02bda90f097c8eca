import { DEFAULT_GIT_DEPTH } from './projects'
import type { JobStatus } from '../ci/statuses'

/**
 * The runner's job calls (auth/job-auth.ts): the job with what authenticating and limiting it
 * needs, in one statement, and the heartbeat writes.
 */
export interface RunnerJobRow {
  id: number
  project_id: number
  pipeline_id: number
  status: JobStatus
  token_digest: string | null
  erased_at: number | null
  runner_id: number | null
  updated_at: number
  runner_contacted_at: number | null
  /** the project's registration token digest (masked in logs) */
  runners_token_digest: string | null
  /** application settings, MB; null = default */
  max_artifacts_size: number | null
  ci_jobs_trace_size_limit: number | null
  /**
   * JSON list of the encrypted values of the masked variables a job of this project may receive
   * (the project's and the instance's, whatever their scope: masking a value the job did not get
   * hides nothing it should show), to mask in its stored log.
   */
  masked_values: string
}

export function runnerJobRow(db: D1Database, jobId: number): Promise<RunnerJobRow | null> {
  return db
    .prepare(
      `SELECT j.id, j.project_id, j.pipeline_id, j.status, j.token_digest, j.erased_at, j.runner_id, j.updated_at,
         (SELECT contacted_at FROM runners WHERE id = j.runner_id) AS runner_contacted_at, p.runners_token_digest,
         (SELECT max_artifacts_size FROM application_settings WHERE id = 1) AS max_artifacts_size,
         (SELECT ci_jobs_trace_size_limit FROM application_settings WHERE id = 1) AS ci_jobs_trace_size_limit,
         (SELECT json_group_array(value) FROM (
            SELECT value FROM ci_variables WHERE project_id = j.project_id AND masked = 1
            UNION ALL SELECT value FROM ci_instance_variables WHERE masked = 1)) AS masked_values
       FROM jobs j JOIN projects p ON p.id = j.project_id WHERE j.id = ? AND j.type = 'build'`,
    )
    .bind(jobId)
    .first<RunnerJobRow>()
}

/** updated_at of a running or canceling job, when older than `staleBefore` (no lock_version bump). */
export function touchExecutingJobStatement(db: D1Database, jobId: number, now: number, staleBefore: number): D1PreparedStatement {
  return db
    .prepare("UPDATE jobs SET updated_at = ? WHERE id = ? AND status IN ('running', 'canceling') AND updated_at < ?")
    .bind(now, jobId, staleBefore)
}

export function touchRunnerContactStatement(db: D1Database, runnerId: number, now: number, staleBefore: number): D1PreparedStatement {
  return db
    .prepare('UPDATE runners SET contacted_at = ? WHERE id = ? AND (contacted_at IS NULL OR contacted_at < ?)')
    .bind(now, runnerId, staleBefore)
}

/** enable_debug_trace!: a column of the job, not a status change (no lock_version bump). */
export function enableDebugTraceStatement(db: D1Database, jobId: number): D1PreparedStatement {
  return db.prepare('UPDATE jobs SET debug_trace_enabled = 1 WHERE id = ? AND debug_trace_enabled = 0').bind(jobId)
}

/** The pipeline, project and user of a job, for its runner payload (one batch with the rest). */
export function payloadRowsStatements(db: D1Database, job: { pipeline_id: number; project_id: number; user_id: number | null }): D1PreparedStatement[] {
  return [
    db.prepare('SELECT * FROM pipelines WHERE id = ?').bind(job.pipeline_id),
    db.prepare(
      `SELECT p.*, COALESCE((SELECT default_git_depth FROM project_ci_settings WHERE project_id = p.id), ${DEFAULT_GIT_DEPTH}) AS ci_default_git_depth
       FROM projects p WHERE p.id = ?`,
    ).bind(job.project_id),
    db.prepare('SELECT * FROM users WHERE id = ?').bind(job.user_id),
  ]
}
