import type { JobRow } from './jobs'

/**
 * A job with everything its entity shows (pipeline, user, commit, runner, runner manager,
 * artifacts, downstream pipeline, project path), read by ONE statement so that a list page is
 * one query. Related rows come back as JSON objects built by SQLite.
 */
export interface JobViewRow extends JobRow {
  project_full_path: string
  project_job_token_scope: number
  pipeline_json: string
  user_json: string | null
  commit_json: string | null
  runner_json: string | null
  runner_manager_json: string | null
  artifacts_json: string
  downstream_json: string | null
}

const PIPELINE_FIELDS = (alias: string, fullPath: string) =>
  `json_object('id', ${alias}.id, 'iid', ${alias}.iid, 'project_id', ${alias}.project_id, 'sha', ${alias}.sha,
    'ref', ${alias}.ref, 'status', ${alias}.status, 'source', ${alias}.source, 'created_at', ${alias}.created_at,
    'updated_at', ${alias}.updated_at, 'full_path', ${fullPath})`

const USER_FIELDS = (alias: string) =>
  `json_object('id', ${alias}.id, 'username', ${alias}.username, 'name', ${alias}.name, 'email', ${alias}.email,
    'is_admin', ${alias}.is_admin, 'state', ${alias}.state, 'created_at', ${alias}.created_at)`

/**
 * SELECT list + FROM for job views; append WHERE/ORDER/LIMIT on alias `j`. Related rows are
 * joined once per job (a job's pipeline is always in the job's project, so its path is `pr`'s);
 * the planner drives the query from the jobs index the WHERE clause selects.
 */
export const JOB_VIEW_SELECT = `
SELECT j.*, pr.full_path AS project_full_path, pr.ci_job_token_scope_enabled AS project_job_token_scope,
  ${PIPELINE_FIELDS('p', 'pr.full_path')} AS pipeline_json,
  CASE WHEN u.id IS NULL THEN NULL ELSE ${USER_FIELDS('u')} END AS user_json,
  CASE WHEN c.sha IS NULL THEN NULL ELSE json_object('project_id', c.project_id, 'sha', c.sha, 'parent_ids', c.parent_ids,
     'tree', '', 'title', c.title, 'message', c.message, 'author_name', c.author_name, 'author_email', c.author_email,
     'authored_date', c.authored_date, 'committer_name', c.committer_name, 'committer_email', c.committer_email,
     'committed_date', c.committed_date) END AS commit_json,
  CASE WHEN r.id IS NULL THEN NULL ELSE json_object('id', r.id, 'description', r.description, 'runner_type', r.runner_type,
     'paused', r.paused, 'created_at', r.created_at, 'contacted_at', r.contacted_at, 'token_prefix', r.token_prefix,
     'created_by', json((SELECT ${USER_FIELDS('cu')} FROM users cu WHERE cu.id = r.created_by_id))) END AS runner_json,
  CASE WHEN m.id IS NULL THEN NULL ELSE json_object('id', m.id, 'system_id', m.system_id, 'version', m.version,
     'revision', m.revision, 'platform', m.platform, 'architecture', m.architecture, 'created_at', m.created_at,
     'contacted_at', m.contacted_at, 'ip_address', m.ip_address) END AS runner_manager_json,
  (SELECT COALESCE(json_group_array(json_object('file_type', a.file_type, 'size', a.size, 'filename', a.filename,
     'file_format', a.file_format, 'expire_at', a.expire_at)), '[]')
   FROM (SELECT * FROM job_artifacts WHERE job_id = j.id ORDER BY id) a) AS artifacts_json,
  (SELECT ${PIPELINE_FIELDS('d', '(SELECT full_path FROM projects WHERE id = d.project_id)')} FROM pipelines d
   WHERE d.id = j.downstream_pipeline_id) AS downstream_json
FROM jobs j
JOIN projects pr ON pr.id = j.project_id
JOIN pipelines p ON p.id = j.pipeline_id
LEFT JOIN commits c ON c.project_id = p.project_id AND c.sha = p.sha
LEFT JOIN users u ON u.id = j.user_id
LEFT JOIN runners r ON r.id = j.runner_id
LEFT JOIN runner_managers m ON m.id = j.runner_manager_id`

export function jobViewStatement(db: D1Database, jobId: number): D1PreparedStatement {
  return db.prepare(`${JOB_VIEW_SELECT} WHERE j.id = ?`).bind(jobId)
}

export function getJobView(db: D1Database, jobId: number): Promise<JobViewRow | null> {
  return jobViewStatement(db, jobId).first<JobViewRow>()
}

/** The entity rows of the jobs `ids` (a deployments page's jobs), in one query. */
export async function jobViewsByIds(db: D1Database, ids: number[]): Promise<JobViewRow[]> {
  if (ids.length === 0) return []
  const { results } = await db.prepare(`${JOB_VIEW_SELECT} WHERE j.id IN (${ids.map(() => '?').join(', ')})`).bind(...ids).all<JobViewRow>()
  return results
}
