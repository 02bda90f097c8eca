import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { SerialQueue } from './serial'

/**
 * One Durable Object per job (named by the job id). It serializes every change of the job's
 * state and keeps the live log while the job runs.
 */
export class JobObject extends DurableObject<Env> {
  private readonly queue = new SerialQueue()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(
        `CREATE TABLE IF NOT EXISTS trace_chunks (offset INTEGER PRIMARY KEY, data BLOB NOT NULL)`,
      )
    })
  }

  /** Bytes of live log held by this object. */
  async traceLength(): Promise<number> {
    const row = this.ctx.storage.sql
      .exec<{ len: number }>('SELECT COALESCE(SUM(length(data)), 0) AS len FROM trace_chunks')
      .one()
    return row.len
  }

  /** A bare round trip, used by tests and the benchmark as the baseline of an object call. */
  async ping(): Promise<string> {
    return this.queue.run(async () => 'pong')
  }
}

export function jobObject(env: Env, jobId: number) {
  return env.JOB_OBJECT.get(env.JOB_OBJECT.idFromName(String(jobId)))
}
