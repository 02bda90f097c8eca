import { jobsToReopen } from '../ci/reset-skipped'
import type { Env } from '../env'
import { latestJobsOfPipeline, type JobRow } from '../db/jobs'
import { jobObject } from './JobObject'
import { processable } from './PipelineObject'

/**
 * ResetSkippedJobsService: after a retry or play, skipped jobs that depend on the changed job
 * (later stages, DAG descendants) go back to `created` through their own objects, so the next
 * processing run decides them again.
 */
export async function reopenSkippedAfter(env: Env, changed: JobRow): Promise<void> {
  if (changed.status === 'failed') return // a job that failed at once does not reopen anything
  const jobs = await latestJobsOfPipeline(env.DB, changed.pipeline_id)
  const ids = jobsToReopen(jobs.map(processable), [{ name: changed.name, stageIdx: changed.stage_idx }])
  await Promise.all(ids.map((id) => jobObject(env, id).processEvent(id, 'process')))
}
