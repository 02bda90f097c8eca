import { FAILURE_REASONS } from '../ci/failure-reasons'
import type { ArtifactsSpec, CacheSpec, ImageSpec, JobOptions, Need, Variable } from '../ci/types'
import type { Env } from '../env'
import { protectedPipelineRefStatement } from '../db/protected-branches'
import { instanceVariablesStatement, projectVariablesStatement, type InstanceVariableRow, type ProjectVariableRow } from '../db/ci-variables'
import { variablesForJob } from '../ci/variable-rules'
import { open, openList } from '../auth/secret-box'
import { readPipelineVariables } from './pipeline-variables'
import { dependenciesStatement, type DependencyRow } from '../db/artifacts'
import { pipelineDotenvStatement, type DotenvVariableRow } from '../db/dotenv-variables'
import type { PipelineRow } from '../db/pipelines'
import { DEFAULT_GIT_DEPTH, type ProjectRow } from '../db/projects'
import type { RunnerRow } from '../db/runners'
import type { UserRow } from '../db/users'
import type { Assigned } from './job-queue'
import { repositoryUrl, runnerVariables, type JobVariablesContext } from './job-variables'
import { jobOptions } from '../db/jobs'
import { payloadRowsStatements } from '../db/runner-jobs'

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
  /** dotenv variables of the pipeline's jobs (artifacts:reports:dotenv), by job id */
  dotenv: DotenvVariableRow[]
}

/** Everything the payload shows besides the job row itself, read in ONE D1 round trip. */
export async function loadPayloadContext(env: Env, runner: RunnerRow, assigned: Assigned, externalUrl: string): Promise<PayloadContext> {
  const { job } = assigned
  const db = env.DB
  const [pipeline, project, user, dependencies, dotenv, protectedRef, instance, projectVariables] = await db.batch([
    ...payloadRowsStatements(db, job),
    dependenciesStatement(db, job.pipeline_id, job.id, Date.now()),
    pipelineDotenvStatement(db, job.pipeline_id),
    protectedPipelineRefStatement(db, job.pipeline_id),
    instanceVariablesStatement(db),
    projectVariablesStatement(db, job.project_id),
  ])
  const isProtected = protectedRef.results.length > 0
  const environment = jobOptions(job).environment?.name ?? null
  const pipelineRow = pipeline.results[0] as PipelineRow
  // Ci::Project#variables_for / secret_instance_variables: protected ones on protected refs only.
  const instanceRows = (instance.results as InstanceVariableRow[]).filter((row) => isProtected || row.protected === 0)
  const projectRows = variablesForJob(projectVariables.results as ProjectVariableRow[], environment, isProtected)
  const [instanceVariables, projectOwn, pipelineVariables, jobVariables, dotenvRows] = await Promise.all([
    Promise.all(instanceRows.map((row) => storedVariable(env, row))),
    Promise.all(projectRows.map((row) => storedVariable(env, row))),
    readPipelineVariables(env, pipelineRow),
    openList<Variable>(env, job.job_variables),
    Promise.all((dotenv.results as DotenvVariableRow[]).map(async (row) => ({ ...row, value: await open(env, row.value) }))),
  ])
  return {
    job,
    token: assigned.token,
    runner,
    pipeline: pipelineRow,
    project: project.results[0] as ProjectRow,
    user: (user.results[0] as UserRow | undefined) ?? null,
    externalUrl,
    timeout: assigned.timeout,
    dependencies: dependencies.results as DependencyRow[],
    queue: assigned.queue,
    dotenv: dotenvRows,
    protectedRef: isProtected,
    instanceVariables,
    projectVariables: projectOwn,
    pipelineVariables,
    jobVariables,
  }
}

/** A stored variable as the runner gets it (Ci::HasVariable#to_runner_variable, Maskable, RawVariable). */
async function storedVariable(env: Env, row: InstanceVariableRow): Promise<Variable> {
  return { key: row.key, value: await open(env, row.value), variable_type: row.variable_type, public: false, masked: row.masked === 1, raw: row.raw === 1 }
}


export function runnerPayload(ctx: PayloadContext) {
  const { job, token } = ctx
  const options = jobOptions(job)
  const deps = dependencies(ctx, options)
  const variables = runnerVariables(ctx, dependencyVariables(ctx, deps.map((dep) => dep.id)))
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
    cache: (options.cache ?? []).map((c) => cache(c, ctx.protectedRef)),
    credentials: [],
    features: { trace_sections: true, failure_reasons: FAILURE_REASONS },
    dependencies: deps.map(({ id, name, token, artifacts_file }) => ({ id, name, token, ...(artifacts_file ? { artifacts_file } : {}) })),
    // Ci::BuildRunnerPresenter#runner_hooks: only when the job has hooks.
    ...(options.hooks ? { hooks: [{ name: 'pre_get_sources_script', script: options.hooks.pre_get_sources_script }] } : {}),
  }
}

