import { lintCiConfig, type LintResult } from '../ci/config/parse'
import type { PipelineDefinition } from '../ci/types'
import type { ProjectAccess } from '../auth/policy'
import type { ProjectRow } from '../db/projects'
import type { Env } from '../env'
import { configSources, includeSettings, projectHandle } from './ci-sources'
import { simulatePipeline } from './create-pipeline'
import { pipelineVariables } from './predefined-variables'

/**
 * Gitlab::Ci::Lint#legacy_validate: the static check of a config (YamlProcessor: includes,
 * extends, every entry, the job graph; rules are not evaluated) or, with `dryRun`, the pipeline
 * creation simulated on `ref` (rules and workflow evaluated, nothing written).
 */
export interface LintInput {
  project: ProjectRow
  userId: number | null
  /** the caller's access: the dry run is a pipeline creation (Chain::Validate::Abilities) */
  access: ProjectAccess
  /** null: the project has no such file (GitLab's "Please provide content") */
  content: string | null
  /** the commit includes and `rules:exists` are read at (the default branch's head when linting given content) */
  sha: string | null
  dryRun: boolean
  /** the dry run's branch or tag, and the static check's ref variables */
  ref: string
  externalUrl: string
  now: number
}

export type LintOutcome = LintResult & { dryRunJobs?: PipelineDefinition['jobs']; dryRunStages?: string[] }

export async function lintConfig(env: Env, input: LintInput): Promise<LintOutcome> {
  // The dry run is Ci::CreatePipelineService with dry_run: a caller who may not create pipelines on
  // the ref (Chain::Validate::Abilities) is stopped before the config is read (no merged_yaml, no
  // includes), as spec/requests/api/lint_spec.rb's "returns pipeline creation error".
  if (input.dryRun && !input.project.builds_enabled) return refused('Pipelines are disabled!')
  const simulated = input.dryRun ? await simulatePipeline(env, {
    project: input.project, ref: input.ref, userId: input.userId, writer: { access: input.access }, source: 'push', variables: [], configSource: input.content ?? '',
    externalUrl: input.externalUrl, now: input.now, includeSettings: includeSettings(env),
  }) : null
  if (simulated && !simulated.ok && simulated.reason === 'forbidden') return refused(simulated.errors[0]!)
  const variables: Record<string, string> = {}
  if (input.sha) {
    const predefined = pipelineVariables({ project: input.project, externalUrl: input.externalUrl, ref: input.ref, tag: false, sha: input.sha, source: 'push' })
    for (const item of predefined) variables[item.key] = item.value
  }
  const result = await lintCiConfig(input.content, {
    variables,
    facts: { projectPath: input.project.full_path },
    sources: configSources(env, input.userId, input.externalUrl, includeSettings(env)),
    project: projectHandle(input.project),
    sha: input.sha ?? '',
  })
  if (!simulated || result.errors.length > 0) return result
  if (!simulated.ok) return { ...result, errors: simulated.errors, jobs: [], stages: [] }
  // dry_run_convert_to_jobs shows job.options.dig(:environment, :name): the name as written, not
  // the one expanded with the project's variables.
  const jobs = simulated.definition.jobs.map((job) => {
    const written = simulated.writtenEnvironments.get(job)
    return written === undefined || !job.options.environment ? job : { ...job, options: { ...job.options, environment: { ...job.options.environment, name: written } } }
  })
  return { ...result, dryRunJobs: jobs, dryRunStages: simulated.definition.stages }
}

function refused(error: string): LintOutcome {
  return { errors: [error], merged: null, includes: null, stages: [], jobs: [] }
}
