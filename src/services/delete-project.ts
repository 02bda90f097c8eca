import type { Env } from '../env'
import { traceKey } from '../blob/keys'
import { deleteProjectRows } from '../db/project-deletion'
import { jobObject, repoObject } from '../objects/stubs'

/** R2 deletes at most this many keys per call. */
const R2_DELETE_BATCH = 1000

/**
 * Projects::DestroyService: the project's D1 rows go in one batch first (from then on every read
 * of the project is 404 and its job tokens stop working); what remains outside D1 — the R2 logs
 * and artifacts, the job objects' live logs and alarms, the repository object — is returned as a
 * task to run after the response, as GitLab's destroy runs in a worker after its 202.
 */
export async function deleteProject(env: Env, projectId: number): Promise<() => Promise<void>> {
  const remnants = await deleteProjectRows(env.DB, projectId)
  return async () => {
    const keys = [...new Set([...remnants.blobKeys, ...remnants.jobIds.map(traceKey)])]
    for (let at = 0; at < keys.length; at += R2_DELETE_BATCH) await env.BLOBS.delete(keys.slice(at, at + R2_DELETE_BATCH))
    await Promise.all(remnants.jobIds.map((jobId) => jobObject(env, jobId).forget()))
    await repoObject(env, projectId).destroy()
  }
}
