import type { Env } from '../env'
import type { JobRow } from '../db/jobs'
import type { RunnerRow } from '../db/runners'
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
}

export interface Assigned {
  job: JobRow
  token: string
  timeout: number
  queue: { size: number; depth: number }
}

export type PickResult = { assigned: Assigned } | { assigned: null; lastUpdate: string }

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
      `SELECT j.id
       FROM jobs j JOIN projects p ON p.id = j.project_id
       WHERE ${where.join(' AND ')} AND p.builds_enabled = 1
       ORDER BY j.id LIMIT ${CANDIDATES}`,
    )
    .bind(...binds)
}

export async function pickJob(env: Env, runner: RunnerRow, managerId: number | null): Promise<PickResult> {
  const { results } = await candidatesStatement(env.DB, runner).all<CandidateRow>()
  for (const [depth, candidate] of results.entries()) {
    // The object sets the job's timeout: its `timeout:` or the project's, capped by the runner's.
    const won = await jobObject(env, candidate.id).assign(candidate.id, { runnerId: runner.id, runnerManagerId: managerId, timeout: runner.maximum_timeout })
    if (won) return { assigned: { ...won, timeout: won.job.timeout ?? 3600, queue: { size: results.length, depth } } }
  }
  return { assigned: null, lastUpdate: await queueValue(runner, results.map((row) => row.id)) }
}

/**
 * `X-GitLab-Last-Update`: GitLab keeps a random value per runner that changes when a job this
 * runner could take is queued. Ours is derived from what this runner could see (its candidate
 * ids), so it stays the same between polls until the runner's queue changes.
 */
export async function queueValue(runner: Pick<RunnerRow, 'id' | 'paused'>, candidateIds: number[]): Promise<string> {
  const text = `${runner.id}:${runner.paused}:${candidateIds.join(',')}`
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return Array.from(hash.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')
}
