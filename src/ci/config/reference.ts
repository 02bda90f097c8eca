import { isHash, type Config } from './keywords'

/**
 * `!reference [.job, key, ...]`: resolved by digging into the whole config once includes and
 * `extends` are merged; references inside the referenced value resolve in turn. Used inside an
 * array it yields a nested array, which script-like entries and `rules` flatten (up to 10
 * levels). Source: gitlabhq lib/gitlab/ci/config/yaml/tags/{base,reference,resolver}.rb.
 */

export class ReferenceTag {
  constructor(readonly path: unknown) {}
}

export class ReferenceError extends Error {}

export function hasReferences(value: unknown): boolean {
  if (value instanceof ReferenceTag) return true
  if (Array.isArray(value)) return value.some(hasReferences)
  if (isHash(value)) return Object.values(value).some(hasReferences)
  return false
}

/** The config with every tag replaced by what it refers to, or GitLab's first reference error. */
export function resolveReferences(config: Config): Config {
  const memo = new Map<ReferenceTag, unknown>()
  const resolving = new Set<ReferenceTag>()
  const resolve = (value: unknown): unknown => {
    if (value instanceof ReferenceTag) return resolveTag(value)
    if (Array.isArray(value)) return value.map(resolve)
    if (isHash(value)) {
      const out: Config = {}
      for (const [key, child] of Object.entries(value)) Object.defineProperty(out, key, { value: resolve(child), enumerable: true, writable: true, configurable: true })
      return out
    }
    return value
  }
  const resolveTag = (tag: ReferenceTag): unknown => {
    if (memo.has(tag)) return memo.get(tag)
    const path = tag.path
    if (!Array.isArray(path) || path.length === 0 || !path.every((part) => typeof part === 'string')) {
      throw new ReferenceError(`!reference ${inspect(path)} is not valid`)
    }
    if (resolving.has(tag)) throw new ReferenceError(`!reference ${inspect(path)} is part of a circular chain`)
    resolving.add(tag)
    let found: unknown = config
    for (const key of path) found = isHash(found) && Object.hasOwn(found, key) ? found[key] : undefined
    if (found === undefined || found === null || found === false) throw new ReferenceError(`!reference ${inspect(path)} could not be found`)
    const value = resolve(found)
    resolving.delete(tag)
    memo.set(tag, value)
    return value
  }
  return resolve(config) as Config
}

/** Ruby's `inspect` for the strings and arrays a tag holds. */
function inspect(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(inspect).join(', ')}]`
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === null || value === undefined) return 'nil'
  return String(value)
}
