import { compileRe2, regexpLiteral } from '../re2'
import { isStringArray } from './entries'
import { evaluateExpression, parseExpression, type Expression } from './expression'
import { isMergeRequest, type PipelineFacts } from './facts'
import { globMatcher } from './glob'
import { entryError, isHash } from './keywords'

/**
 * `only:` and `except:`, GitLab's older job filter. Sources: gitlabhq
 * lib/gitlab/ci/config/entry/policy.rb, lib/gitlab/ci/build/policy/{refs,variables,changes,
 * kubernetes}.rb, lib/gitlab/ci/pipeline/seed/build.rb (`all_of_only? && none_of_except?`).
 */

export interface Policy {
  refs?: string[]
  variables?: Expression[]
  changes?: string[]
  kubernetes?: 'active'
}

/** `only`'s default (Policy::DEFAULT_ONLY); `except` has none. */
export const DEFAULT_ONLY: Policy = { refs: ['branches', 'tags'] }

const REFS_ERROR = 'should be an array of strings or regular expressions using re2 syntax'
const POLICY_KEYS = ['refs', 'variables', 'changes', 'kubernetes']

export function readPolicy(location: string, value: unknown, errors: string[]): Policy | undefined {
  if (Array.isArray(value)) {
    if (validRefs(value)) return { refs: value }
    errors.push(entryError(location, `config ${REFS_ERROR}`))
    return undefined
  }
  if (!isHash(value)) {
    errors.push(entryError(location, 'has to be either an array of conditions or a hash'))
    return undefined
  }
  const count = errors.length
  const keys = Object.keys(value)
  if (keys.length === 0) errors.push(entryError(location, "config can't be blank"))
  const unknown = keys.filter((key) => !POLICY_KEYS.includes(key))
  if (unknown.length > 0) errors.push(entryError(location, `config contains unknown keys: ${unknown.join(', ')}`))
  const policy: Policy = {}
  if (value.refs != null) {
    if (Array.isArray(value.refs) && validRefs(value.refs)) policy.refs = value.refs
    else errors.push(entryError(location, `refs ${REFS_ERROR}`))
  }
  if (value.changes != null) {
    if (isStringArray(value.changes)) policy.changes = value.changes
    else errors.push(entryError(location, 'changes should be an array of strings'))
  }
  if (value.variables != null) {
    const expressions = isStringArray(value.variables) ? value.variables.map(parseExpression) : [null]
    if (expressions.every((expression) => expression !== null)) policy.variables = expressions as Expression[]
    else errors.push(entryError(location, 'variables invalid expression syntax'))
  }
  if (value.kubernetes != null) {
    if (value.kubernetes === 'active') policy.kubernetes = 'active'
    else errors.push(entryError(location, `kubernetes unknown value: ${String(value.kubernetes)}`))
  }
  return errors.length === count ? policy : undefined
}

/** Strings, and every `/re/flags` among them valid RE2 (the part before an `@project` suffix). */
function validRefs(refs: unknown[]): refs is string[] {
  return refs.every((ref) => {
    if (typeof ref !== 'string') return false
    const literal = regexpLiteral(ref)
    return literal === null || compileRe2(literal.source, literal.flags) !== null
  })
}

/** The default deep-merged under what the job wrote: a hash without `refs` keeps the default refs. */
export function withDefaultOnly(policy: Policy): Policy {
  return { ...DEFAULT_ONLY, ...policy }
}

/** Every spec of `only` holds and no spec of `except` does. */
export function policiesAllow(
  only: Policy | undefined,
  except: Policy | undefined,
  facts: PipelineFacts,
  variables: Record<string, string>,
): boolean {
  const only_ = only ? specs(only) : []
  const except_ = except ? specs(except) : []
  return only_.every((spec) => spec(facts, variables)) && !except_.some((spec) => spec(facts, variables))
}

type Spec = (facts: PipelineFacts, variables: Record<string, string>) => boolean

function specs(policy: Policy): Spec[] {
  const list: Spec[] = []
  if (policy.refs) list.push((facts) => policy.refs!.some((pattern) => refMatches(pattern, facts)))
  if (policy.variables) list.push((_, variables) => policy.variables!.some((expression) => evaluateExpression(expression, variables)))
  if (policy.changes) list.push((facts) => changesMatch(policy.changes!, facts.modifiedPaths))
  // edgejobs has no deployment platforms, so no project has an active Kubernetes integration.
  if (policy.kubernetes) list.push(() => false)
  return list
}

/** Build::Policy::Refs: `pattern@project/path`, keywords, then names and regexes on branch and tag pipelines. */
export function refMatches(entry: string, facts: PipelineFacts): boolean {
  const at = entry.indexOf('@')
  const pattern = at < 0 ? entry : entry.slice(0, at)
  const path = at < 0 ? undefined : entry.slice(at + 1)
  if (path !== undefined && path !== facts.projectPath) return false
  const mergeRequest = isMergeRequest(facts)
  const branch = !facts.tag && !mergeRequest
  if (facts.tag && pattern === 'tags') return true
  if (branch && pattern === 'branches') return true
  const source = facts.source.replace(/_event$/, '')
  if (source === pattern || pluralize(source) === pattern) return true
  if (facts.source === 'external_pull_request_event' && pattern === 'external_pull_requests') return true
  if (!branch && !facts.tag) return false
  const literal = regexpLiteral(pattern)
  if (!literal) return pattern === facts.ref
  return compileRe2(literal.source, literal.flags)?.test(facts.ref) ?? false
}

function pluralize(word: string): string {
  return /(s|sh|ch|x)$/.test(word) ? `${word}es` : `${word}s`
}

/** Build::Policy::Changes: true without a diff; otherwise any changed path matches any glob. */
export function changesMatch(globs: string[], modifiedPaths: string[] | null): boolean {
  if (modifiedPaths === null) return true
  const matchers = globs.map(globMatcher)
  return modifiedPaths.some((path) => matchers.some((matches) => matches(path)))
}
