import { FAILURE_REASONS } from '../ci/failure-reasons'
import type { ArtifactsSpec, ImageSpec, JobOptions, Need } from '../ci/types'
import type { Env } from '../env'
import { dependenciesStatement, type DependencyRow } from '../db/artifacts'
import type { PipelineRow } from '../db/pipelines'
import { DEFAULT_GIT_DEPTH, type ProjectRow } from '../db/projects'
import type { RunnerRow } from '../db/runners'
import type { UserRow } from '../db/users'
import type { Assigned } from './job-queue'
import { repositoryUrl, runnerVariables, type JobVariablesContext } from './job-variables'

/**
 * The job as a runner receives it from `POST /jobs/request` (runner-protocol.md §3;
 * lib/api/entities/ci/job_request/*.rb, app/presenters/ci/build_runner_presenter.rb).
 * Keys follow GitLab's exposure order; the runner ignores unknown keys.
 */
export interface PayloadContext extends JobVariablesContext {
  /** seconds, already min(job or project timeout, runner maximum_timeout) */
  timeout: number
  dependencies: DependencyRow[]
  queue: { size: number; depth: number }
}

/** Everything the payload shows besides the job row itself, read in ONE D1 round trip. */
export async function loadPayloadContext(env: Env, runner: RunnerRow, assigned: Assigned, externalUrl: string): Promise<PayloadContext> {
  const { job } = assigned
  const db = env.DB
  const [pipeline, project, user, dependencies] = await db.batch([
    db.prepare('SELECT * FROM pipelines WHERE id = ?').bind(job.pipeline_id),
    db.prepare(
      `SELECT p.*, COALESCE((SELECT default_git_depth FROM project_ci_settings WHERE project_id = p.id), ${DEFAULT_GIT_DEPTH}) AS ci_default_git_depth
       FROM projects p WHERE p.id = ?`,
    ).bind(job.project_id),
    db.prepare('SELECT * FROM users WHERE id = ?').bind(job.user_id),
    dependenciesStatement(db, job.pipeline_id, job.id, Date.now()),
  ])
  return {
    job,
    token: assigned.token,
    runner,
    pipeline: pipeline.results[0] as PipelineRow,
    project: project.results[0] as ProjectRow,
    user: (user.results[0] as UserRow | undefined) ?? null,
    externalUrl,
    timeout: assigned.timeout,
    dependencies: dependencies.results as DependencyRow[],
    queue: assigned.queue,
  }
}


export function runnerPayload(ctx: PayloadContext) {
  const { job, token } = ctx
  const options = JSON.parse(job.options) as JobOptions
  const variables = runnerVariables(ctx)
  return {
    id: job.id,
    token,
    allow_git_fetch: true,
    job_info: jobInfo(ctx),
    git_info: gitInfo(ctx, gitDepth(variables, ctx.project.ci_default_git_depth ?? DEFAULT_GIT_DEPTH)),
    runner_info: { timeout: ctx.timeout, runner_session_url: null },
    variables,
    steps: steps(options, ctx.timeout),
    image: options.image ? image(options.image) : null,
    services: (options.services ?? []).map(service),
    artifacts: options.artifacts ? artifacts(options.artifacts) : null,
    cache: (options.cache ?? []).map((c) => ({ key: c.key, untracked: c.untracked, paths: c.paths, policy: c.policy, when: c.when, fallback_keys: c.fallback_keys })),
    credentials: [],
    features: { trace_sections: true, failure_reasons: FAILURE_REASONS },
    dependencies: dependencies(ctx, options),
  }
}

function jobInfo(ctx: PayloadContext) {
  const { job, project, runner } = ctx
  const queuedFor = job.queued_at !== null && job.started_at !== null ? Math.max(0, Math.round((job.started_at - job.queued_at) / 1000)) : 0
  return {
    id: job.id,
    name: job.name,
    stage: job.stage,
    pipeline_id: job.pipeline_id,
    project_id: job.project_id,
    project_name: project.name,
    project_full_path: project.full_path,
    user_id: job.user_id,
    scoped_user_id: null,
    time_in_queue_seconds: queuedFor,
    // GitLab counts running jobs only for instance runners; others get "+Inf".
    project_jobs_running_on_instance_runners_count: runner.runner_type === 'instance_type' ? '0' : '+Inf',
    queue_size: ctx.queue.size,
    queue_depth: ctx.queue.depth,
  }
}

