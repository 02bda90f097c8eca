import type { Env } from '../env'
import type { RepoObject } from './RepoObject'
import type { JobObjectRpc, PipelineObjectRpc } from './rpc'

/** A stub: the object's RPC surface (and the runtime's own stub methods, for tests' alarm runs). */
export type JobObjectStub = JobObjectRpc & DurableObjectStub
export type PipelineObjectStub = PipelineObjectRpc & DurableObjectStub

/**
 * The one accessor of the Durable Objects (partyserver's `getServerByName`): a job's object is
 * named by the job id, a pipeline's by the pipeline id. Every caller gets its stub here.
 */
export function jobObject(env: Env, jobId: number): JobObjectStub {
  return env.JOB_OBJECT.get(env.JOB_OBJECT.idFromName(String(jobId))) as unknown as JobObjectStub
}

export function pipelineObject(env: Env, pipelineId: number): PipelineObjectStub {
  return env.PIPELINE_OBJECT.get(env.PIPELINE_OBJECT.idFromName(String(pipelineId))) as unknown as PipelineObjectStub
}

/** A bench baseline: an object named `name`, never used by a job. */
export function namedJobObject(env: Env, name: string): JobObjectStub {
  return env.JOB_OBJECT.get(env.JOB_OBJECT.idFromName(name)) as unknown as JobObjectStub
}

/** A project's repository (the git store). RepoObject imports no accessor, so its class type is safe here. */
export function repoObject(env: Env, projectId: number): DurableObjectStub<RepoObject> {
  const namespace = env.REPO_OBJECT as unknown as DurableObjectNamespace<RepoObject>
  return namespace.get(namespace.idFromName(`project:${projectId}`))
}
