/**
 * Everything D1 holds of one project, removed in one batch (Projects::DestroyService). A table
 * that gains a project's rows gets its line here; rows keyed by a pipeline, a job or an
 * environment go through those parents' ids, so the order below deletes children first.
 */

/** What lives outside D1 and must go too: the jobs (their objects and R2 keys) and the R2 keys on record. */
export interface ProjectRemnants {
  jobIds: number[]
  blobKeys: string[]
}

const PIPELINES = 'SELECT id FROM pipelines WHERE project_id = ?1'
const JOBS = 'SELECT id FROM jobs WHERE project_id = ?1'
const RUNNERS = "SELECT id FROM runners WHERE runner_type = 'project_type' AND project_id = ?1"

const DELETIONS = [
  `DELETE FROM job_dotenv_variables WHERE job_id IN (${JOBS})`,
  `DELETE FROM job_environments WHERE job_id IN (${JOBS})`,
  'DELETE FROM deployments WHERE project_id = ?1',
  'DELETE FROM environments WHERE project_id = ?1',
  'DELETE FROM resource_groups WHERE project_id = ?1',
  'DELETE FROM job_artifacts WHERE project_id = ?1',
  'DELETE FROM jobs WHERE project_id = ?1',
  `DELETE FROM pipeline_stages WHERE pipeline_id IN (${PIPELINES})`,
  `DELETE FROM pipeline_yaml_errors WHERE pipeline_id IN (${PIPELINES})`,
  'DELETE FROM pipelines WHERE project_id = ?1',
  'DELETE FROM commits WHERE project_id = ?1',
  'DELETE FROM protected_branches WHERE project_id = ?1',
  'DELETE FROM cluster_agents WHERE project_id = ?1',
  // The project's own runners go with it (their only project); instance runners stay.
  `DELETE FROM runner_managers WHERE runner_id IN (${RUNNERS})`,
  `DELETE FROM runners WHERE id IN (${RUNNERS})`,
  "DELETE FROM runner_queue_ticks WHERE scope = 'project:' || ?1",
  'DELETE FROM project_ci_settings WHERE project_id = ?1',
  'DELETE FROM project_members WHERE project_id = ?1',
  'DELETE FROM projects WHERE id = ?1',
]

/** The tables a project's deletion clears (a test holds every table of schema.sql to this list or to the instance's). */
export const PROJECT_TABLES: readonly string[] = DELETIONS.map((sql) => /^DELETE FROM (\w+)/.exec(sql)![1])

/**
 * Removes the project's rows in one batch (a transaction: all or nothing), reading in the same
 * batch what lives outside D1, so no job created meanwhile is missed.
 */
export async function deleteProjectRows(db: D1Database, projectId: number): Promise<ProjectRemnants> {
  const [jobs, blobs] = await db.batch<{ id?: number; blob_key?: string }>([
    db.prepare('SELECT id FROM jobs WHERE project_id = ?').bind(projectId),
    db.prepare('SELECT blob_key FROM job_artifacts WHERE project_id = ?').bind(projectId),
    ...DELETIONS.map((sql) => db.prepare(sql).bind(projectId)),
  ])
  return {
    jobIds: jobs.results.map((row) => row.id!),
    blobKeys: blobs.results.map((row) => row.blob_key!),
  }
}
