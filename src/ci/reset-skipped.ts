import { dagOrder } from './processing'
import type { ProcessableJob } from './types'

/**
 * Ci::ResetSkippedJobsService (state-machine.md §6): after jobs are retried or played, the
 * skipped latest jobs that may now run are reopened with `process` (skipped → created).
 * Those are the skipped jobs in any stage after the earliest changed one, plus the skipped
 * jobs among the changed jobs and their DAG descendants (by `needs`, through jobs of any
 * status). Ids come back stage by stage, in DAG order within a stage, as GitLab processes them.
 * The upstream `strategy: depend` bridge reset is not part of this rule.
 */
export function jobsToReopen(
  jobs: ReadonlyArray<ProcessableJob>,
  changed: ReadonlyArray<{ name: string; stageIdx: number }>,
): number[] {
  if (changed.length === 0) return []
  const minStageIdx = Math.min(...changed.map((job) => job.stageIdx))
  const family = baseAndDescendants(jobs, changed.map((job) => job.name))
  const reopen = jobs.filter(
    (job) => job.status === 'skipped' && (job.stageIdx > minStageIdx || family.has(job.name)),
  )
  const stages = [...new Set(reopen.map((job) => job.stageIdx))].sort((a, b) => a - b)
  return stages.flatMap((stageIdx) => dagOrder(reopen.filter((job) => job.stageIdx === stageIdx)).map((job) => job.id))
}

/** Names of the given jobs and of every job that needs one of them, transitively. */
function baseAndDescendants(jobs: ReadonlyArray<ProcessableJob>, names: ReadonlyArray<string>): Set<string> {
  const family = new Set(names)
  let grew = true
  while (grew) {
    grew = false
    for (const job of jobs) {
      if (family.has(job.name)) continue
      if ((job.needs ?? []).some((need) => family.has(need.name))) {
        family.add(job.name)
        grew = true
      }
    }
  }
  return family
}
