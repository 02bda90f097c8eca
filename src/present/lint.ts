import { stringify } from 'yaml'
import type { Expression } from '../ci/config/expression'
import type { JobSpec } from '../ci/config/job'
import type { IncludeRecord } from '../ci/config/parse'
import type { Policy } from '../ci/config/policy'
import type { JobDefinition } from '../ci/types'

/**
 * Entities::Ci::Lint::Result (lib/api/entities/ci/lint/result.rb): valid, errors, warnings,
 * merged_yaml, includes, and `jobs` when asked, shaped as Gitlab::Ci::Lint builds them: the static
 * check's jobs (yaml_processor_result_to_jobs, with only/except/needs) or the dry run's
 * (dry_run_convert_to_jobs).
 */
export interface LintView {
  errors: string[]
  warnings: string[]
  merged: Record<string, unknown> | null
  includes: IncludeRecord[] | null
  stages: string[]
  jobs: JobSpec[]
  dryRun?: { stages: string[]; jobs: JobDefinition[] }
}

export function lintResult(view: LintView, options: { includeJobs: boolean; externalUrl: string }) {
  const out: Record<string, unknown> = {
    valid: view.errors.length === 0,
    errors: view.errors,
    warnings: view.warnings,
    // Psych's to_yaml: a `---` document, sequences not indented under their key.
    merged_yaml: view.merged ? `---\n${stringify(view.merged, { indentSeq: false, lineWidth: 0 })}` : null,
    includes: view.includes ? view.includes.map((item) => includeEntry(item, options.externalUrl)) : null,
  }
  if (options.includeJobs) out.jobs = view.dryRun ? dryRunJobs(view.dryRun) : staticJobs(view.stages, view.jobs)
  return out
}

function includeEntry(item: IncludeRecord, externalUrl: string) {
  const path = item.location.replace(/^\/+/, '')
  const blob = item.target ? `${externalUrl}/${item.target.project}/-/blob/${item.target.sha}/${path}` : null
  const raw = item.target ? `${externalUrl}/${item.target.project}/-/raw/${item.target.sha}/${path}` : item.type === 'remote' ? item.location : null
  return { context_project: item.contextProject, context_sha: item.contextSha, type: item.type, location: item.location, blob, raw, extra: item.extra }
}

function staticJobs(stages: string[], jobs: JobSpec[]) {
  return stages.flatMap((stage) => jobs.filter((job) => job.stage === stage).map((job) => ({
    name: job.name,
    stage,
    before_script: job.options.before_script ?? [],
    script: job.options.script ?? [],
    after_script: job.options.after_script ?? [],
    tag_list: job.tags,
    only: policy(job.only),
    except: policy(job.except),
    environment: job.environment?.name ?? null,
    when: job.when,
    allow_failure: job.allowFailure,
    needs: job.needs ? job.needs.map((need) => ({ name: need.name, artifacts: need.artifacts, optional: need.optional })) : null,
  })))
}

function dryRunJobs(run: { stages: string[]; jobs: JobDefinition[] }) {
  return run.stages.flatMap((stage) => run.jobs.filter((job) => job.stage === stage).map((job) => ({
    name: job.name,
    stage,
    before_script: job.options.before_script ?? [],
    script: job.options.script ?? [],
    after_script: job.options.after_script ?? [],
    tag_list: job.kind === 'build' ? job.tags : [],
    environment: job.options.environment?.name ?? null,
    when: job.when,
    allow_failure: job.allowFailure,
  })))
}

function policy(value: Policy | undefined) {
  if (!value) return null
  const out: Record<string, unknown> = {}
  if (value.refs) out.refs = value.refs
  if (value.variables) out.variables = value.variables.map(expressionSource)
  if (value.changes) out.changes = value.changes
  if (value.kubernetes) out.kubernetes = value.kubernetes
  return out
}

function expressionSource(expression: Expression): string {
  switch (expression.kind) {
    case 'variable': return `$${expression.name}`
    case 'string': return JSON.stringify(expression.value)
    case 'pattern': return `/${expression.source}/${expression.flags}`
    case 'null': return 'null'
    case 'binary': return `${expressionSource(expression.left)} ${expression.operator} ${expressionSource(expression.right)}`
  }
}
