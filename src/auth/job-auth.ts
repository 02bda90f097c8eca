import type { Env } from '../env'
import { isExecuting } from '../ci/statuses'
import { runnerJobRow, touchExecutingJobStatement, touchRunnerContactStatement, type RunnerJobRow } from '../db/runner-jobs'
import { ApiError } from '../http/errors'
import { digestsEqual, tokenDigest } from './tokens'

/**
 * Job-token authentication of the runner's job calls (lib/api/ci/helpers/runner.rb
 * `authenticate_job!`, app/finders/ci/auth_job_finder.rb). Every refusal is 403, never 404: the
 * runner treats 404 as "maybe a proxy", 403 as "stop this job". When the job exists the reply
 * carries `Job-Status`, so a runner whose job was hard-canceled (its token already revoked) sees
 * `Job-Status: canceled` and aborts.
 */

export type { RunnerJobRow }

export interface AuthenticatedJob extends RunnerJobRow {
  /** the job token as presented (to mask it in the log) */
  token: string
}

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
  const row = await runnerJobRow(env.DB, jobId)
  if (!row) throw ApiError.forbidden()
  const digest = token ? await tokenDigest(token) : ''
  if (!row.token_digest || !digestsEqual(row.token_digest, digest)) throw jobForbidden(row.status)
  if (row.erased_at) throw jobForbidden(row.status, 'Job has been erased!')
  if (!isExecuting(row.status)) throw jobForbidden(row.status, 'Job is not processing on runner')
  return { ...row, token }
}

/**
 * Keeps `updated_at` fresh for the stuck-job rules (Ci::Build#needs_touch?). Written without a
 * lock_version bump: it changes no state, and a transition sets updated_at itself.
 */
const TOUCH_INTERVAL_MS = 60_000

export function touchJobStatement(env: Env, job: RunnerJobRow, now: number): D1PreparedStatement | null {
  if (now - job.updated_at < TOUCH_INTERVAL_MS) return null
  return touchExecutingJobStatement(env.DB, job.id, now, now - TOUCH_INTERVAL_MS)
}

/** The runner of the job is alive too (authenticate_job!(heartbeat_runner: true)). */
export function touchRunnerOfJobStatement(env: Env, job: RunnerJobRow, now: number): D1PreparedStatement | null {
  if (job.runner_id === null) return null
  if (job.runner_contacted_at !== null && now - job.runner_contacted_at < TOUCH_INTERVAL_MS) return null
  return touchRunnerContactStatement(env.DB, job.runner_id, now, now - TOUCH_INTERVAL_MS)
}

