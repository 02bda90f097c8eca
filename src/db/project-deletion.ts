/**
 * Everything D1 holds of one project, removed in one batch (Projects::DestroyService). A table
 * that gains a project's rows gets its line here; rows keyed by a pipeline, a job or an
 * environment go through those parents' ids, so the order below deletes children first.
 */

/** What lives outside D1 and must go too: the jobs (their objects, logs and artifacts). */
export interface ProjectRemnants {
  jobIds: number[]
}

const PIPELINES = 'SELECT id FROM pipelines WHERE project_id = ?1'
const JOBS = 'SELECT id FROM jobs WHERE project_id = ?1'
const RUNNERS = "SELECT id FROM runners WHERE runner_type = 'project_type' AND project_id = ?1"
const HOOKS = 'SELECT id FROM web_hooks WHERE project_id = ?1'

/** Other projects' rows that point at this project's pipelines let go of them (as a pipeline's deletion does). */
const DETACHMENTS = [
  `UPDATE pipelines SET parent_pipeline_id = NULL, source_job_id = NULL WHERE parent_pipeline_id IN (${PIPELINES}) AND project_id <> ?1`,
  `UPDATE pipelines SET auto_canceled_by_id = NULL WHERE auto_canceled_by_id IN (${PIPELINES}) AND project_id <> ?1`,
  `UPDATE jobs SET downstream_pipeline_id = NULL WHERE downstream_pipeline_id IN (${PIPELINES}) AND project_id <> ?1`,
]

/** A table's rows of the project, one statement each: `DELETE FROM t WHERE project_id = ?1`. */
const ofProject = (...tables: string[]) => tables.map((table) => `DELETE FROM ${table} WHERE project_id = ?1`)
/** A table's rows under the project's parents (a subquery of their ids), one statement each. */
const under = (parents: string, column: string, ...tables: string[]) =>
  tables.map((table) => `DELETE FROM ${table} WHERE ${column} IN (${parents})`)

const DELETIONS = [
  ...under(JOBS, 'job_id', 'job_dotenv_variables', 'job_environments'),
  ...ofProject('deployments', 'environments', 'resource_groups', 'job_artifacts', 'jobs'),
  ...under(PIPELINES, 'pipeline_id', 'pipeline_stages', 'pipeline_yaml_errors'),
  ...ofProject('pipelines', 'pipeline_triggers', 'commits', 'protected_branches', 'protected_tags', 'ci_variables', 'cluster_agents'),
  // The project's own runners go with it (their only project); instance runners stay.
  ...under(RUNNERS, 'runner_id', 'runner_managers'),
  ...under(RUNNERS, 'id', 'runners'),
  "DELETE FROM runner_queue_ticks WHERE scope = 'project:' || ?1",
  // Its webhooks with their events and delivery logs (a queued delivery then finds nothing to send).
  ...under(HOOKS, 'hook_id', 'web_hook_logs', 'web_hook_events'),
  ...ofProject('web_hooks', 'project_ci_settings', 'project_members'),
  'DELETE FROM projects WHERE id = ?1',
]

/** The tables a project's deletion clears (a test holds every table of schema.sql to this list or to the instance's). */
export const PROJECT_TABLES: readonly string[] = DELETIONS.map((sql) => /^DELETE FROM (\w+)/.exec(sql)![1])

/**
 * Removes the project's rows in one batch (a transaction: all or nothing), reading in the same
 * batch what lives outside D1, so no job created meanwhile is missed.
 */
export async function deleteProjectRows(db: D1Database, projectId: number): Promise<ProjectRemnants> {
  const [jobs] = await db.batch<{ id?: number }>([
    db.prepare('SELECT id FROM jobs WHERE project_id = ?').bind(projectId),
    ...[...DETACHMENTS, ...DELETIONS].map((sql) => db.prepare(sql).bind(projectId)),
  ])
  return { jobIds: jobs.results.map((row) => row.id!) }
}
