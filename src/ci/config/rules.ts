import type { Variable, When } from '../types'
import { parseDuration, START_IN_LIMIT } from './duration'
import { flattenStrings, readVariables } from './entries'
import { evaluateExpression, parseExpression, type Expression } from './expression'
import type { PipelineFacts } from './facts'
import { checkKeys, entryError, isHash, type Config, type Keywords } from './keywords'
import { readNeeds } from './needs'
import {
  changesSatisfied, existsSatisfied, readChanges, readExists, type ChangesClause, type ClauseData, type ExistsClause,
} from './rule-clauses'
import type { Need } from '../types'

/**
 * `rules:` and `workflow:rules:` entries, and picking the rule that decides. Sources: gitlabhq
 * lib/gitlab/ci/config/entry/{rules,rules/rule,workflow}.rb, lib/gitlab/ci/build/rules.rb.
 */

export interface Rule {
  /** absent: the rule always matches */
  if?: Expression
  when?: When
  allowFailure?: boolean
  startIn?: string
  interruptible?: boolean
  variables: Variable[]
  changes?: ChangesClause
  exists?: ExistsClause
  /** replaces the job's needs when this rule matches */
  needs?: Need[]
  autoCancel?: AutoCancel
}

export interface AutoCancel {
  on_new_commit?: 'conservative' | 'interruptible' | 'none'
  on_job_failure?: 'none' | 'all'
}

interface RulesKind {
  allowedWhen: readonly string[]
  keywords: Keywords
  /** the message when `rules:` is not a list, where GitLab words it */
  notAList: (rulesLocation: string) => string
}

const MAX_NESTING_LEVEL = 10
const RULE_VARIABLE_DATA = ['value', 'expand']

export const JOB_RULES: RulesKind = {
  allowedWhen: ['on_success', 'on_failure', 'always', 'never', 'manual', 'delayed'],
  keywords: {
    supported: ['if', 'when', 'allow_failure', 'start_in', 'variables', 'interruptible', 'changes', 'exists', 'needs'],
    unsupported: [],
  },
  notAList: (rulesLocation) =>
    entryError(rulesLocation.replace(/:rules$/, ''), 'rules should be an array containing hashes and arrays of hashes'),
}

// GitLab accepts start_in, allow_failure and needs in workflow rules without using them.
export const WORKFLOW_RULES: RulesKind = {
  allowedWhen: ['always', 'never'],
  keywords: {
    supported: ['if', 'when', 'variables', 'start_in', 'allow_failure', 'needs', 'changes', 'exists', 'auto_cancel'],
    unsupported: [],
  },
  // Sic: GitLab's TypeValidator says "a array".
  notAList: (rulesLocation) => entryError(rulesLocation, 'config should be a array'),
}

/** The rules of `location` (".../rules"), nested lists flattened, or undefined when invalid. */
export function readRules(location: string, value: unknown, kind: RulesKind, errors: string[]): Rule[] | undefined {
  const list = flattenHashes(value, MAX_NESTING_LEVEL)
  if (list === null) {
    errors.push(kind.notAList(location))
    return undefined
  }
  if (list.length === 0) {
    errors.push(entryError(location, "config can't be blank"))
    return undefined
  }
  const count = errors.length
  const rules = list.map((rule) => readRule(`${location}:rule`, rule, kind, errors))
  return errors.length === count ? rules : undefined
}

/**
 * The first rule whose clauses all hold (`if`, `changes`, `exists`; a rule with none always
 * does), if any. Without `facts`, `changes` holds and `exists` sees no files. A `compare_to`
 * that does not resolve throws RuleClauseError.
 */
export function matchRules(rules: readonly Rule[], variables: Record<string, string>, facts?: PipelineFacts, data?: ClauseData): Rule | undefined {
  return rules.find(
    (rule) =>
      (rule.if === undefined || evaluateExpression(rule.if, variables)) &&
      (rule.changes === undefined || !facts || changesSatisfied(rule.changes, variables, facts, data)) &&
      (rule.exists === undefined || (facts !== undefined && existsSatisfied(rule.exists, variables, facts, data))),
  )
}

