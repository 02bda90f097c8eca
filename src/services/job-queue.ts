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

/**
 * Which pending builds a runner may run: instance runners any project's, project runners their
 * project's; every job tag must be a runner tag; untagged jobs only with run_untagged.
 */
function candidatesStatement(db: D1Database, runner: RunnerRow): D1PreparedStatement {
  const where = [
    "j.status = 'pending'",
    "j.type = 'build'",
    'NOT EXISTS (SELECT 1 FROM json_each(j.tag_list) t WHERE t.value NOT IN (SELECT value FROM json_each(?1)))',
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
