import type { JobStatus } from './statuses'

/**
 * Gitlab::Ci::Status::Composite (state-machine.md §5): the status of a set of jobs, used for
 * stages, pipelines and a job's "previous status". Newest rule set, with `canceling` and
 * `waiting_for_callback` (lib/gitlab/ci/status/composite.rb).
 */
export type CompositeToken = JobStatus | 'success_with_warnings' | 'ignored'

export interface CompositeItem {
  status: JobStatus
  allowFailure: boolean
}

export interface CompositeResult {
  /** null for an empty set; callers that process pipelines treat that as `success` */
  status: JobStatus | null
  warnings: boolean
}

/** PASSED_WITH_WARNINGS and IGNORED statuses only count that way with allow_failure. */
export function compositeToken(item: CompositeItem): CompositeToken {
  if (!item.allowFailure) return item.status
  if (item.status === 'failed' || item.status === 'canceled') return 'success_with_warnings'
  if (item.status === 'manual') return 'ignored'
  return item.status
}

type Rule = (tokens: ReadonlySet<CompositeToken>, dag: boolean) => JobStatus | undefined

const only = (...names: CompositeToken[]) => (tokens: ReadonlySet<CompositeToken>) =>
  [...tokens].every((token) => names.includes(token))

const any = (...names: CompositeToken[]) => (tokens: ReadonlySet<CompositeToken>) =>
  names.some((name) => tokens.has(name))

const when = (test: (tokens: ReadonlySet<CompositeToken>) => boolean, status: JobStatus): Rule =>
  (tokens) => (test(tokens) ? status : undefined)

/** Tried in order; the first rule that answers wins (§5, rules 1–16). */
const RULES: readonly Rule[] = [
  // A DAG job is skipped when one of its needs did not run at all.
  (tokens, dag) => (dag && any('skipped', 'ignored')(tokens) ? 'skipped' : undefined),
  when(only('skipped', 'ignored'), 'skipped'),
  when(only('success', 'skipped', 'success_with_warnings', 'ignored'), 'success'),
  when(only('created', 'success_with_warnings', 'ignored'), 'created'),
  when(only('preparing', 'success_with_warnings', 'ignored'), 'preparing'),
  when(only('canceled', 'success', 'skipped', 'success_with_warnings', 'ignored'), 'canceled'),
  when(only('pending', 'created', 'skipped', 'success_with_warnings', 'ignored'), 'pending'),
  when(any('running', 'pending'), 'running'),
  when(any('waiting_for_resource'), 'waiting_for_resource'),
  when(any('waiting_for_callback'), 'waiting_for_callback'),
  when(any('manual'), 'manual'),
  when(any('scheduled'), 'scheduled'),
  when(any('preparing'), 'preparing'),
  // Part done, part not started yet.
  when(any('created'), 'running'),
  when(any('canceling'), 'canceling'),
]

export function compositeStatus(
  items: ReadonlyArray<CompositeItem>,
  options: { dag?: boolean } = {},
): CompositeResult {
  const tokens = new Set(items.map(compositeToken))
  const warnings = tokens.has('success_with_warnings')
  if (tokens.size === 0) return { status: null, warnings }
  const dag = options.dag ?? false
  for (const rule of RULES) {
    const status = rule(tokens, dag)
    if (status) return { status, warnings }
  }
  return { status: 'failed', warnings }
}