function flattenHashes(value: unknown, levels: number): Config[] | null {
  if (!Array.isArray(value)) return null
  const hashes: Config[] = []
  for (const item of value) {
    const inner = isHash(item) ? [item] : levels > 1 ? flattenHashes(item, levels - 1) : null
    if (inner === null) return null
    hashes.push(...inner)
  }
  return hashes
}

function readRule(location: string, config: Config, kind: RulesKind, errors: string[]): Rule {
  const rule: Rule = { variables: [] }
  if (Object.keys(config).length === 0) errors.push(entryError(location, "config can't be blank"))
  checkKeys(location, config, kind.keywords, errors)
  if (config.if !== undefined) {
    const expression = typeof config.if === 'string' ? parseExpression(config.if) : null
    if (expression) rule.if = expression
    else errors.push(entryError(location, 'if invalid expression syntax'))
  }
  if (config.when !== undefined) {
    if (kind.allowedWhen.includes(config.when as string)) rule.when = config.when as When
    else errors.push(entryError(location, `when unknown value: ${String(config.when)}`))
  }
  rule.allowFailure = readRuleBoolean(location, 'allow failure', config.allow_failure, errors)
  rule.interruptible = readRuleBoolean(location, 'interruptible', config.interruptible, errors)
  rule.startIn = readRuleStartIn(location, config, errors)
  if (config.variables !== undefined) rule.variables = readVariables(`${location}:variables`, config.variables, RULE_VARIABLE_DATA, errors) ?? []
  if (config.changes != null) rule.changes = readChanges(location, config.changes, errors)
  if (config.exists != null) rule.exists = readExists(location, config.exists, errors)
  if (config.needs != null && kind === JOB_RULES) rule.needs = readNeeds(`${location}:needs`, config.needs, errors)
  if (config.auto_cancel != null) rule.autoCancel = readAutoCancel(`${location}:auto_cancel`, config.auto_cancel, errors)
  return rule
}

/** `workflow:auto_cancel` and a workflow rule's `auto_cancel` (entry/auto_cancel.rb). */
export function readAutoCancel(location: string, value: unknown, errors: string[]): AutoCancel | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  checkKeys(location, value, { supported: ['on_new_commit', 'on_job_failure'], unsupported: [] }, errors)
  const autoCancel: AutoCancel = {}
  if (value.on_new_commit != null) {
    if (['conservative', 'interruptible', 'none'].includes(value.on_new_commit as string)) autoCancel.on_new_commit = value.on_new_commit as AutoCancel['on_new_commit']
    else errors.push(entryError(location, 'on new commit must be one of: conservative, interruptible, none'))
  }
  if (value.on_job_failure != null) {
    if (['none', 'all'].includes(value.on_job_failure as string)) autoCancel.on_job_failure = value.on_job_failure as AutoCancel['on_job_failure']
    else errors.push(entryError(location, 'on job failure must be one of: none, all'))
  }
  return autoCancel
}

function readRuleBoolean(location: string, attribute: string, value: unknown, errors: string[]): boolean | undefined {
  if (value === undefined || value === null || typeof value === 'boolean') return value ?? undefined
  errors.push(entryError(location, `${attribute} should be a boolean value`))
}

/** `start_in` belongs to `when: delayed` rules only, and is required there. */
function readRuleStartIn(location: string, config: Config, errors: string[]): string | undefined {
  const startIn = config.start_in
  if (config.when !== 'delayed') {
    if (startIn !== undefined && startIn !== null) errors.push(entryError(location, 'config contains disallowed keys: start_in'))
    return undefined
  }
  return readStartIn(location, startIn, errors, { required: true })
}

/**
 * A `start_in` duration of at most one week. Like GitLab's DurationValidator, a value that is not
 * a duration also fails the limit check.
 */
export function readStartIn(location: string, value: unknown, errors: string[], { required = false } = {}): string | undefined {
  if (required && (typeof value !== 'string' || value.trim() === '')) errors.push(entryError(location, "start in can't be blank"))
  const seconds = typeof value === 'string' ? parseDuration(value) : null
  if (seconds === null) {
    errors.push(entryError(location, 'start in should be a duration'))
    errors.push(entryError(location, 'start in should not exceed the limit'))
    return undefined
  }
  if (seconds > START_IN_LIMIT) errors.push(entryError(location, 'start in should not exceed the limit'))
  return seconds > START_IN_LIMIT ? undefined : (value as string)
}
