import { resolveCiConfig } from '../ci/config/parse'
import { parseDuration } from '../ci/config/duration'
import type { JobDefinition, PipelineDefinition, Variable } from '../ci/types'
import { environmentStatements } from '../db/environments'
import { insertJobStatement, type NewJob } from '../db/jobs'
import { INSERTED_PIPELINE_ID, insertPipelineStatement, insertStageStatement, type PipelineRow } from '../db/pipelines'
import type { ProjectRow } from '../db/projects'
import { findCommit, readFileAt, type CommitRow } from '../db/repository'
import { inheritedVariables } from '../ci/config/seed'
import { configSources, projectHandle, type CiSourceSettings } from './ci-sources'
import { completeJobs } from './creation-values'
import { pipelineVariables } from './predefined-variables'

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
  source: string
  variables: Variable[]
  /** a file in the project to use instead of the project's CI config (child pipelines) */
  configPath?: string
  /** the config text itself (a child pipeline's `trigger:include` items, as `{"include": [...]}`) */
  configSource?: string
  parent?: { pipelineId: number; bridgeJobId: number }
  externalUrl: string
  now: number
  /** values for the config's `spec:inputs` */
  inputs?: Record<string, unknown>
  /** a push that updated the branch: its previous head (the diff `rules:changes` and `only:changes` see) */
  beforeSha?: string
  /** template source, private remote includes, fetch */
  includeSettings?: CiSourceSettings
}

export type CreatePipelineResult = { ok: true; pipeline: PipelineRow } | { ok: false; errors: string[] }

const ZERO_SHA = '0000000000000000000000000000000000000000'

export async function createPipeline(db: D1Database, input: CreatePipelineInput): Promise<CreatePipelineResult> {
  const commit = await findCommit(db, input.project.id, input.sha ?? input.ref)
  if (!commit) return { ok: false, errors: ['Reference not found'] }
  const configPath = input.configPath ?? input.project.ci_config_path ?? '.gitlab-ci.yml'
  const source = input.configSource ?? (await readFileAt(db, commit, configPath))
  if (source === null) {
    return { ok: false, errors: [input.configPath ? `Included file \`${configPath}\` is empty or does not exist!` : 'Missing CI config file'] }
  }
  const context = contextVariables(input, commit)
  const sources = configSources(db, input.userId, input.externalUrl, input.includeSettings)
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
  if (!parsed.ok) return parsed
  await completeJobs(parsed.pipeline, context, sources.repository, project, commit.sha)
  const statements = insertStatements(db, input, commit, parsed.pipeline)
  const results = await db.batch<PipelineRow>(statements)
  return { ok: true, pipeline: results[0].results[0] }
}

function contextVariables(input: CreatePipelineInput, commit: CommitRow): Record<string, string> {
  const out: Record<string, string> = {}
  const predefined = pipelineVariables({
    project: input.project, externalUrl: input.externalUrl, ref: input.ref, tag: false, sha: commit.sha, source: input.source,
  })
  for (const v of [...predefined, ...input.variables]) out[v.key] = v.value
  return out
}

function insertStatements(db: D1Database, input: CreatePipelineInput, commit: CommitRow, definition: PipelineDefinition): D1PreparedStatement[] {
  const parents = JSON.parse(commit.parent_ids) as string[]
  const statements = [
    insertPipelineStatement(db, {
      project_id: input.project.id,
      sha: commit.sha,
      before_sha: input.beforeSha ?? parents[0] ?? ZERO_SHA,
      ref: input.ref,
      tag: 0,
      source: input.source,
      user_id: input.userId,
      variables: JSON.stringify(input.variables),
      parent_pipeline_id: input.parent?.pipelineId ?? null,
      source_job_id: input.parent?.bridgeJobId ?? null,
      created_at: input.now,
      auto_cancel_on_new_commit: definition.autoCancel?.on_new_commit ?? null,
      auto_cancel_on_job_failure: definition.autoCancel?.on_job_failure ?? null,
    }),
  ]
  const usedStages = new Set(definition.jobs.map((job) => job.stageIdx))
  definition.stages.forEach((name, idx) => {
    if (usedStages.has(idx)) statements.push(insertStageStatement(db, idx, name))
  })
  for (const job of definition.jobs) {
    statements.push(insertJobStatement(db, newJob(input, definition, job), INSERTED_PIPELINE_ID))
    if (job.failureReason) {
      statements.push(
        db
          .prepare(`UPDATE jobs SET status = 'failed', failure_reason = ?, finished_at = ? WHERE pipeline_id = ${INSERTED_PIPELINE_ID} AND name = ?`)
          .bind(job.failureReason, input.now, job.name),
      )
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
    tag: 0,
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
