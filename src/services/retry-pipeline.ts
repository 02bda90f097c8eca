import { latestJobsStatement, type JobRow } from '../db/jobs'
import type { Env } from '../env'
import type { ChangedJob } from '../objects/rpc'
import { jobObject, pipelineObject } from '../objects/stubs'

/**
 * Ci::RetryPipelineService: every latest failed or canceled job (builds and bridges) is retried
 * through its own object (a new job, the old one marked retried), the latest skipped jobs are
 * reopened, and the pipeline is processed. Jobs that refuse a retry are left as they are.
 * Resolves when processing has run, so the answer shows the retried pipeline.
 */
export async function retryPipeline(env: Env, pipelineId: number, userId: number): Promise<number> {
  const { results: rows } = await latestJobsStatement(env.DB, pipelineId).all<JobRow>()
  const failed = rows.filter((row) => row.status === 'failed' || row.status === 'canceled')
  const outcomes = await Promise.all(failed.map((row) => jobObject(env, row.id).retry(row.id, { userId, known: row })))
  const retried = failed.filter((_, index) => outcomes[index].ok)
  // pipeline.processables.latest.skipped → process: all of them, not only the retried jobs' dependents.
  const reopen: ChangedJob[] = [...retried, ...rows.filter((row) => row.status === 'skipped')]
    .map((row) => ({ name: row.name, stageIdx: row.stage_idx }))
  await pipelineObject(env, pipelineId).process(pipelineId, reopen)
  return retried.length
}
