import { jobDuration, jobQueuedDuration } from '../ci/durations'
import type { CommitRow, HookContext, JobEnvironmentRow, JobHookData, PipelineHookData, PushHookInput } from '../db/hook-data'
import type { JobRow } from '../db/jobs'
import { jobOptions } from '../db/jobs'
import type { ProjectRow } from '../db/projects'
import type { RunnerRow } from '../db/runners'
import type { UserRow } from '../db/users'

/**
 * The webhook payloads, field for field as GitLab sends them: Gitlab::DataBuilder::Build (Job
 * Hook), ::Pipeline (Pipeline Hook) and ::Push (Push Hook, Tag Push Hook). GitLab hands the
 * payload to Sidekiq as JSON, where a Time becomes `Time#to_s` ("2021-02-23 02:41:37 UTC"); the
 * `*_iso` fields are ISO 8601 with whole seconds.
 */

export function hookTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
}

export function hookIsoTime(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
}

const VISIBILITY_LEVEL = { private: 0, internal: 10, public: 20 } as const

function sshUrl(project: ProjectRow, externalUrl: string): string {
  return `git@${new URL(externalUrl).hostname}:${project.full_path}.git`
}

/** Project#hook_attrs (`backward: true` adds homepage, url, ssh_url, http_url). */
export function projectHookAttrs(project: ProjectRow, externalUrl: string, backward: boolean) {
  const webUrl = `${externalUrl}/${project.full_path}`
  const attrs = {
    id: project.id,
    name: project.name,
    description: project.description,
    web_url: webUrl,
    avatar_url: null,
    git_ssh_url: sshUrl(project, externalUrl),
    git_http_url: `${webUrl}.git`,
    namespace: project.namespace_path,
    visibility_level: VISIBILITY_LEVEL[project.visibility],
    path_with_namespace: project.full_path,
    default_branch: project.default_branch,
    ci_config_path: project.ci_config_path,
  }
  if (!backward) return attrs
  return { ...attrs, homepage: webUrl, url: sshUrl(project, externalUrl), ssh_url: sshUrl(project, externalUrl), http_url: `${webUrl}.git` }
}

/** The deprecated `repository` block (name, url, description, homepage, git URLs, visibility). */
function repositoryAttrs(project: ProjectRow, externalUrl: string) {
  const webUrl = `${externalUrl}/${project.full_path}`
  return {
    name: project.name,
    url: sshUrl(project, externalUrl),
    description: project.description,
    homepage: webUrl,
    git_http_url: `${webUrl}.git`,
    git_ssh_url: sshUrl(project, externalUrl),
    visibility_level: VISIBILITY_LEVEL[project.visibility],
  }
}

/** User#hook_attrs: the email only when public, which no edgejobs user's is (webhook_email). */
export function userHookAttrs(user: UserRow | undefined | null) {
  if (!user) return null
  return { id: user.id, name: user.name, username: user.username, avatar_url: null, email: '[REDACTED]' }
}

function runnerAttrs(runner: RunnerRow | null | undefined) {
  if (!runner) return null
  return {
    id: runner.id,
    description: runner.description,
    runner_type: runner.runner_type,
    active: runner.paused === 0,
    is_shared: runner.runner_type === 'instance_type',
    tags: JSON.parse(runner.tag_list) as string[],
  }
}

function sourcePipelineAttrs(context: HookContext, externalUrl: string) {
  const { pipeline, sourceProject } = context
  if (!sourceProject || pipeline.parent_pipeline_id === null) return undefined
  return {
    project: { id: sourceProject.id, web_url: `${externalUrl}/${sourceProject.full_path}`, path_with_namespace: sourceProject.full_path },
    job_id: pipeline.source_job_id,
    pipeline_id: pipeline.parent_pipeline_id,
  }
}

/** A git date as Ruby's Time#iso8601 writes a UTC commit time (`+00:00`). */
function commitTimestamp(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d+Z$/, '+00:00')
}

