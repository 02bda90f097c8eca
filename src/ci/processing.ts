import { compositeStatus } from './composite'
import { isCompleted, type JobStatus } from './statuses'
import type { ProcessableJob, ProcessDecision, ProcessEvent } from './types'

/**
 * Ci::PipelineProcessing::AtomicProcessingService and Ci::ProcessBuildService
 * (state-machine.md §6). One pass over the latest jobs, stage by stage; each decision is
 * applied to the in-memory copy so that later jobs of the same pass see it, as GitLab's
 * StatusCollection#set_job_status does.
 */
export function processPipeline(jobs: ReadonlyArray<ProcessableJob>): {
  decisions: ProcessDecision[]
  jobs: ProcessableJob[]
} {
  const current = jobs.map((job) => ({ ...job }))
  const decisions: ProcessDecision[] = []
  for (const stageIdx of stageIndexes(current)) {
    const created = current.filter((job) => job.stageIdx === stageIdx && job.status === 'created')
    for (const job of dagOrder(created)) {
      const event = decide(job, previousStatus(job, current))
      if (!event) continue
      decisions.push({ jobId: job.id, event })
      job.status = STATUS_AFTER[event]
    }
  }
  return { decisions, jobs: current }
}

/** Each stage's status, for the stages that have jobs, in stage order (nil → success). */
export function stageStatuses(jobs: ReadonlyArray<ProcessableJob>): Array<{ stageIdx: number; status: JobStatus }> {
  return stageIndexes(jobs).map((stageIdx) => ({
    stageIdx,
    status: statusOf(jobs.filter((job) => job.stageIdx === stageIdx)),
  }))
}

/**
 * The composite of all latest jobs. An empty pipeline is `success`: StatusCollection#status_for_array
 * maps the composite's nil to 'success' (GitLab refuses to create a pipeline with no jobs, so it
 * never shows up there).
 */
export function pipelineStatus(jobs: ReadonlyArray<ProcessableJob>): JobStatus {
  return statusOf(jobs)
}

const STATUS_AFTER: Record<ProcessEvent, JobStatus> = {
  enqueue: 'pending',
  actionize: 'manual',
  schedule: 'scheduled',
  skip: 'skipped',
}

function statusOf(jobs: ReadonlyArray<ProcessableJob>, dag = false): JobStatus {
  return compositeStatus(jobs, { dag }).status ?? 'success'
}

function stageIndexes(jobs: ReadonlyArray<ProcessableJob>): number[] {
  return [...new Set(jobs.map((job) => job.stageIdx))].sort((a, b) => a - b)
}

/**
 * Stage jobs look at every job of every earlier stage; DAG jobs at the jobs they need, in DAG
 * mode. Needed names that do not exist are ignored, so `needs: []` gives success.
 */
function previousStatus(job: ProcessableJob, jobs: ReadonlyArray<ProcessableJob>): JobStatus {
  if (job.needs === null) return statusOf(jobs.filter((other) => other.stageIdx < job.stageIdx))
  const names = new Set(job.needs.map((need) => need.name))
  return statusOf(jobs.filter((other) => names.has(other.name)), true)
}

/** ProcessBuildService#valid_statuses_for_build. */
function allowedPreviousStatuses(job: ProcessableJob): readonly JobStatus[] {
  switch (job.when) {
    case 'on_success':
    case 'manual':
    case 'delayed':
      return job.needs === null ? ['success', 'skipped'] : ['success']
    case 'on_failure':
      return ['failed']
    case 'always':
      return ['success', 'failed', 'skipped']
  }
}

/** undefined: the previous jobs are not complete yet, so the job waits in `created`. */
function decide(job: ProcessableJob, previous: JobStatus): ProcessEvent | undefined {
  if (!isCompleted(previous)) return undefined
  if (!allowedPreviousStatuses(job).includes(previous)) return 'skip'
  // A retried manual or delayed job goes straight to pending.
  if (job.enqueueImmediately) return 'enqueue'
  // `when: delayed` always carries start_in (the config rejects it otherwise), so it is schedulable.
  if (job.when === 'delayed') return 'schedule'
  if (job.when === 'manual') return 'actionize'
  return 'enqueue'
}

/**
 * Jobs sorted so that each comes after the jobs it needs among the given ones
 * (Gitlab::Ci::YamlProcessor::Dag.order); otherwise the input order is kept.
 */
export function dagOrder<T extends { name: string; needs: ReadonlyArray<{ name: string }> | null }>(
  jobs: ReadonlyArray<T>,
): T[] {
  const byName = new Map(jobs.map((job) => [job.name, job]))
  const ordered: T[] = []
  const seen = new Set<string>()
  const visit = (job: T) => {
    if (seen.has(job.name)) return
    seen.add(job.name)
    for (const need of job.needs ?? []) {
      const needed = byName.get(need.name)
      if (needed) visit(needed)
    }
    ordered.push(job)
  }
  jobs.forEach(visit)
  return ordered
}
