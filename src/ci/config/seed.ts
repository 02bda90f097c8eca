import type { JobDefinition, PipelineDefinition, Variable } from '../types'
import type { PipelineFacts } from './facts'
import type { JobSpec } from './job'
import { policiesAllow } from './policy'
import { RuleClauseError, type ClauseData } from './rule-clauses'
import { matchRules, type AutoCancel, type Rule } from './rules'

/**
 * From a valid config to the pipeline it creates for one set of variables: `workflow:rules`
 * decide whether there is a pipeline, each job's `rules` whether and how it joins. Sources:
 * gitlabhq lib/gitlab/ci/pipeline/chain/evaluate_workflow_rules.rb, lib/gitlab/ci/build/rules.rb,
 * lib/gitlab/ci/pipeline/seed/build.rb.
 */

export type ParseResult = { ok: true; pipeline: PipelineDefinition } | { ok: false; errors: string[] }

export interface SeedInput {
  stages: string[]
  variables: Variable[]
  workflowRules?: Rule[]
  workflowAutoCancel?: AutoCancel
  jobs: JobSpec[]
  /** predefined and pipeline variables; they win over YAML variables of the same name */
  context: Record<string, string>
  facts: PipelineFacts
  clauseData?: ClauseData
}

const EDGE_STAGES = ['.pre', '.post']
const NO_JOBS =
  'Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline.'

export function seedPipeline(input: SeedInput): ParseResult {
  let variables = input.variables
  // Chain::PopulateMetadata: the matched workflow rule's auto_cancel is merged over workflow:auto_cancel.
  let autoCancel = input.workflowAutoCancel
  if (input.workflowRules) {
    let rule: Rule | undefined
    try {
      rule = matchRules(input.workflowRules, { ...variableRecord(variables), ...input.context }, input.facts, input.clauseData)
    } catch (error) {
      if (error instanceof RuleClauseError) return { ok: false, errors: [`Failed to parse rule for workflow: ${error.message}`] }
      throw error
    }
    if (!rule || rule.when === 'never') return { ok: false, errors: ['Pipeline filtered out by workflow rules.'] }
    variables = mergeVariables(variables, rule.variables)
    if (rule.autoCancel) autoCancel = { ...autoCancel, ...rule.autoCancel }
  }
  const jobs: JobDefinition[] = []
  for (const job of input.jobs) {
    try {
      const seeded = seedJob(job, variables, input)
      if (seeded) jobs.push(seeded)
    } catch (error) {
      if (error instanceof RuleClauseError) return { ok: false, errors: [`Failed to parse rule for ${job.name}: ${error.message}`] }
      throw error
    }
  }
  const errors = resolveNeeds(jobs)
  if (errors.length > 0) return { ok: false, errors }
  // A pipeline of only .pre and .post jobs does not run either.
  if (jobs.every((job) => EDGE_STAGES.includes(job.stage))) return { ok: false, errors: [NO_JOBS] }
  const pipeline: PipelineDefinition = { stages: input.stages, variables, jobs }
  if (autoCancel && Object.keys(autoCancel).length > 0) pipeline.autoCancel = autoCancel
  return { ok: true, pipeline }
}

/** The job as it joins the pipeline, or null when its rules keep it out. */
function seedJob(job: JobSpec, globals: Variable[], input: SeedInput): JobDefinition | null {
  const seeded: JobDefinition = {
    name: job.name,
    stage: job.stage,
    stageIdx: input.stages.indexOf(job.stage),
    kind: job.kind,
    when: job.when,
    allowFailure: job.allowFailure,
    needs: job.needs,
    tags: job.tags,
    variables: job.variables,
    options: job.options,
  }
  if (job.inheritVariables !== true) seeded.inheritVariables = job.inheritVariables
  if (job.timeout !== undefined) seeded.timeout = job.timeout
  if (job.coverageRegex !== undefined) seeded.coverageRegex = job.coverageRegex
  const variables = { ...variableRecord(inheritedVariables(globals, job.inheritVariables)), ...variableRecord(job.variables), ...input.context }
  if (!job.rules) return policiesAllow(job.only, job.except, input.facts, variables) ? seeded : null
  const rule = matchRules(job.rules, variables, input.facts, input.clauseData)
  return rule && rule.when !== 'never' ? applyRule(seeded, rule) : null
}

/**
 * The matched rule's `when` (else the job's), `allow_failure` (else the job's static one, so a
 * `rules: when: manual` job blocks unless told otherwise), `start_in` and variables.
 */
function applyRule(job: JobDefinition, rule: Rule): JobDefinition {
  const when = rule.when === undefined || rule.when === 'never' ? job.when : rule.when
  const options = { ...job.options }
  if (when === 'delayed' && rule.startIn !== undefined) options.start_in = rule.startIn
  if (rule.interruptible !== undefined) options.interruptible = rule.interruptible
  return {
    ...job,
    when,
    allowFailure: rule.allowFailure ?? job.allowFailure,
    variables: mergeVariables(job.variables, rule.variables),
    // rules:needs replace the job's needs entirely.
    needs: rule.needs ?? job.needs,
    options,
  }
}

/** Optional needs of jobs that did not join are dropped; other such needs fail the pipeline. */
function resolveNeeds(jobs: JobDefinition[]): string[] {
  const names = new Set(jobs.map((job) => job.name))
  const errors: string[] = []
  for (const job of jobs) {
    if (job.needs === null) continue
    for (const need of job.needs.filter((need) => !names.has(need.name) && !need.optional)) {
      errors.push(
        `'${job.name}' job needs '${need.name}' job, but '${need.name}' does not exist in the pipeline. ` +
          'This might be because of the only, except, or rules keywords. ' +
          'To need a job that sometimes does not exist in the pipeline, use needs:optional.',
      )
    }
    job.needs = job.needs.filter((need) => names.has(need.name))
  }
  return errors
}

/** The global variables `inherit:variables` lets a job see. */
export function inheritedVariables(globals: readonly Variable[], inherit: boolean | string[] | undefined): readonly Variable[] {
  if (inherit === undefined || inherit === true) return globals
  if (inherit === false) return []
  return globals.filter((variable) => inherit.includes(variable.key))
}

function variableRecord(variables: readonly Variable[]): Record<string, string> {
  return Object.fromEntries(variables.map((variable) => [variable.key, variable.value]))
}

/** Later definitions of a key replace earlier ones in place, like Hash#merge. */
function mergeVariables(base: readonly Variable[], overrides: readonly Variable[]): Variable[] {
  const merged = new Map(base.map((variable) => [variable.key, variable]))
  for (const variable of overrides) merged.set(variable.key, variable)
  return [...merged.values()]
}
