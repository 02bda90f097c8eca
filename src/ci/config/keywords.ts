/**
 * Which keys each part of a CI config may use, and the error wording shared by all entries.
 * Sources: gitlabhq lib/gitlab/ci/config/entry/{root,default,job,bridge,processable,workflow}.rb
 * and lib/gitlab/config/entry/validators.rb.
 */

export type Config = Record<string, unknown>

/** Keys edgejobs reads, and keys GitLab knows that edgejobs refuses with a clear error. */
export interface Keywords {
  supported: readonly string[]
  unsupported: readonly string[]
}

/** Keys that are never job names (Entry::Root `reserved: true` nodes plus `default`/`workflow`). */
export const ROOT_KEYWORDS: Keywords = {
  supported: ['include', 'spec', 'default', 'stages', 'types', 'variables', 'workflow', 'image', 'services', 'before_script', 'after_script', 'cache'],
  unsupported: [],
}

/** Entries a job inherits from `default:` (and from their deprecated top-level spelling). */
export const INHERITED_KEYWORDS = [
  'image', 'services', 'before_script', 'after_script', 'cache', 'tags', 'timeout', 'retry', 'artifacts', 'interruptible', 'hooks', 'id_tokens',
] as const
export type InheritedKeyword = (typeof INHERITED_KEYWORDS)[number]
export const TOP_LEVEL_DEFAULTS: readonly InheritedKeyword[] = ['image', 'services', 'before_script', 'after_script', 'cache']

export const DEFAULT_KEYWORDS: Keywords = {
  supported: INHERITED_KEYWORDS,
  unsupported: ['identity'],
}

const PROCESSABLE_KEYWORDS = ['inherit', 'resource_group', 'environment']

export const JOB_KEYWORDS: Keywords = {
  supported: [
    'script', 'stage', 'extends', 'variables', 'image', 'services', 'before_script', 'after_script', 'when', 'start_in',
    'allow_failure', 'needs', 'dependencies', 'tags', 'timeout', 'retry', 'artifacts', 'cache', 'coverage',
    'interruptible', 'rules', 'only', 'except', 'type', 'parallel', ...PROCESSABLE_KEYWORDS, 'release', 'secrets', 'hooks',
    'id_tokens', 'pages', 'publish', 'manual_confirmation',
  ],
  unsupported: ['run', 'identity', 'dast_configuration'],
}

export const BRIDGE_KEYWORDS: Keywords = {
  supported: ['trigger', 'stage', 'extends', 'variables', 'when', 'allow_failure', 'needs', 'rules', 'only', 'except', 'parallel', ...PROCESSABLE_KEYWORDS],
  unsupported: [],
}

export const WORKFLOW_KEYWORDS: Keywords = { supported: ['rules', 'name', 'auto_cancel'], unsupported: [] }

/** A plain mapping (not an array, not a `!reference` tag). */
export function isHash(value: unknown): value is Config {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

/**
 * An entry error as GitLab words it: "<location> <message>", all lower case (Entry::Validator
 * downcases the whole message, job names and values included).
 */
export function entryError(location: string, message: string): string {
  return `${location} ${message}`
    .toLowerCase()
    .replace(/jobs ([a-z\s]+) config should implement/, (_, name: string) => `jobs ${name.replaceAll(' ', '_')} config should implement`)
}

/** Reports unknown keys (GitLab's wording) and known-but-unsupported ones (ours). */
export function checkKeys(location: string, config: Config, keywords: Keywords, errors: string[]): void {
  const keys = Object.keys(config)
  const unknown = keys.filter((key) => !keywords.supported.includes(key) && !keywords.unsupported.includes(key))
  const unsupported = keys.filter((key) => keywords.unsupported.includes(key))
  if (unknown.length > 0) errors.push(entryError(location, `config contains unknown keys: ${unknown.join(', ')}`))
  if (unsupported.length > 0) errors.push(unsupportedKeys(location, unsupported))
}

export function unsupportedKeys(location: string, keys: readonly string[]): string {
  return entryError(location, `config uses unsupported keys: ${keys.join(', ')} (edgejobs does not support them)`)
}
