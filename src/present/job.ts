import { jobDuration, jobQueuedDuration } from '../ci/durations'
import type { JobViewRow } from '../db/job-views'
import type { CommitRow } from '../db/repository'
import type { UserRow } from '../db/users'
import { commit as presentCommit } from './commit'
import { pipelineBasic, type PipelineBasicSource } from './pipeline'
import { runner, runnerManager, type RunnerManagerSource, type RunnerSource } from './runner'
import { isoTime } from './time'
import { user as presentUser } from './user'

interface ArtifactSource {
  file_type: string
  size: number
  filename: string
  file_format: string
  expire_at: number | null
}

type PipelineJson = PipelineBasicSource & { full_path: string }

/**
 * A page repeats the same pipeline, commit and user on most of its jobs: each distinct one is
 * parsed and presented once (keyed by its JSON text), and the entity objects are shared.
 */
const presented = new Map<string, unknown>()
const PRESENTED_LIMIT = 512

function presentOnce<T>(kind: string, json: string, externalUrl: string, make: () => T): T {
  const key = `${kind}\u0000${externalUrl}\u0000${json}`
  let value = presented.get(key) as T | undefined
  if (value === undefined) {
    if (presented.size >= PRESENTED_LIMIT) presented.clear()
    value = make()
    presented.set(key, value)
  }
  return value
}

/** JobBasic (lib/api/entities/ci/job_basic.rb). Null versus absent is decided here only. */
export function jobBasic(job: JobViewRow, externalUrl: string, now: number) {
  const times = { startedAt: job.started_at, finishedAt: job.finished_at, queuedAt: job.queued_at }
  return {
    id: job.id,
    status: job.status,
    stage: job.stage,
    name: job.name,
    ref: job.ref,
    tag: job.tag === 1,
    coverage: job.coverage,
    allow_failure: job.allow_failure === 1,
    created_at: isoTime(job.created_at),
    started_at: isoTime(job.started_at),
    finished_at: isoTime(job.finished_at),
    erased_at: isoTime(job.erased_at),
    duration: jobDuration(times, now),
    queued_duration: jobQueuedDuration(times, now),
    user: job.user_json ? presentOnce('user', job.user_json, externalUrl, () => presentUser(JSON.parse(job.user_json!) as UserRow, externalUrl)) : null,
    commit: job.commit_json
      ? presentOnce(`commit ${job.project_full_path}`, job.commit_json, externalUrl, () => presentCommit(JSON.parse(job.commit_json!) as CommitRow, job.project_full_path, externalUrl))
      : null,
    pipeline: presentOnce('pipeline', job.pipeline_json, externalUrl, () => {
      const pipeline = JSON.parse(job.pipeline_json) as PipelineJson
      return pipelineBasic(pipeline, pipeline.full_path, externalUrl)
    }),
    // GitLab exposes failure_reason only on failed jobs.
    ...(job.status === 'failed' ? { failure_reason: job.failure_reason ?? 'unknown_failure' } : {}),
    web_url: `${externalUrl}/${job.project_full_path}/-/jobs/${job.id}`,
    project: { ci_job_token_scope_enabled: job.project_job_token_scope === 1 },
  }
}

/** Job (lib/api/entities/ci/job.rb) = JobBasic + artifacts, runner, tags. */
export function job(row: JobViewRow, externalUrl: string, now: number) {
  const artifacts = JSON.parse(row.artifacts_json) as ArtifactSource[]
  const archive = artifacts.find((a) => a.file_type === 'archive' && (a.expire_at === null || a.expire_at > now))
  const executing = row.status === 'running' || row.status === 'canceling'
  const runnerSource = row.runner_json ? (JSON.parse(row.runner_json) as RunnerSource) : null
  const managerSource = row.runner_manager_json ? (JSON.parse(row.runner_manager_json) as RunnerManagerSource) : null
  return {
    ...jobBasic(row, externalUrl, now),
    // artifacts_file only when an unexpired archive exists (Ci::Build#artifacts?).
    ...(archive && !row.erased_at ? { artifacts_file: { filename: archive.filename, size: archive.size } } : {}),
    artifacts: artifacts.map((a) => ({ file_type: a.file_type, size: a.size, filename: a.filename, file_format: a.file_format })),
    runner: runnerSource ? runner(runnerSource, now, executing, externalUrl) : null,
    // runner_manager is exposed for builds only (a retried bridge rendered as Job has none).
    ...(row.type === 'build' ? { runner_manager: managerSource ? runnerManager(managerSource, now, executing) : null } : {}),
    artifacts_expire_at: isoTime(row.artifacts_expire_at),
    archived: false,
    tag_list: (JSON.parse(row.tag_list) as string[]).slice().sort(),
  }
}

/** Bridge (lib/api/entities/ci/bridge.rb) = JobBasic + downstream_pipeline. */
export function bridge(row: JobViewRow, externalUrl: string, now: number) {
  const downstream = row.downstream_json ? (JSON.parse(row.downstream_json) as PipelineJson) : null
  return {
    ...jobBasic(row, externalUrl, now),
    downstream_pipeline: downstream ? pipelineBasic(downstream, downstream.full_path, externalUrl) : null,
  }
}
