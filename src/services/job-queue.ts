import type { Env } from '../env'
import type { JobRow } from '../db/jobs'
import type { RunnerRow } from '../db/runners'
import type { JobOptions } from '../ci/types'
import { queueTickStatement, type QueueScope } from '../db/queue-ticks'
import { jobObject } from '../objects/stubs'
import { candidatesStatement } from '../db/runner-queue'
import { jobOptions } from '../db/jobs'

/**
 * The runners' queue (Ci::RegisterJobService, simplified): the oldest pending builds this runner
 * may take, read a few at a time from the partial index `jobs_pending_queue`, then handed out
 * through each job's JobObject, whose `assign` lets exactly one caller win. A runner that loses a
 * race simply tries the next candidate.
 */

interface CandidateRow {
  id: number
  pipeline_id: number
  options: string
}

export interface Assigned {
  job: JobRow
  token: string
  timeout: number
  queue: { size: number; depth: number }
}

/** `droppedPipelines`: the pipelines of candidates failed as runner_unsupported (they need processing). */
export type PickResult = ({ assigned: Assigned } | { assigned: null; lastUpdate: string }) & { droppedPipelines: number[] }

/**
 * Ci::Build::RUNNER_FEATURES (app/models/ci/build.rb): what a build needs the runner to support.
 * `refspecs` (merge request refs) and `multi_build_steps` (`release:`) never apply here.
 */
export function requiredRunnerFeatures(options: JobOptions): string[] {
  const needed: string[] = []
  const reports = options.artifacts?.reports ?? {}
  if (Object.values(reports).some((paths) => paths !== undefined && (!Array.isArray(paths) || paths.length > 0))) needed.push('upload_multiple_artifacts')
  if ((options.artifacts?.exclude.length ?? 0) > 0) needed.push('artifacts_exclude')
  if ((options.allow_failure_exit_codes?.length ?? 0) > 0 || (options.retry?.exitCodes.length ?? 0) > 0) needed.push('return_exit_code')
  if ((options.cache ?? []).some((cache) => cache.fallback_keys.length > 0)) needed.push('fallback_cache_keys')
  return needed
}

/** Ci::Build#supported_runner?: every required feature is truthy in the request's `info.features`. */
function supportedBy(options: JobOptions, features: Record<string, unknown> | null): boolean {
  return requiredRunnerFeatures(options).every((name) => Boolean(features?.[name]))
}

function queueScope(runner: Pick<RunnerRow, 'runner_type' | 'project_id'>): QueueScope {
  return runner.runner_type === 'instance_type' ? 'instance' : `project:${runner.project_id ?? 0}`
}

/**
 * Hands out the oldest candidate this runner supports. A candidate needing a feature the runner
 * lacks is dropped with `runner_unsupported`, as RegisterJobService does, and the next one tried.
 */
export async function pickJob(env: Env, runner: RunnerRow, managerId: number | null, features: Record<string, unknown> | null): Promise<PickResult> {
  // The queue value is read before the candidates, as GitLab takes new_update before the search.
  const [tick, candidates] = await env.DB.batch([queueTickStatement(env.DB, queueScope(runner)), candidatesStatement(env.DB, runner)])
  const lastUpdate = queueValueOf(tick.results[0] as { tick: number } | undefined)
  const results = candidates.results as CandidateRow[]
  const dropped = new Set<number>()
  for (const [depth, candidate] of results.entries()) {
    if (!supportedBy(jobOptions(candidate), features)) {
      if (await jobObject(env, candidate.id).dropPending(candidate.id, 'runner_unsupported')) dropped.add(candidate.pipeline_id)
      continue
    }
    // The object sets the job's timeout: its `timeout:` or the project's, capped by the runner's.
    const won = await jobObject(env, candidate.id).assign(candidate.id, { runnerId: runner.id, runnerManagerId: managerId, timeout: runner.maximum_timeout })
    if (won) return { assigned: { ...won, timeout: won.job.timeout ?? 3600, queue: { size: results.length, depth } }, droppedPipelines: [...dropped] }
  }
  return { assigned: null, lastUpdate, droppedPipelines: [...dropped] }
}

/** The counter as 32 hex digits, the shape of GitLab's SecureRandom.hex value. */
function queueValueOf(row: { tick: number } | undefined): string {
  return (row?.tick ?? 0).toString(16).padStart(32, '0')
}

/** `X-GitLab-Last-Update` of a runner that takes nothing now (paused): its scope's counter. */
export async function queueValue(env: Env, runner: Pick<RunnerRow, 'runner_type' | 'project_id'>): Promise<string> {
  return queueValueOf((await queueTickStatement(env.DB, queueScope(runner)).first<{ tick: number }>()) ?? undefined)
}
