import { can, type ProjectAccess } from '../auth/policy'
import { canWriteRef } from '../auth/ref-access'
import { resolveCiConfig } from '../ci/config/parse'
import { parseDuration } from '../ci/config/duration'
import type { JobDefinition, PipelineDefinition, Variable } from '../ci/types'
import { environmentStatements } from '../db/environments'
import { failInsertedJobStatement, insertJobStatement, type NewJob } from '../db/jobs'
import { INSERTED_PIPELINE_ID, insertPipelineStatement, insertStageStatement, type PipelineRow, finishInsertedPipelineStatement, insertedPipelineYamlErrorsStatement } from '../db/pipelines'
import type { ProjectRow } from '../db/projects'
import { refProtections, type RefProtections } from '../db/protected-branches'
import { upsertCommitStatement, type CommitRow } from '../db/repository'
import type { Env } from '../env'
import { repoObject } from '../objects/stubs'
import { inheritedVariables } from '../ci/config/seed'
import { configSources, projectHandle, type CiSourceSettings } from './ci-sources'
import { completeJobs } from './creation-values'
import { pipelineVariables } from './predefined-variables'
import { sealPipelineVariables } from './pipeline-variables'
import { configSecretVariables } from './secret-variables'
import { commitRow } from './repository'
import { firePipelineHooks } from '../hooks/fan-out'

/**
 * Creates a pipeline from the CI config at a ref's head (or a given sha for child pipelines):
 * parse and validate, then insert pipeline, stages and jobs in ONE transaction. An invalid
 * config creates nothing. Processing (enqueueing the first jobs) is the caller's next step.
 */
export interface CreatePipelineInput {
  project: ProjectRow
  ref: string
  /** child pipelines run on the parent's sha */
  sha?: string
  userId: number | null
  /**
   * Who runs it, for Chain::Validate::Abilities#allowed_to_write_ref?: an existing protected ref
   * only for a user who may push or merge to it (a tag: create it). `protections` when the caller
   * read them already (else they are read alongside the ref). null only where writing the ref is
   * given by construction: a push by its pusher, a child pipeline on its parent's ref.
   */
  writer: { access: ProjectAccess; protections?: RefProtections } | null
  source: string
  variables: Variable[]
  /** a file in the project to use instead of the project's CI config (child pipelines) */
  configPath?: string
  /** the config text itself (a child pipeline's `trigger:include` items, as `{"include": [...]}`) */
  configSource?: string
  parent?: { pipelineId: number; bridgeJobId: number }
  /** the pipeline trigger token that makes it (source `trigger`) */
  triggerId?: number
  externalUrl: string
  now: number
  /** values for the config's `spec:inputs` */
  inputs?: Record<string, unknown>
  /** the ref's previous head (push pipelines: the diff `rules:changes` and `only:changes` see) */
  beforeSha?: string
  /** template source, private remote includes, fetch */
  includeSettings?: CiSourceSettings
  /** a tag pipeline (push of refs/tags/…) */
  tag?: boolean
  /** `[skip ci]` or `-o ci.skip`: the pipeline is created `skipped`, without jobs */
  skip?: boolean
}

/** Why no pipeline was made: no such ref, a user who may not run it (Chain::Validate::Abilities), no config, filtered out by workflow:rules, or an invalid config. */
export type CreatePipelineFailure = 'not_found' | 'forbidden' | 'missing_config' | 'filtered' | 'invalid'

export type CreatePipelineResult = { ok: true; pipeline: PipelineRow } | { ok: false; errors: string[]; reason?: CreatePipelineFailure }

const ZERO_SHA = '0000000000000000000000000000000000000000'

export async function createPipeline(env: Env, input: CreatePipelineInput): Promise<CreatePipelineResult> {
  const db = env.DB
  const prepared = await preparePipeline(env, input)
  if (!prepared.ok) return prepared
  const { commit, definition, repo } = prepared
  const statements = insertStatements(db, input, commit, await sealPipelineVariables(env, input.variables), input.skip ? { ...definition, jobs: [] } : definition)
  if (input.skip) {
    statements.push(finishInsertedPipelineStatement(db, 'skipped', input.now))
  }
  statements.push(upsertCommitStatement(db, commit))
  const results = await db.batch<PipelineRow>(statements)
  const pipeline = results[0].results[0]
  if (input.skip) Object.assign(pipeline, { status: 'skipped', finished_at: input.now })
  // GitLab's persistent ref: the pipeline's commit stays fetchable whatever happens to the branch.
  await repo.setRef(`refs/pipelines/${pipeline.id}`, commit.sha)
  // Created skipped: never processed, so its one status change gives its Pipeline Hooks here.
  if (input.skip) await firePipelineHooks(env, pipeline.project_id, pipeline.id, input.now).catch((error) => console.error('pipeline hooks failed', pipeline.id, error))
  return { ok: true, pipeline }
}