/** Commit#hook_attrs; with `changes`, the files it added, modified and removed. */
export function commitHookAttrs(
  commit: CommitRow, project: ProjectRow, externalUrl: string, changes?: { added: string[]; modified: string[]; removed: string[] },
) {
  return {
    id: commit.sha,
    message: commit.message,
    title: commit.title,
    timestamp: commitTimestamp(commit.authored_date),
    url: `${externalUrl}/${project.full_path}/-/commit/${commit.sha}`,
    author: { name: commit.author_name, email: commit.author_email },
    ...(changes ?? {}),
  }
}

function environmentOf(job: JobRow, linked: JobEnvironmentRow | null | undefined): { name: string; action: string; tier: string | null } | null {
  const spec = jobOptions(job).environment
  if (!spec) return null // has_environment_keyword?
  if (linked) return { name: linked.name, action: linked.action, tier: linked.tier }
  return { name: spec.name, action: spec.action ?? 'start', tier: null }
}

/** Gitlab::DataBuilder::Build — the Job Hook (`object_kind: build`) of one committed transition. */
export function buildHookData(job: JobRow, data: JobHookData, externalUrl: string, now: number) {
  const { pipeline, project, commit } = data
  const times = { queuedAt: job.queued_at, startedAt: job.started_at, finishedAt: job.finished_at }
  const environment = environmentOf(job, data.environment)
  const authorUrl = data.commitAuthorUsername ? `${externalUrl}/${data.commitAuthorUsername}` : `mailto:${commit?.author_email ?? ''}`
  const attrs: Record<string, unknown> = {
    object_kind: 'build',
    ref: job.ref,
    tag: job.tag === 1,
    before_sha: pipeline.before_sha,
    sha: pipeline.sha,
    retries_count: data.retriesCount,
    build_id: job.id,
    build_name: job.name,
    build_stage: job.stage,
    build_status: job.status,
    build_created_at: hookTime(job.created_at),
    build_started_at: hookTime(job.started_at),
    build_finished_at: hookTime(job.finished_at),
    build_created_at_iso: hookIsoTime(job.created_at),
    build_started_at_iso: hookIsoTime(job.started_at),
    build_finished_at_iso: hookIsoTime(job.finished_at),
    build_duration: jobDuration(times, now),
    build_queued_duration: jobQueuedDuration(times, now),
    build_allow_failure: job.allow_failure === 1,
    build_failure_reason: job.failure_reason ?? 'unknown_failure',
    pipeline_id: pipeline.id,
    runner: runnerAttrs(data.runner),
    project_id: project.id,
    project_name: `${project.namespace_path} / ${project.name}`,
    user: userHookAttrs(job.user_id === null ? null : data.users.get(job.user_id)),
    commit: {
      id: pipeline.id,
      name: null,
      sha: pipeline.sha,
      message: commit?.message ?? null,
      author_name: commit?.author_name ?? null,
      author_email: commit?.author_email ?? null,
      author_url: authorUrl,
      status: pipeline.status,
      duration: pipeline.duration,
      started_at: hookTime(pipeline.started_at),
      finished_at: hookTime(pipeline.finished_at),
      started_at_iso: hookIsoTime(pipeline.started_at),
      finished_at_iso: hookIsoTime(pipeline.finished_at),
    },
    repository: repositoryAttrs(project, externalUrl),
    project: projectHookAttrs(project, externalUrl, false),
    environment: environment ? { name: environment.name, action: environment.action } : null,
  }
  const source = sourcePipelineAttrs(data, externalUrl)
  if (source) attrs.source_pipeline = source
  return attrs
}

/** Ci::Pipeline#detailed_status(nil).label. */
const STATUS_LABELS: Record<string, string> = {
  created: 'created', waiting_for_resource: 'waiting for resource', preparing: 'preparing', pending: 'pending',
  running: 'running', success: 'passed', failed: 'failed', canceling: 'canceling', canceled: 'canceled',
  skipped: 'skipped', manual: 'manual action', scheduled: 'delayed', waiting_for_callback: 'waiting for callback',
}