/**
 * Ci::Build#cache with `ci_separated_caches` (on by default): every key and fallback key gets
 * `-protected` on a protected ref and `-non_protected` otherwise, so the two never share a cache;
 * `unprotect: true` always takes `-non_protected` (app/models/ci/build.rb).
 */
function cache(spec: CacheSpec, protectedRef: boolean) {
  const suffix = !spec.unprotect && protectedRef ? 'protected' : 'non_protected'
  return {
    key: `${spec.key}-${suffix}`, untracked: spec.untracked, paths: spec.paths, policy: spec.policy, when: spec.when,
    fallback_keys: spec.fallback_keys.map((key) => `${key}-${suffix}`),
  }
}

/**
 * Ci::Build#dependency_variables: the dotenv variables (Ci::JobVariable source: dotenv) of the
 * jobs this job depends on, in dependency order; later jobs win a key.
 */
function dependencyVariables(ctx: PayloadContext, dependencyIds: number[]): Variable[] {
  const order = new Map(dependencyIds.map((id, index) => [id, index]))
  return ctx.dotenv
    .filter((row) => order.has(row.job_id))
    .sort((a, b) => order.get(a.job_id)! - order.get(b.job_id)! || a.id - b.id)
    .map((row) => ({ key: row.key, value: row.value, public: false, masked: false, raw: false }))
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
    protected: ctx.protectedRef,
  }
}

/** `script` = before_script + script; after_script runs `when: always` and may fail. */
function steps(options: JobOptions, timeout: number) {
  const out = [{ name: 'script', script: [...(options.before_script ?? []), ...(options.script ?? [])], timeout, when: 'on_success', allow_failure: false }]
  if (options.after_script?.length) out.push({ name: 'after_script', script: options.after_script, timeout, when: 'always', allow_failure: true })
  return out
}

function image(spec: ImageSpec) {
  return { name: spec.name, entrypoint: spec.entrypoint ?? null, ports: spec.ports ?? [], executor_opts: spec.executor_opts ?? {}, pull_policy: spec.pull_policy ?? null }
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
  for (const [type, paths] of Object.entries(spec.reports)) {
    if (type === 'coverage_report') continue
    if (!Array.isArray(paths) || paths.length === 0) continue
    out.push({ name: REPORT_FILE_NAMES[type] ?? type, paths, when: 'always', expire_in: spec.expire_in ?? null, artifact_type: type, artifact_format: reportFormat(type) })
  }
  const coverage = spec.reports.coverage_report
  if (coverage) {
    const type = coverage.coverage_format
    out.push({ name: REPORT_FILE_NAMES[type] ?? type, paths: [coverage.path], when: 'always', expire_in: spec.expire_in ?? null, artifact_type: type, artifact_format: 'gzip' })
  }
  return out
}

/** Ci::JobArtifact::DEFAULT_FILE_NAMES for the report types a runner uploads. */
const REPORT_FILE_NAMES: Record<string, string> = {
  junit: 'junit.xml', dotenv: '.env', cobertura: 'cobertura-coverage.xml', jacoco: 'jacoco.xml', codequality: 'gl-code-quality-report.json',
  sast: 'gl-sast-report.json', secret_detection: 'gl-secret-detection-report.json', dependency_scanning: 'gl-dependency-scanning-report.json',
  container_scanning: 'gl-container-scanning-report.json', dast: 'gl-dast-report.json', metrics: 'metrics.txt', terraform: 'tfplan.json',
  lsif: 'lsif.json', accessibility: 'gl-accessibility.json', annotations: 'gl-annotations.json', cyclonedx: 'gl-sbom.cdx.json',
  browser_performance: 'browser-performance.json', load_performance: 'load-performance.json', performance: 'performance.json',
  license_scanning: 'gl-license-scanning-report.json', requirements: 'requirements.json',
}

/** Ci::JobArtifact's file formats: security and quality reports are raw, the rest gzip (lsif zip). */
function reportFormat(type: string): string {
  if (type === 'lsif') return 'zip'
  const gzip = ['junit', 'metrics', 'dotenv', 'cobertura', 'jacoco', 'cluster_applications', 'cyclonedx', 'annotations', 'repository_xray']
  return gzip.includes(type) ? 'gzip' : 'raw'
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
    artifacts_file: dep.filename !== null ? { filename: dep.filename, size: dep.size } : undefined,
  }))
}
