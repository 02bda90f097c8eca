import type { Env } from '../env'
import type { JobRow } from '../db/jobs'
import type { RunnerRow } from '../db/runners'
import type { JobOptions } from '../ci/types'
import { queueTickStatement, type QueueScope } from '../db/queue-ticks'
import { jobObject } from '../objects/JobObject'

/**
 * The runners' queue (Ci::RegisterJobService, simplified): the oldest pending builds this runner
 * may take, read a few at a time from the partial index `jobs_pending_queue`, then handed out
 * through each job's JobObject, whose `assign` lets exactly one caller win. A runner that loses a
 * race simply tries the next candidate.
 */

/** Candidates read per request (GitLab walks at most 45). */
const CANDIDATES = 10

interface CandidateRow {
  id: number
  options: string
}

export interface Assigned {
  job: JobRow
  token: string
  timeout: number
  queue: { size: number; depth: number }
}

/** `dropped`: candidates failed as runner_unsupported (their pipelines need processing). */
export type PickResult = ({ assigned: Assigned } | { assigned: null; lastUpdate: string }) & { dropped: number[] }

/** Every job tag is one of the runner's tags (both JSON arrays). */
function tagsFit(jobTags: string, runnerTags: string): string {
  return `NOT EXISTS (SELECT 1 FROM json_each(${jobTags}) t WHERE t.value NOT IN (SELECT value FROM json_each(${runnerTags})))`
}

/** Runners contacted within this long are online (Ci::Runner::ONLINE_CONTACT_TIMEOUT). */
const ONLINE_CONTACT_TIMEOUT_MS = 2 * 60 * 60 * 1000

/**
 * Whether an online, unpaused runner could take this job (scope, tags, run_untagged): the
 * "stuck pending with no matching runner" rule asks it.
 */
export async function anyOnlineRunnerCanTake(db: D1Database, job: Pick<JobRow, 'project_id' | 'tag_list'>, now: number): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS fits FROM runners r WHERE r.paused = 0 AND r.contacted_at > ?1
       AND (r.runner_type = 'instance_type' OR r.project_id = ?2)
       AND (r.run_untagged = 1 OR ?3 <> '[]') AND ${tagsFit('?3', 'r.tag_list')} LIMIT 1`,
    )
    .bind(now - ONLINE_CONTACT_TIMEOUT_MS, job.project_id, job.tag_list)
    .first()
  return row !== null
}

/**
 * Which pending builds a runner may run: instance runners any project's, project runners their
 * project's; every job tag must be a runner tag; untagged jobs only with run_untagged.
 */
function candidatesStatement(db: D1Database, runner: RunnerRow): D1PreparedStatement {
  const where = [
    "j.status = 'pending'",
    "j.type = 'build'",
    tagsFit('j.tag_list', '?1'),
  ]
  const binds: unknown[] = [runner.tag_list]
  if (runner.run_untagged !== 1) where.push("j.tag_list <> '[]'")
  if (runner.runner_type === 'project_type') {
    where.push('j.project_id = ?2')
    binds.push(runner.project_id)
  }
  return db
    .prepare(
      `SELECT j.id, j.options
       FROM jobs j JOIN projects p ON p.id = j.project_id
       WHERE ${where.join(' AND ')} AND p.builds_enabled = 1
       ORDER BY j.id LIMIT ${CANDIDATES}`,
    )
    .bind(...binds)
}

/**
 * Ci::Build::RUNNER_FEATURES (app/models/ci/build.rb): what a build needs the runner to support.
 * `refspecs` (merge request refs) and `multi_build_steps` (`release:`) never apply here.
 */
export function requiredRunnerFeatures(options: JobOptions): string[] {
  const needed: string[] = []
  const reports = options.artifacts?.reports ?? {}
  if (Object.values(reports).some((paths) => paths !== undefined && (!Array.isArray(paths) || paths.length > 0))) needed.push('upload_multiple_artifacts')
  if ((options.artifacts?.exclude.length ?? 0) > 0) needed.push('artifacts_exclude')
  if ((options.allow_failure_exit_codes?.length ?? 0) > 0 || (options.retry?.exitCodes.length ?? 0) > 0) needed.push('return_exit_code')
  if ((options.cache ?? []).some((cache) => cache.fallback_keys.length > 0)) needed.push('fallback_cache_keys')
  return needed
}

/** Ci::Build#supported_runner?: every required feature is truthy in the request's `info.features`. */
function supportedBy(options: JobOptions, features: Record<string, unknown> | null): boolean {
  return requiredRunnerFeatures(options).every((name) => Boolean(features?.[name]))
}

function queueScope(runner: Pick<RunnerRow, 'runner_type' | 'project_id'>): QueueScope {
  return runner.runner_type === 'instance_type' ? 'instance' : `project:${runner.project_id ?? 0}`
}

/**
 * Hands out the oldest candidate this runner supports. A candidate needing a feature the runner
 * lacks is dropped with `runner_unsupported`, as RegisterJobService does, and the next one tried.
 */
export async function pickJob(env: Env, runner: RunnerRow, managerId: number | null, features: Record<string, unknown> | null): Promise<PickResult> {
  // The queue value is read before the candidates, as GitLab takes new_update before the search.
  const [tick, candidates] = await env.DB.batch([queueTickStatement(env.DB, queueScope(runner)), candidatesStatement(env.DB, runner)])
  const lastUpdate = queueValueOf(tick.results[0] as { tick: number } | undefined)
  const results = candidates.results as CandidateRow[]
  const dropped: number[] = []
  for (const [depth, candidate] of results.entries()) {
    if (!supportedBy(JSON.parse(candidate.options) as JobOptions, features)) {
      if (await jobObject(env, candidate.id).dropPending(candidate.id, 'runner_unsupported')) dropped.push(candidate.id)
      continue
    }
    // The object sets the job's timeout: its `timeout:` or the project's, capped by the runner's.
    const won = await jobObject(env, candidate.id).assign(candidate.id, { runnerId: runner.id, runnerManagerId: managerId, timeout: runner.maximum_timeout })
    if (won) return { assigned: { ...won, timeout: won.job.timeout ?? 3600, queue: { size: results.length, depth } }, dropped }
  }
  return { assigned: null, lastUpdate, dropped }
}

/** The counter as 32 hex digits, the shape of GitLab's SecureRandom.hex value. */
function queueValueOf(row: { tick: number } | undefined): string {
  return (row?.tick ?? 0).toString(16).padStart(32, '0')
}

/** `X-GitLab-Last-Update` of a runner that takes nothing now (paused): its scope's counter. */
export async function queueValue(env: Env, runner: Pick<RunnerRow, 'runner_type' | 'project_id'>): Promise<string> {
  return queueValueOf((await queueTickStatement(env.DB, queueScope(runner)).first<{ tick: number }>()) ?? undefined)
}
