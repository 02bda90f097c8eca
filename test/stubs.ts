import { env } from 'cloudflare:workers'
import { jobObject, pipelineObject } from '../src/objects/stubs'

/** The tests' one way to a Durable Object: the Worker's own accessor, on the test env. */
export function jobStub(jobId: number) {
  return jobObject(env, jobId)
}

export function pipelineStub(pipelineId: number) {
  return pipelineObject(env, pipelineId)
}
