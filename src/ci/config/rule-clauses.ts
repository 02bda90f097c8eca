import { isStringArray } from './entries'
import { expandExisting } from './expand-variables'
import type { PipelineFacts } from './facts'
import { globMatcher, isLiteralGlob } from './glob'
import { checkKeys, entryError, isHash } from './keywords'

/**
 * `rules:changes` and `rules:exists`, read and evaluated. Sources: gitlabhq
 * lib/gitlab/ci/config/entry/rules/rule/{changes,exists}.rb,
 * lib/gitlab/ci/build/rules/rule/clause/{changes,exists}.rb.
 */

export interface ChangesClause {
  paths: string[]
  compareTo?: string
}

export interface ExistsClause {
  paths: string[]
  project?: string
  ref?: string
}

/** What a clause cannot decide by itself: the diff against `compare_to`, another project's files. */
export interface ClauseData {
  /** expanded `compare_to` ref → changed paths since the merge base, or null when the ref does not resolve */
  compareDiffs: Map<string, string[] | null>
  /** `project@ref` → that commit's files, or an error text */
  projectFiles: Map<string, string[] | string>
}

export class RuleClauseError extends Error {}

const MAX_PATHS = 50
const MAX_COMPARISONS = 50_000

export function readChanges(location: string, value: unknown, errors: string[]): ChangesClause | undefined {
  const at = `${location}:changes`
  if (Array.isArray(value)) return readPaths(at, value, errors) ? { paths: value as string[] } : undefined
  if (!isHash(value)) {
    errors.push(entryError(at, 'should be an array or a hash'))
    return undefined
  }
  checkKeys(at, value, { supported: ['paths', 'compare_to'], unsupported: [] }, errors)
  if (value.paths == null) {
    errors.push(entryError(at, 'config missing required keys: paths'))
    return undefined
  }
  if (!readPaths(at, value.paths, errors)) return undefined
  const clause: ChangesClause = { paths: value.paths as string[] }
  if (value.compare_to != null) {
    if (typeof value.compare_to === 'string') clause.compareTo = value.compare_to
    else errors.push(entryError(at, 'compare to should be a string'))
  }
  return clause
}

export function readExists(location: string, value: unknown, errors: string[]): ExistsClause | undefined {
  const at = `${location}:exists`
  if (typeof value === 'string') return { paths: [value] }
  if (Array.isArray(value)) return readPaths(at, value, errors) ? { paths: value as string[] } : undefined
  if (!isHash(value)) {
    errors.push(entryError(at, 'should be a string, an array of strings, or a hash'))
    return undefined
  }
  checkKeys(at, value, { supported: ['paths', 'project', 'ref'], unsupported: [] }, errors)
  const paths = value.paths == null ? [] : value.paths
  if (!readPaths(at, paths, errors)) return undefined
  const clause: ExistsClause = { paths: paths as string[] }
  if (typeof value.project === 'string') clause.project = value.project
  if (typeof value.ref === 'string') {
    if (!clause.project) errors.push(entryError(at, 'ref requires project'))
    clause.ref = value.ref
  }
  return clause
}

function readPaths(location: string, value: unknown, errors: string[]): boolean {
  if (!isStringArray(value)) {
    errors.push(entryError(location, 'config should be an array of strings'))
    return false
  }
  if (value.length > MAX_PATHS) {
    errors.push(entryError(location, `has too many entries (maximum ${MAX_PATHS})`))
    return false
  }
  return true
}

/** Changes: true without a diff; otherwise any changed path fnmatches any (variable-expanded) glob. */
export function changesSatisfied(clause: ChangesClause, variables: Record<string, string>, facts: PipelineFacts, data?: ClauseData): boolean {
  let modified = facts.modifiedPaths
  if (clause.compareTo !== undefined) {
    const ref = expandExisting(clause.compareTo, variables)
    const diff = data?.compareDiffs.get(ref)
    if (!diff) throw new RuleClauseError('rules:changes:compare_to is not a valid ref')
    modified = diff
  }
  if (modified === null) return true
  const globs = clause.paths.map((path) => expandExisting(path, variables))
  if (globs.length * modified.length > MAX_COMPARISONS) return true
  const matchers = globs.map(globMatcher)
  return modified.some((path) => matchers.some((matches) => matches(path)))
}

/** Exists: a literal path must be there, `dir/` is a prefix, anything else fnmatches a file of the tree. */
export function existsSatisfied(clause: ExistsClause, variables: Record<string, string>, facts: PipelineFacts, data?: ClauseData): boolean {
  let files = facts.files
  if (clause.project !== undefined) {
    const key = existsKey(expandExisting(clause.project, variables), clause.ref === undefined ? undefined : expandExisting(clause.ref, variables))
    const found = data?.projectFiles.get(key)
    if (typeof found === 'string') throw new RuleClauseError(found)
    files = found ?? []
  }
  const globs = clause.paths.map((path) => expandExisting(path, variables))
  if (globs.length * files.length > MAX_COMPARISONS) return true
  const fileSet = new Set(files)
  return globs.some((glob) => {
    if (isLiteralGlob(glob)) return glob.endsWith('/') ? files.some((file) => file.startsWith(glob)) : fileSet.has(glob)
    const matches = globMatcher(glob)
    return files.some(matches)
  })
}

export function existsKey(project: string, ref: string | undefined): string {
  return `${project}@${ref ?? ''}`
}
