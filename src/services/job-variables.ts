import type { Variable } from '../ci/types'
import type { JobRow } from '../db/jobs'
import { storedPipelineVariables, type PipelineRow } from '../db/pipelines'
import type { ProjectRow } from '../db/projects'
import type { RunnerRow } from '../db/runners'
import type { UserRow } from '../db/users'
import { pipelineVariables, slug } from './predefined-variables'

/**
 * A variable as the runner receives it (lib/gitlab/ci/variables/collection/item.rb
 * `to_runner_variable`: `file` and `raw` are left out when false).
 */
export interface RunnerVariable {
  key: string
  value: string
  public: boolean
  file?: true
  masked: boolean
  raw?: true
}

export interface JobVariablesContext {
  job: JobRow
  token: string
  runner: RunnerRow
  pipeline: PipelineRow
  project: ProjectRow
  user: UserRow | null
  externalUrl: string
  /** the pipeline's ref is a protected branch (CI_COMMIT_REF_PROTECTED, git_info.protected) */
  protectedRef: boolean
}

/**
 * The variables sent with a job, lowest precedence first: predefined CI_* (pipeline, job, runner,
 * user), then the job's YAML variables (global merged with job-level), then the dotenv variables
 * of its dependencies, then pipeline variables, then variables given when the job was played
 * (Gitlab::Ci::Variables::Builder#scoped_variables, Ci::Build#base_variables). A later key replaces an earlier one's value, as
 * GitLab's precedence does. Values are not expanded here; the runner expands `$VAR` references.
 */
export function runnerVariables(ctx: JobVariablesContext, dependencyVariables: Variable[] = []): RunnerVariable[] {
  const out = new Map<string, RunnerVariable>()
  const add = (items: Variable[], fallbackPublic: boolean) => {
    for (const item of items) out.set(item.key, toRunnerVariable(item, fallbackPublic))
  }
  add(predefinedVariables(ctx), true)
  add(parseVariables(ctx.job.yaml_variables), true)
  add(dependencyVariables, false)
  add(storedPipelineVariables(ctx.pipeline), false)
  add(parseVariables(ctx.job.job_variables), false)
  return [...out.values()]
}

function toRunnerVariable(item: Variable, fallbackPublic: boolean): RunnerVariable {
  return {
    key: item.key,
    value: String(item.value ?? ''),
    public: item.public ?? fallbackPublic,
    ...(item.variable_type === 'file' ? { file: true as const } : {}),
    masked: item.masked ?? false,
    ...(item.raw ? { raw: true as const } : {}),
  }
}

function parseVariables(json: string): Variable[] {
  const parsed = JSON.parse(json || '[]') as unknown
  return Array.isArray(parsed) ? (parsed as Variable[]).filter((item) => item && typeof item.key === 'string') : []
}

/** The job's token inside the repository URL, as GitLab's `repo_url` does. */
export function repositoryUrl(externalUrl: string, fullPath: string, token: string): string {
  const url = new URL(externalUrl)
  return `${url.protocol}//gitlab-ci-token:${token}@${url.host}${url.pathname.replace(/\/+$/, '')}/${fullPath}.git`
}

function predefinedVariables(ctx: JobVariablesContext): Variable[] {
  const { job, pipeline, project, runner, user, token, externalUrl } = ctx
  const base = pipelineVariables({
    project, externalUrl, ref: pipeline.ref, tag: pipeline.tag === 1, sha: pipeline.sha, source: pipeline.source,
    pipelineId: pipeline.id, pipelineIid: pipeline.iid,
  })
  const visible: Array<[string, string]> = [
    ['CI_PIPELINE_CREATED_AT', iso(pipeline.created_at)],
    ['CI_COMMIT_BEFORE_SHA', pipeline.before_sha],
    ['CI_COMMIT_REF_PROTECTED', String(ctx.protectedRef)],
    ['CI_JOB_ID', String(job.id)],
    ['CI_JOB_URL', `${externalUrl}/${project.full_path}/-/jobs/${job.id}`],
    ['CI_JOB_NAME', job.name],
    ['CI_JOB_NAME_SLUG', slug(job.name)],
    ['CI_JOB_STAGE', job.stage],
    ['CI_JOB_STARTED_AT', iso(job.started_at ?? Date.now())],
    ['CI_NODE_TOTAL', '1'],
    ['CI_RUNNER_ID', String(runner.id)],
    ['CI_RUNNER_DESCRIPTION', runner.description],
    ['CI_RUNNER_TAGS', JSON.stringify(JSON.parse(runner.tag_list) as string[])],
    ['CI_REGISTRY_USER', 'gitlab-ci-token'],
  ]
  if (job.when_ === 'manual') visible.push(['CI_JOB_MANUAL', 'true'])
  if (user) {
    visible.push(['GITLAB_USER_ID', String(user.id)], ['GITLAB_USER_EMAIL', user.email])
    visible.push(['GITLAB_USER_LOGIN', user.username], ['GITLAB_USER_NAME', user.name])
  }
  const secret: Variable[] = [
    { key: 'CI_JOB_TOKEN', value: token, public: false, masked: true },
    { key: 'CI_REGISTRY_PASSWORD', value: token, public: false, masked: true },
    { key: 'CI_REPOSITORY_URL', value: repositoryUrl(externalUrl, project.full_path, token), public: false, masked: false },
  ]
  return [...base, ...visible.map(([key, value]) => ({ key, value, public: true, masked: false })), ...secret]
}


function iso(ms: number): string {
  // GitLab writes these as ISO 8601 without fractional seconds (`2024-01-01T12:00:00Z`).
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}
