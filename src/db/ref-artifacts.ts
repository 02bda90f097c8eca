import type { ArtifactRow } from './artifacts'

/**
 * "The job's artifacts for a ref" (lib/api/ci/job_artifacts.rb, Project#latest_successful_build_for_ref):
 * the archive of the latest (not retried) build named `job` that still has one, searched in the
 * newest successful pipeline of the ref and its child pipelines (parent first), or, with
 * `search_recent_successful_pipelines`, in the recent successful pipelines of the ref, newest first.
 */
/** The archive, with its job's options (`artifacts:access` decides who may read it). */
export type RefArchiveRow = ArtifactRow & { job_options: string }

/** Ci::Pipeline.newest_first's default window. */
const RECENT_PIPELINES = 100

export function refArchiveStatement(
  db: D1Database,
  project: { sql: string; value: string | number },
  query: { ref: string; job: string; searchRecent: boolean; now: number },
): D1PreparedStatement {
  // `project.sql` selects the project with one placeholder: here ?1.
  const projectId = project.sql.replace('?', '?1')
  const archive = `SELECT a.*, j.options AS job_options FROM jobs j JOIN job_artifacts a ON a.job_id = j.id AND a.file_type = 'archive' AND (a.expire_at IS NULL OR a.expire_at > ?4)
    WHERE j.pipeline_id IN (SELECT id FROM candidates) AND j.project_id = ${projectId} AND j.type = 'build' AND j.name = ?3 AND j.retried = 0`
  const sql = query.searchRecent
    ? `WITH candidates AS (
         SELECT id FROM pipelines WHERE project_id = ${projectId} AND ref = ?2 AND status = 'success' ORDER BY id DESC LIMIT ${RECENT_PIPELINES}
       )
       ${archive} ORDER BY j.pipeline_id DESC, j.id DESC LIMIT 1`
    : `WITH RECURSIVE latest AS (
         -- A child pipeline is its parent's: the newest successful pipeline is searched with its children.
         SELECT id FROM pipelines WHERE project_id = ${projectId} AND ref = ?2 AND status = 'success' AND source <> 'parent_pipeline'
         ORDER BY id DESC LIMIT 1
       ), candidates(id) AS (
         SELECT id FROM latest
         UNION SELECT p.id FROM pipelines p JOIN candidates c ON p.parent_pipeline_id = c.id
         WHERE p.project_id = ${projectId} AND p.source = 'parent_pipeline'
       )
       ${archive} ORDER BY j.pipeline_id ASC, j.id DESC LIMIT 1`
  return db.prepare(sql).bind(project.value, query.ref, query.job, query.now)
}
