import type { Env } from '../env'
import { deleteProjectRows } from '../db/project-deletion'
import { jobObject, repoObject } from '../objects/stubs'

/**
 * Projects::DestroyService: the project's D1 rows go in one batch first (from then on every read
 * of the project is 404 and its job tokens stop working); what remains outside D1 — each job's
 * live log, alarm, log and artifacts in R2 (JobObject#destroy, as a pipeline's deletion does),
 * the repository object — is returned as a task to run after the response, as GitLab's destroy
 * runs in a worker after its 202.
 */
export async function deleteProject(env: Env, projectId: number): Promise<() => Promise<void>> {
  const remnants = await deleteProjectRows(env.DB, projectId)
  return async () => {
    await Promise.all(remnants.jobIds.map((jobId) => jobObject(env, jobId).destroy(jobId)))
    await repoObject(env, projectId).destroy()
  }
}
