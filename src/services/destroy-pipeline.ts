import { destroyPipelineStatements, pipelineJobIds } from '../db/pipelines'
import type { Env } from '../env'
import { jobObject, pipelineObject, repoObject } from '../objects/stubs'

/**
 * Ci::DestroyPipelineService: the pipeline's jobs are canceled first (children too, through each
 * job's object, as CancelPipelineService#force_execute), then every job's object drops its live
 * log, alarm and R2 objects (logs, artifacts), then the rows go in one D1 batch and the
 * pipeline's persistent ref with them.
 */
export async function destroyPipeline(env: Env, pipeline: { id: number; project_id: number }): Promise<void> {
  await pipelineObject(env, pipeline.id).cancelJobs(pipeline.id, { cascade: true })
  const jobIds = await pipelineJobIds(env.DB, pipeline.id)
  await Promise.all(jobIds.map((id) => jobObject(env, id).destroy(id)))
  await env.DB.batch(destroyPipelineStatements(env.DB, pipeline.id))
  await repoObject(env, pipeline.project_id).deletePipelineRef(pipeline.id)
}
