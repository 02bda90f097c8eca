/** Dotenv variables of jobs (`artifacts:reports:dotenv`; GitLab's Ci::JobVariable with source dotenv). */
export interface DotenvVariableRow {
  id: number
  job_id: number
  key: string
  value: string
}

/**
 * The report's variables, written only if its artifact row (found by `blobKey`) was: they travel
 * in the artifact's batch, after its insert.
 */
export function insertDotenvVariablesStatements(
  db: D1Database,
  job: { id: number; pipeline_id: number },
  variables: Array<{ key: string; value: string }>,
  blobKey: string,
): D1PreparedStatement[] {
  return variables.map((variable) =>
    db
      .prepare(
        `INSERT INTO job_dotenv_variables (job_id, pipeline_id, key, value)
         SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM job_artifacts WHERE job_id = ?1 AND blob_key = ?5)`,
      )
      .bind(job.id, job.pipeline_id, variable.key, variable.value, blobKey),
  )
}

/** Every dotenv variable of the pipeline's jobs (few: at most 20 per job). */
export function pipelineDotenvStatement(db: D1Database, pipelineId: number): D1PreparedStatement {
  return db.prepare('SELECT id, job_id, key, value FROM job_dotenv_variables WHERE pipeline_id = ? ORDER BY job_id, id').bind(pipelineId)
}
