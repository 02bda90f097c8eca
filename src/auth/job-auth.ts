import type { Env } from '../env'
import type { JobStatus } from '../ci/statuses'
import { ApiError } from '../http/errors'
import { digestsEqual, tokenDigest } from './tokens'

/**
 * Job-token authentication of the runner's job calls (lib/api/ci/helpers/runner.rb
 * `authenticate_job!`, app/finders/ci/auth_job_finder.rb). Every refusal is 403, never 404: the
 * runner treats 404 as "maybe a proxy", 403 as "stop this job". When the job exists the reply
 * carries `Job-Status`, so a runner whose job was hard-canceled (its token already revoked) sees
 * `Job-Status: canceled` and aborts.
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
}

export interface AuthenticatedJob extends RunnerJobRow {
  /** the job token as presented (to mask it in the log) */
  token: string
}

const EXECUTING: readonly JobStatus[] = ['running', 'canceling']

/** The job token of a runner call: `JOB-TOKEN` header, else the `token` param. */
export function presentedJobToken(request: Request, params: Record<string, unknown> = {}): string {
  const header = request.headers.get('JOB-TOKEN')
  if (header) return header
  const param = params.token ?? new URL(request.url).searchParams.get('token')
  return typeof param === 'string' ? param : ''
}

export function jobForbidden(status: string | undefined, reason?: string): ApiError {
  const error = ApiError.forbidden(reason)
  return status ? error.withHeaders({ 'Job-Status': status }) : error
}

export async function authenticateJob(env: Env, jobId: number, token: string): Promise<AuthenticatedJob> {
  const row = await env.DB
    .prepare(
      `SELECT j.id, j.project_id, j.pipeline_id, j.status, j.token_digest, j.erased_at, j.runner_id, j.updated_at,
         (SELECT contacted_at FROM runners WHERE id = j.runner_id) AS runner_contacted_at, p.runners_token_digest,
         (SELECT max_artifacts_size FROM application_settings WHERE id = 1) AS max_artifacts_size,
         (SELECT ci_jobs_trace_size_limit FROM application_settings WHERE id = 1) AS ci_jobs_trace_size_limit
       FROM jobs j JOIN projects p ON p.id = j.project_id WHERE j.id = ? AND j.type = 'build'`,
    )
    .bind(jobId)
    .first<RunnerJobRow>()
  if (!row) throw ApiError.forbidden()
  const digest = token ? await tokenDigest(token) : ''
  if (!row.token_digest || !digestsEqual(row.token_digest, digest)) throw jobForbidden(row.status)
  if (row.erased_at) throw jobForbidden(row.status, 'Job has been erased!')
  if (!EXECUTING.includes(row.status)) throw jobForbidden(row.status, 'Job is not processing on runner')
  return { ...row, token }
}

/**
 * Keeps `updated_at` fresh for the stuck-job rules (Ci::Build#needs_touch?). Written without a
 * lock_version bump: it changes no state, and a transition sets updated_at itself.
 */
const TOUCH_INTERVAL_MS = 60_000

export function touchJobStatement(env: Env, job: RunnerJobRow, now: number): D1PreparedStatement | null {
  if (now - job.updated_at < TOUCH_INTERVAL_MS) return null
  return env.DB
    .prepare("UPDATE jobs SET updated_at = ? WHERE id = ? AND status IN ('running', 'canceling') AND updated_at < ?")
    .bind(now, job.id, now - TOUCH_INTERVAL_MS)
}

/** The runner of the job is alive too (authenticate_job!(heartbeat_runner: true)). */
export function touchRunnerOfJobStatement(env: Env, job: RunnerJobRow, now: number): D1PreparedStatement | null {
  if (job.runner_id === null) return null
  if (job.runner_contacted_at !== null && now - job.runner_contacted_at < TOUCH_INTERVAL_MS) return null
  return env.DB
    .prepare('UPDATE runners SET contacted_at = ? WHERE id = ? AND (contacted_at IS NULL OR contacted_at < ?)')
    .bind(now, job.runner_id, now - TOUCH_INTERVAL_MS)
}

/** enable_debug_trace!: a column of the job, not a status change (no lock_version bump). */
export function enableDebugTraceStatement(env: Env, jobId: number): D1PreparedStatement {
  return env.DB.prepare('UPDATE jobs SET debug_trace_enabled = 1 WHERE id = ? AND debug_trace_enabled = 0').bind(jobId)
}