/** Gitlab::DataBuilder::Pipeline — the Pipeline Hook (`object_kind: pipeline`). */
export function pipelineHookData(data: PipelineHookData, externalUrl: string, now: number) {
  const { pipeline, project } = data
  const attrs: Record<string, unknown> = {
    object_kind: 'pipeline',
    object_attributes: {
      id: pipeline.id,
      iid: pipeline.iid,
      name: null,
      ref: pipeline.ref,
      tag: pipeline.tag === 1,
      sha: pipeline.sha,
      before_sha: pipeline.before_sha,
      source: pipeline.source,
      status: pipeline.status,
      detailed_status: STATUS_LABELS[pipeline.status] ?? pipeline.status,
      stages: data.stages,
      created_at: hookTime(pipeline.created_at),
      finished_at: hookTime(pipeline.finished_at),
      duration: pipeline.duration,
      queued_duration: pipeline.queued_duration,
      protected_ref: data.refProtected,
      variables: (JSON.parse(pipeline.variables) as { key: string; value: string }[]).map((variable) => ({ key: variable.key, value: variable.value })),
      url: `${externalUrl}/${project.full_path}/-/pipelines/${pipeline.id}`,
    },
    merge_request: null,
    user: userHookAttrs(pipeline.user_id === null ? null : data.users.get(pipeline.user_id)),
    project: projectHookAttrs(project, externalUrl, false),
    commit: data.commit ? commitHookAttrs(data.commit, project, externalUrl) : null,
    builds: data.builds.map((job) => buildAttrs(job, data, now)),
  }
  const source = sourcePipelineAttrs(data, externalUrl)
  if (source) attrs.source_pipeline = source
  return attrs
}

function buildAttrs(job: JobRow, data: PipelineHookData, now: number) {
  const times = { queuedAt: job.queued_at, startedAt: job.started_at, finishedAt: job.finished_at }
  const artifact = data.artifacts.get(job.id)
  const environment = environmentOf(job, data.environments.get(job.id))
  return {
    id: job.id,
    stage: job.stage,
    name: job.name,
    status: job.status,
    created_at: hookTime(job.created_at),
    started_at: hookTime(job.started_at),
    finished_at: hookTime(job.finished_at),
    duration: jobDuration(times, now),
    queued_duration: jobQueuedDuration(times, now),
    failure_reason: job.status === 'failed' ? (job.failure_reason ?? 'unknown_failure') : null,
    when: job.when_,
    manual: job.when_ === 'manual',
    allow_failure: job.allow_failure === 1,
    user: userHookAttrs(job.user_id === null ? null : data.users.get(job.user_id)),
    runner: runnerAttrs(job.runner_id === null ? null : data.runners.get(job.runner_id)),
    artifacts_file: { filename: artifact?.filename ?? null, size: artifact?.size ?? null },
    environment: environment ? { name: environment.name, action: environment.action, deployment_tier: environment.tier } : null,
  }
}


/** Gitlab::DataBuilder::Push — the Push Hook (`push`) or Tag Push Hook (`tag_push`). */
export function pushHookData(input: PushHookInput, externalUrl: string) {
  const kind = input.ref.startsWith('refs/tags/') ? 'tag_push' : 'push'
  return {
    object_kind: kind,
    event_name: kind,
    before: input.before,
    after: input.after,
    ref: input.ref,
    ref_protected: input.refProtected,
    checkout_sha: input.checkoutSha,
    message: input.message,
    user_id: input.user.id,
    user_name: input.user.name,
    user_username: input.user.username,
    user_email: '[REDACTED]',
    user_avatar: null,
    project_id: input.project.id,
    project: projectHookAttrs(input.project, externalUrl, true),
    commits: input.commits.map(({ commit, added, modified, removed }) => commitHookAttrs(commit, input.project, externalUrl, { added, modified, removed })),
    total_commits_count: input.totalCommitsCount,
    repository: repositoryAttrs(input.project, externalUrl),
  }
}