/** The job's GIT_DEPTH, else the project's ci_default_git_depth (Ci::Build#git_depth). */
function gitDepth(variables: Array<{ key: string; value: string }>, projectDepth: number): number {
  const value = variables.find((item) => item.key === 'GIT_DEPTH')?.value
  const depth = value === undefined ? projectDepth : Number.parseInt(value, 10)
  return Number.isFinite(depth) && depth >= 0 ? depth : projectDepth
}

function gitInfo(ctx: PayloadContext, depth: number) {
  const { pipeline, project, token, externalUrl } = ctx
  const tag = pipeline.tag === 1
  const persistent = `refs/pipelines/${pipeline.id}`
  const refspecs = [`+${persistent}:${persistent}`]
  if (depth > 0) {
    refspecs.push(tag ? `+refs/tags/${pipeline.ref}:refs/tags/${pipeline.ref}` : `+refs/heads/${pipeline.ref}:refs/remotes/origin/${pipeline.ref}`)
  } else {
    refspecs.push('+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*')
  }
  return {
    repo_url: repositoryUrl(externalUrl, project.full_path, token),
    ref: pipeline.ref,
    sha: pipeline.sha,
    before_sha: pipeline.before_sha,
    ref_type: tag ? 'tag' : 'branch',
    refspecs,
    depth,
    repo_object_format: 'sha1',
    protected: false,
  }
}

/** `script` = before_script + script; after_script runs `when: always` and may fail. */
function steps(options: JobOptions, timeout: number) {
  const out = [{ name: 'script', script: [...(options.before_script ?? []), ...(options.script ?? [])], timeout, when: 'on_success', allow_failure: false }]
  if (options.after_script?.length) out.push({ name: 'after_script', script: options.after_script, timeout, when: 'always', allow_failure: true })
  return out
}

function image(spec: ImageSpec) {
  return { name: spec.name, entrypoint: spec.entrypoint ?? null, ports: spec.ports ?? [], executor_opts: {}, pull_policy: spec.pull_policy ?? null }
}

function service(spec: ImageSpec) {
  return {
    ...image(spec),
    alias: spec.alias ?? null,
    command: spec.command ?? null,
    variables: (spec.variables ?? []).map((item) => ({ key: item.key, value: item.value })),
  }
}

/** The archive entry (when paths or untracked) and one `when: always` entry per report. */
function artifacts(spec: ArtifactsSpec) {
  const out: Array<Record<string, unknown>> = []
  if (spec.untracked || spec.paths.length > 0) {
    out.push({
      name: spec.name ?? null, untracked: spec.untracked, paths: spec.paths, ...(spec.exclude.length ? { exclude: spec.exclude } : {}),
      when: spec.when, expire_in: spec.expire_in ?? null, artifact_type: 'archive', artifact_format: 'zip',
    })
  }
  if (spec.reports.junit?.length) {
    out.push({ name: 'junit.xml', paths: spec.reports.junit, when: 'always', expire_in: spec.expire_in ?? null, artifact_type: 'junit', artifact_format: 'gzip' })
  }
  return out
}

/**
 * Ci::BuildDependencies: DAG jobs depend on their `needs` with `artifacts: true`, stage jobs on
 * every job of earlier stages; `dependencies:` narrows either list by name. Only entries with an
 * archive carry `artifacts_file`. The token is the running job's own (GitLab's newer behavior).
 */
function dependencies(ctx: PayloadContext, options: JobOptions) {
  const { job, token } = ctx
  let candidates = ctx.dependencies.filter((dep) => dep.stage_idx < job.stage_idx)
  if (job.scheduling_type === 'dag') {
    const needed = new Set((JSON.parse(job.needs) as Need[]).filter((need) => need.artifacts).map((need) => need.name))
    candidates = ctx.dependencies.filter((dep) => needed.has(dep.name))
  }
  if (Array.isArray(options.dependencies)) {
    const named = new Set(options.dependencies)
    candidates = candidates.filter((dep) => named.has(dep.name))
  }
  return candidates.map((dep) => ({
    id: dep.id,
    name: dep.name,
    token,
    ...(dep.filename !== null ? { artifacts_file: { filename: dep.filename, size: dep.size } } : {}),
  }))
}