/**
 * CI Lint's dry run (Ci::CreatePipelineService with `dry_run: true`): the pipeline creation would
 * make, rules and workflow evaluated, nothing written.
 */
export async function simulatePipeline(env: Env, input: CreatePipelineInput): Promise<
  | { ok: true; definition: PipelineDefinition; writtenEnvironments: Map<JobDefinition, string> }
  | { ok: false; errors: string[]; reason?: CreatePipelineFailure }
> {
  const prepared = await preparePipeline(env, input)
  if (!prepared.ok) return prepared
  return { ok: true, definition: prepared.definition, writtenEnvironments: prepared.writtenEnvironments }
}

/**
 * Gitlab::Ci::Config::External::Context#mask_variables_from: a masked variable's value never shows
 * in an error (an include location expanded with it, say).
 */
function maskVariables(text: string, secret: readonly Variable[]): string {
  return secret.reduce((out, variable) => (variable.masked && variable.value !== '' ? out.split(variable.value).join('[MASKED]') : out), text)
}

/** The commit, and the pipeline its config makes (parsed, validated, seeded, completed). */
async function preparePipeline(env: Env, input: CreatePipelineInput) {
  const writer = input.writer
  if (writer && !can(writer.access, 'create_pipeline')) {
    return { ok: false as const, errors: ['Insufficient permissions to create a new pipeline'], reason: 'forbidden' as const }
  }
  const repo = repoObject(env, input.project.id)
  const [view, protections] = await Promise.all([
    repo.commitAt(input.sha ?? (input.tag ? `refs/tags/${input.ref}` : input.ref)),
    writer && !writer.protections ? refProtections(env.DB, input.project.id) : writer?.protections,
  ])
  if (!view) return { ok: false as const, errors: ['Reference not found'], reason: 'not_found' as const }
  // allowed_to_write_ref? asks only about a ref that exists (else "Reference not found" above).
  if (writer && !canWriteRef(writer.access, protections!, input.ref, input.tag ?? false)) {
    return { ok: false as const, errors: [`Insufficient permissions for protected ref '${input.ref}'`], reason: 'forbidden' as const }
  }
  const commit = commitRow(input.project.id, view)
  const configPath = input.configPath ?? input.project.ci_config_path ?? '.gitlab-ci.yml'
  const bytes = input.configSource === undefined ? await repo.fileAt(commit.sha, configPath) : null
  if (input.configSource === undefined && bytes === null) {
    return { ok: false as const, errors: [input.configPath ? `Included file \`${configPath}\` is empty or does not exist!` : 'Missing CI config file'], reason: 'missing_config' as const }
  }
  const source = input.configSource ?? new TextDecoder().decode(bytes!)
  const secret = await configSecretVariables(env, input.project.id, input.ref, input.tag ?? false)
  const context = contextVariables(input, commit, secret)
  const sources = configSources(env, input.userId, input.externalUrl, input.includeSettings)
  const project = projectHandle(input.project)
  const modifiedPaths = input.source === 'push' && input.beforeSha && input.beforeSha !== ZERO_SHA
    ? await sources.repository.changedPaths(project, input.beforeSha, commit.sha)
    : null
  const parsed = await resolveCiConfig(source, {
    variables: context,
    facts: { modifiedPaths, projectPath: input.project.full_path },
    inputs: input.inputs,
    sources,
    project,
    sha: commit.sha,
  })
  if (!parsed.ok) {
    const filtered = parsed.errors.length === 1 && parsed.errors[0] === 'Pipeline filtered out by workflow rules.'
    return { ok: false as const, errors: parsed.errors.map((error) => maskVariables(error, secret)), reason: filtered ? ('filtered' as const) : ('invalid' as const) }
  }
  // The environment names as written (job.options[:environment][:name] in GitLab, which CI Lint's dry run shows).
  const writtenEnvironments = new Map<JobDefinition, string>()
  for (const job of parsed.pipeline.jobs) if (job.options.environment) writtenEnvironments.set(job, job.options.environment.name)
  await completeJobs(parsed.pipeline, context, sources.repository, project, commit.sha)
  return { ok: true as const, commit, definition: parsed.pipeline, repo, writtenEnvironments }
}

/**
 * A push whose config is invalid still makes a pipeline in GitLab: `failed`, without jobs, with
 * the config errors as `yaml_errors` (failure reason config_error).
 */
