import type { JobStatus } from './statuses'

/**
 * The data the pure CI rules work on. `ci/` never does I/O: callers load rows, call these
 * functions with a `now`, and persist what they decide.
 */
export type When = 'on_success' | 'on_failure' | 'always' | 'manual' | 'delayed' | 'never'

export interface Need {
  name: string
  optional: boolean
  artifacts: boolean
  /** `needs:parallel:matrix`: the instances of a matrix job to need (expanded away before storage) */
  matrix?: Record<string, string[]>[]
}

export interface RetryPolicy {
  /** 0..2 */
  max: number
  /** failure reasons (or 'always') that allow an automatic retry; defaults to ['always'] */
  when: string[]
  exitCodes: number[]
}

export interface Variable {
  key: string
  value: string
  /** 'env_var' | 'file' */
  variable_type?: string
  masked?: boolean
  public?: boolean
  raw?: boolean
}

export interface ImageSpec {
  name: string
  entrypoint?: string[]
  alias?: string
  command?: string[]
  ports?: unknown[]
  variables?: Variable[]
  pull_policy?: string[]
  /** `docker: {platform, user}`, `kubernetes: {user}` */
  executor_opts?: Record<string, Record<string, string>>
}

export interface ArtifactsSpec {
  name?: string
  paths: string[]
  exclude: string[]
  untracked: boolean
  when: 'on_success' | 'on_failure' | 'always'
  expire_in?: string
  /** report type → paths; `coverage_report` is `{coverage_format, path}` */
  reports: { [type: string]: string[] | undefined } & { coverage_report?: { coverage_format: string; path: string } }
  expose_as?: string
  public?: boolean
  access?: 'none' | 'developer' | 'all'
}

export interface CacheSpec {
  key: string
  paths: string[]
  untracked: boolean
  policy: 'pull-push' | 'pull' | 'push'
  when: 'on_success' | 'on_failure' | 'always'
  fallback_keys: string[]
  unprotect?: boolean
  /** `key: {files, prefix}`: the key is computed from these files when the pipeline is created */
  key_files?: { files: string[]; prefix?: string }
}

export interface TriggerSpec {
  /** multi-project: target project full path */
  project?: string
  /** multi-project: target branch */
  branch?: string
  /** child pipeline: path of a file in the same project */
  include?: string
  /** child pipeline: include items beyond one local file (project, remote, template, component, several files) */
  includes?: unknown[]
  strategy?: 'depend'
  forward?: { yaml_variables: boolean; pipeline_variables: boolean }
}

export interface EnvironmentSpec {
  name: string
  action: 'start' | 'stop' | 'prepare' | 'verify' | 'access'
  url?: string
  on_stop?: string
  auto_stop_in?: string
  deployment_tier?: 'production' | 'staging' | 'testing' | 'development' | 'other'
  kubernetes?: Record<string, unknown>
  /** set at pipeline creation with the expanded name (CI_ENVIRONMENT_SLUG) */
  slug?: string
}

export interface ReleaseSpec {
  tag_name: string
  description: string
  name?: string
  tag_message?: string
  ref?: string
  released_at?: string
  milestones?: string | string[]
  assets?: { links: Record<string, unknown>[] }
}

export interface IdTokenSpec {
  aud: string | string[]
}

/** What a job keeps of its CI config (stored as JSON in jobs.options). */
export interface JobOptions {
  script?: string[]
  before_script?: string[]
  after_script?: string[]
  image?: ImageSpec
  services?: ImageSpec[]
  artifacts?: ArtifactsSpec
  cache?: CacheSpec[]
  dependencies?: string[]
  start_in?: string
  trigger?: TriggerSpec
  retry?: RetryPolicy
  allow_failure_exit_codes?: number[]
  interruptible?: boolean
  /** the 1-based instance of a `parallel` job */
  instance?: number
  /** as written; `name`/`url` expanded at pipeline creation */
  environment?: EnvironmentSpec
  resource_group?: string
  release?: ReleaseSpec
  pages?: Record<string, unknown>
  hooks?: { pre_get_sources_script: string[] }
  id_tokens?: Record<string, IdTokenSpec>
  secrets?: Record<string, unknown>
}

/** One job of a pipeline as the config defines it, after `rules` have been evaluated. */
export interface JobDefinition {
  name: string
  stage: string
  stageIdx: number
  kind: 'build' | 'bridge'
  when: Exclude<When, 'never'>
  allowFailure: boolean
  /** null: stage scheduling; an array (possibly empty): DAG scheduling */
  needs: Need[] | null
  tags: string[]
  /** seconds */
  timeout?: number
  coverageRegex?: string
  /** job-level variables (global ones are on the pipeline definition) */
  variables: Variable[]
  /** `inherit:variables`: the global variables the job gets (true: all) */
  inheritVariables?: boolean | string[]
  /** set when the job is created failed (environment_creation_failure) */
  failureReason?: string
  options: JobOptions
}

export interface PipelineDefinition {
  stages: string[]
  variables: Variable[]
  jobs: JobDefinition[]
  /** workflow:auto_cancel, merged with the matched workflow rule's (Ci::PipelineMetadata) */
  autoCancel?: { on_new_commit?: 'conservative' | 'interruptible' | 'none'; on_job_failure?: 'none' | 'all' }
}

/** A job as pipeline processing sees it (only the latest, non-retried jobs). */
export interface ProcessableJob {
  id: number
  name: string
  stageIdx: number
  status: JobStatus
  allowFailure: boolean
  when: Exclude<When, 'never'>
  /** null for stage scheduling */
  needs: Need[] | null
  enqueueImmediately: boolean
}

export type ProcessEvent = 'enqueue' | 'actionize' | 'schedule' | 'skip'

export interface ProcessDecision {
  jobId: number
  event: ProcessEvent
}

/** The part of a job row the transition rules read and write (timestamps in ms). */
export interface JobState {
  kind: 'build' | 'bridge'
  status: JobStatus
  when: Exclude<When, 'never'>
  allowFailure: boolean
  /** allow_failure:exit_codes — a failure with one of these exit codes sets allowFailure */
  allowFailureExitCodes: number[]
  retried: boolean
  queuedAt: number | null
  startedAt: number | null
  finishedAt: number | null
  scheduledAt: number | null
  failureReason: string | null
  exitCode: number | null
  /** seconds; set when the job starts running */
  timeout: number | null
  /** seconds for `when: delayed` (start_in parsed) */
  startInSeconds: number | null
}
