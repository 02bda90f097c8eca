import type { JobRow } from './jobs'
import { globPattern } from './protected-branches'
import type { RunnerRow } from './runners'

/**
 * The runners' queue in SQL: the pending builds a runner may take, read from the partial index
 * `jobs_pending_queue`, and whether any online runner could take a job (services/job-queue.ts).
 */

/** Candidates read per request (GitLab walks at most 45). */
const CANDIDATES = 10

/** Every job tag is one of the runner's tags (both JSON arrays). */
function tagsFit(jobTags: string, runnerTags: string): string {
  return `NOT EXISTS (SELECT 1 FROM json_each(${jobTags}) t WHERE t.value NOT IN (SELECT value FROM json_each(${runnerTags})))`
}

/**
 * The job's pipeline runs on a protected branch: what a `ref_protected` runner requires
 * (Ci::Runner access_level, matched as GitLab's queue matches `protected` builds).
 */
function onProtectedRef(pipelineId: string): string {
  return `EXISTS (SELECT 1 FROM pipelines pp JOIN protected_branches pb ON pb.project_id = pp.project_id AND pp.ref GLOB ${globPattern('pb.name')}
    WHERE pp.id = ${pipelineId} AND pp.tag = 0)`
}

/** Runners contacted within this long are online (Ci::Runner::ONLINE_CONTACT_TIMEOUT). */
export const ONLINE_CONTACT_TIMEOUT_MS = 2 * 60 * 60 * 1000

/**
 * Whether an online, unpaused runner could take this job (scope, tags, run_untagged): the
 * "stuck pending with no matching runner" rule asks it.
 */
export async function anyOnlineRunnerCanTake(db: D1Database, job: Pick<JobRow, 'project_id' | 'tag_list' | 'pipeline_id'>, now: number): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS fits FROM runners r WHERE r.paused = 0 AND r.contacted_at > ?1
       AND (r.runner_type = 'instance_type' OR r.project_id = ?2)
       AND (r.run_untagged = 1 OR ?3 <> '[]') AND ${tagsFit('?3', 'r.tag_list')}
       AND (r.access_level <> 'ref_protected' OR ${onProtectedRef('?4')}) LIMIT 1`,
    )
    .bind(now - ONLINE_CONTACT_TIMEOUT_MS, job.project_id, job.tag_list, job.pipeline_id)
    .first()
  return row !== null
}

/**
 * Which pending builds a runner may run: instance runners any project's, project runners their
 * project's; every job tag must be a runner tag; untagged jobs only with run_untagged.
 */
export function candidatesStatement(db: D1Database, runner: RunnerRow): D1PreparedStatement {
  const where = [
    "j.status = 'pending'",
    "j.type = 'build'",
    tagsFit('j.tag_list', '?1'),
  ]
  const binds: unknown[] = [runner.tag_list]
  if (runner.run_untagged !== 1) where.push("j.tag_list <> '[]'")
  if (runner.access_level === 'ref_protected') where.push(onProtectedRef('j.pipeline_id'))
  if (runner.runner_type === 'project_type') {
    where.push('j.project_id = ?2')
    binds.push(runner.project_id)
  }
  return db
    .prepare(
      `SELECT j.id, j.pipeline_id, j.options
       FROM jobs j JOIN projects p ON p.id = j.project_id
       WHERE ${where.join(' AND ')} AND p.builds_enabled = 1
       ORDER BY j.id LIMIT ${CANDIDATES}`,
    )
    .bind(...binds)
}