export async function createFailedPipeline(env: Env, input: CreatePipelineInput & { sha: string }, errors: string[]): Promise<PipelineRow | null> {
  const db = env.DB
  const repo = repoObject(env, input.project.id)
  const view = await repo.commitView(input.sha)
  if (!view) return null
  const commit = commitRow(input.project.id, view)
  const results = await db.batch<PipelineRow>([
    ...insertStatements(db, input, commit, await sealPipelineVariables(env, input.variables), { stages: [], jobs: [], variables: [] }),
    finishInsertedPipelineStatement(db, 'failed', input.now),
    insertedPipelineYamlErrorsStatement(db, errors),
    upsertCommitStatement(db, commit),
  ])
  const pipeline = Object.assign(results[0].results[0], { status: 'failed', finished_at: input.now })
  await repo.setRef(`refs/pipelines/${pipeline.id}`, commit.sha)
  await firePipelineHooks(env, pipeline.project_id, pipeline.id, input.now).catch((error) => console.error('pipeline hooks failed', pipeline.id, error))
  return pipeline
}

/** Predefined < instance and project variables < the pipeline's own (config_variables' order). */
function contextVariables(input: CreatePipelineInput, commit: CommitRow, secret: Variable[]): Record<string, string> {
  const out: Record<string, string> = {}
  const predefined = pipelineVariables({
    project: input.project, externalUrl: input.externalUrl, ref: input.ref, tag: input.tag ?? false, sha: commit.sha, source: input.source,
  })
  for (const v of [...predefined, ...secret, ...input.variables]) out[v.key] = v.value
  return out
}

function insertStatements(db: D1Database, input: CreatePipelineInput, commit: CommitRow, storedVariables: string, definition: PipelineDefinition): D1PreparedStatement[] {
  const parents = JSON.parse(commit.parent_ids) as string[]
  const statements = [
    insertPipelineStatement(db, {
      project_id: input.project.id,
      sha: commit.sha,
      before_sha: input.beforeSha ?? parents[0] ?? ZERO_SHA,
      ref: input.ref,
      tag: input.tag ? 1 : 0,
      source: input.source,
      user_id: input.userId,
      variables: storedVariables,
      parent_pipeline_id: input.parent?.pipelineId ?? null,
      source_job_id: input.parent?.bridgeJobId ?? null,
      created_at: input.now,
      auto_cancel_on_new_commit: definition.autoCancel?.on_new_commit ?? null,
      auto_cancel_on_job_failure: definition.autoCancel?.on_job_failure ?? null,
      trigger_id: input.triggerId ?? null,
    }),
  ]
  const usedStages = new Set(definition.jobs.map((job) => job.stageIdx))
  definition.stages.forEach((name, idx) => {
    if (usedStages.has(idx)) statements.push(insertStageStatement(db, idx, name))
  })
  for (const job of definition.jobs) {
    statements.push(insertJobStatement(db, newJob(input, definition, job), INSERTED_PIPELINE_ID))
    if (job.failureReason) {
      statements.push(failInsertedJobStatement(db, job.name, job.failureReason, input.now))
    }
    const environment = job.options.environment
    if (environment?.slug) {
      statements.push(...environmentStatements(db, {
        projectId: input.project.id, jobName: job.name, environment: { ...environment, slug: environment.slug },
        ref: input.ref, sha: commit.sha, userId: input.userId, now: input.now,
      }))
    }
  }
  return statements
}

function newJob(input: CreatePipelineInput, definition: PipelineDefinition, job: JobDefinition): NewJob {
  // yaml_variables: global variables overridden by the job's own, as GitLab stores them on the job.
  const variables = new Map<string, Variable>()
  for (const v of [...inheritedVariables(definition.variables, job.inheritVariables), ...job.variables]) variables.set(v.key, v)
  const startIn = job.options.start_in ? parseDuration(job.options.start_in) : null
  const options = { ...job.options, start_in_seconds: startIn ?? undefined, job_timeout: job.timeout }
  return {
    project_id: input.project.id,
    pipeline_id: 0,
    type: job.kind,
    name: job.name,
    stage: job.stage,
    stage_idx: job.stageIdx,
    ref: input.ref,
    tag: input.tag ? 1 : 0,
    allow_failure: job.allowFailure ? 1 : 0,
    when_: job.when,
    scheduling_type: job.needs === null ? 'stage' : 'dag',
    user_id: input.userId,
    created_at: input.now,
    coverage_regex: job.coverageRegex ?? null,
    tag_list: JSON.stringify(job.tags),
    options: JSON.stringify(options),
    yaml_variables: JSON.stringify([...variables.values()]),
    job_variables: '[]',
    needs: JSON.stringify(job.needs ?? []),
    enqueue_immediately: 0,
  }
}
