import { isStringArray } from './entries'
import { entryError, isHash, type Config } from './keywords'

/**
 * `extends:`, resolved over the whole top-level hash before any entry is read, the way GitLab's
 * Extendable does: bases are deep-merged in order (hashes merge, everything else is replaced),
 * then the entry itself on top. Source: gitlabhq lib/gitlab/ci/config/extendable/entry.rb.
 */

const MAX_NESTING_LEVELS = 10

class ExtendsError extends Error {}

/** The config with every `extends` applied, or GitLab's first extends error. */
export function resolveExtends(config: Config): { ok: true; config: Config } | { ok: false; error: string } {
  const resolved: Config = { ...config }
  const done = new Set<string>()
  try {
    for (const key of Object.keys(config)) {
      if (isExtensible(config[key])) extend(key, [], resolved, done)
    }
  } catch (error) {
    if (error instanceof ExtendsError) return { ok: false, error: error.message }
    throw error
  }
  return { ok: true, config: resolved }
}

function isExtensible(value: unknown): value is Config {
  return isHash(value) && 'extends' in value
}

function extend(key: string, ancestors: string[], context: Config, done: Set<string>): unknown {
  const value = context[key]
  if (!isExtensible(value) || done.has(key)) return value
  const bases = extendsKeys(key, value.extends)
  const unknown = bases.filter((base) => !Object.hasOwn(context, base))
  if (unknown.length > 0) throw new ExtendsError(`${key}: unknown keys in \`extends\` (${unknown.join(', ')})`)
  const invalid = bases.filter((base) => !isHash(context[base]))
  if (invalid.length > 0) throw new ExtendsError(`${key}: invalid base hashes in \`extends\` (${invalid.join(', ')})`)
  if (ancestors.length > MAX_NESTING_LEVELS) throw new ExtendsError(`${key}: nesting too deep in \`extends\``)
  if (ancestors.includes(key)) throw new ExtendsError(`${key}: circular dependency detected in \`extends\``)
  let merged: Config = {}
  for (const base of bases) merged = deepMerge(merged, extend(base, [...ancestors, key], context, done) as Config)
  context[key] = deepMerge(merged, value)
  done.add(key)
  return context[key]
}

function extendsKeys(key: string, value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (isStringArray(value)) return value
  throw new ExtendsError(entryError(`jobs:${key}`, 'extends should be an array of strings or a string'))
}

/** ActiveSupport's Hash#deep_merge, without touching either argument (YAML aliases share objects). */
export function deepMerge(base: Config, override: Config): Config {
  const merged: Config = {}
  for (const [key, value] of Object.entries(base)) setKey(merged, key, value)
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key]
    setKey(merged, key, isHash(current) && isHash(value) && Object.hasOwn(merged, key) ? deepMerge(current, value) : value)
  }
  return merged
}

// A YAML key named __proto__ must stay a plain key.
function setKey(target: Config, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}
