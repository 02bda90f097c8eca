import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { SerialQueue } from './serial'

/** One Durable Object per pipeline: serializes pipeline processing. */
export class PipelineObject extends DurableObject<Env> {
  private readonly queue = new SerialQueue()

  async ping(): Promise<string> {
    return this.queue.run(async () => 'pong')
  }
}

export function pipelineObject(env: Env, pipelineId: number) {
  return env.PIPELINE_OBJECT.get(env.PIPELINE_OBJECT.idFromName(String(pipelineId)))
}
