/**
 * Resource groups: taking and giving back the one resource of a group. Taking is one guarded
 * UPDATE, so two jobs racing for a free group cannot both win; a holder that has finished
 * without giving it back (a lost release) no longer holds it. Source: gitlabhq
 * app/models/ci/resource_group.rb, app/services/ci/resource_groups/assign_resource_from_resource_group_service.rb.
 */

export interface ResourceGroupRow {
  id: number
  project_id: number
  key: string
  process_mode: 'unordered' | 'oldest_first' | 'newest_first' | 'newest_ready_first'
  holder_job_id: number | null
  created_at: number
  updated_at: number
}

const DONE = "('success', 'failed', 'canceled', 'skipped')"

/**
 * True when `jobId` now holds the group's resource (creating the group on first use). Under
 * `oldest_first`/`newest_first` a job waits while an earlier (later) pipeline's job of the group
 * is still to run; under `newest_ready_first` only while a later pipeline's job is already
 * waiting for the resource (Ci::ResourceGroup#upcoming_processables).
 */
export async function takeResource(db: D1Database, projectId: number, key: string, job: { id: number; pipelineId: number }, now: number): Promise<boolean> {
  const [, taken] = await db.batch<{ holder_job_id: number }>([
    db.prepare('INSERT OR IGNORE INTO resource_groups (project_id, key, created_at, updated_at) VALUES (?, ?, ?, ?)').bind(projectId, key, now, now),
    db
      .prepare(
        `UPDATE resource_groups SET holder_job_id = ?3, updated_at = ?4
         WHERE project_id = ?1 AND key = ?2
           AND (holder_job_id IS NULL OR holder_job_id = ?3 OR (SELECT status FROM jobs WHERE id = holder_job_id) IN ${DONE})
           AND NOT EXISTS (
             SELECT 1 FROM jobs w WHERE w.project_id = ?1 AND w.id != ?3 AND json_extract(w.options, '$.resource_group') = ?2
               AND w.status IN ('waiting_for_resource', 'created', 'scheduled')
               AND ((process_mode = 'oldest_first' AND w.pipeline_id < ?5) OR (process_mode = 'newest_first' AND w.pipeline_id > ?5)
                 OR (process_mode = 'newest_ready_first' AND w.pipeline_id > ?5 AND w.status = 'waiting_for_resource')))
         RETURNING holder_job_id`,
      )
      .bind(projectId, key, job.id, now, job.pipelineId),
  ])
  return taken.results.length > 0
}

/** Gives the resource back and names the waiting job to try next (by the group's process mode), if any. */
export async function releaseResource(db: D1Database, projectId: number, key: string, jobId: number, now: number): Promise<number | null> {
  const [, next] = await db.batch<{ id: number }>([
    db.prepare('UPDATE resource_groups SET holder_job_id = NULL, updated_at = ? WHERE project_id = ? AND key = ? AND holder_job_id = ?').bind(now, projectId, key, jobId),
    db
      .prepare(
        `SELECT w.id FROM jobs w, resource_groups g WHERE g.project_id = ?1 AND g.key = ?2 AND g.holder_job_id IS NULL
           AND w.project_id = ?1 AND w.status = 'waiting_for_resource' AND json_extract(w.options, '$.resource_group') = ?2
         ORDER BY CASE WHEN g.process_mode IN ('newest_first', 'newest_ready_first') THEN -w.pipeline_id ELSE w.pipeline_id END, w.id LIMIT 1`,
      )
      .bind(projectId, key),
  ])
  return next.results[0]?.id ?? null
}

export function resourceGroupsStatement(db: D1Database, projectId: number): D1PreparedStatement {
  return db.prepare('SELECT * FROM resource_groups WHERE project_id = ? ORDER BY id').bind(projectId)
}

export function updateProcessModeStatement(db: D1Database, projectId: number, key: string, mode: string, now: number): D1PreparedStatement {
  return db.prepare('UPDATE resource_groups SET process_mode = ?, updated_at = ? WHERE project_id = ? AND key = ? RETURNING *').bind(mode, now, projectId, key)
}

/**
 * Ci::ResourceGroup#upcoming_processables, a page of them: `unordered` and `newest_ready_first`
 * take the jobs waiting for the resource, `oldest_first`/`newest_first` also those still to come
 * (created, scheduled); ordered by pipeline (oldest or newest first), waiting ones first within one.
 */
export function upcomingJobsStatement(db: D1Database, group: ResourceGroupRow, limit: number, offset: number, select: string): D1PreparedStatement {
  const statuses = group.process_mode === 'oldest_first' || group.process_mode === 'newest_first'
    ? "('waiting_for_resource', 'created', 'scheduled')"
    : "('waiting_for_resource')"
  const order = {
    unordered: 'j.id',
    oldest_first: "j.pipeline_id ASC, CASE j.status WHEN 'waiting_for_resource' THEN 0 ELSE 1 END, j.id",
    newest_first: "j.pipeline_id DESC, CASE j.status WHEN 'waiting_for_resource' THEN 0 ELSE 1 END, j.id",
    newest_ready_first: 'j.pipeline_id DESC, j.id',
  }[group.process_mode]
  return db
    .prepare(
      `${select} WHERE j.project_id = ? AND j.retried = 0 AND j.status IN ${statuses} AND json_extract(j.options, '$.resource_group') = ?
       ORDER BY ${order} LIMIT ? OFFSET ?`,
    )
    .bind(group.project_id, group.key, limit, offset)
}
