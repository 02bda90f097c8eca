import type { ArtifactsSpec, CacheSpec } from '../types'
import { parseDuration } from './duration'
import { isStringArray, readBoolean } from './entries'
import { checkKeys, entryError, isHash, unsupportedKeys, type Keywords } from './keywords'

/**
 * `artifacts:` and `cache:`, the two entries that name files a job keeps.
 * Sources: gitlabhq lib/gitlab/ci/config/entry/{artifacts,reports,cache,caches,key}.rb,
 * lib/gitlab/ci/build/duration_parser.rb (`never`).
 */

const ARTIFACT_WHEN = ['on_success', 'on_failure', 'always'] as const
const CACHE_POLICIES = ['pull-push', 'pull', 'push'] as const
const MULTIPLE_CACHE_LIMIT = 4
const FALLBACK_KEYS_LIMIT = 5

const ARTIFACTS_KEYWORDS: Keywords = {
  supported: ['name', 'paths', 'exclude', 'untracked', 'when', 'expire_in', 'reports'],
  unsupported: ['expose_as', 'public', 'access'],
}

const REPORTS_KEYWORDS: Keywords = {
  supported: ['junit', 'dotenv'],
  unsupported: [
    'accessibility', 'annotations', 'api_fuzzing', 'browser_performance', 'cluster_image_scanning', 'codequality',
    'container_scanning', 'coverage_fuzzing', 'coverage_report', 'cyclonedx', 'dast', 'dependency_scanning',
    'license_scanning', 'load_performance', 'metrics', 'performance', 'repository_xray', 'requirements',
    'requirements_v2', 'sast', 'secret_detection', 'terraform',
  ],
}

const CACHE_KEYWORDS: Keywords = {
  supported: ['key', 'paths', 'untracked', 'policy', 'when', 'fallback_keys', 'unprotect'],
  unsupported: [],
}

type ArtifactWhen = (typeof ARTIFACT_WHEN)[number]

export function readArtifacts(location: string, value: unknown, errors: string[]): ArtifactsSpec | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  const count = errors.length
  checkKeys(location, value, ARTIFACTS_KEYWORDS, errors)
  const artifacts: ArtifactsSpec = {
    paths: readPaths(location, 'paths', value.paths, errors),
    exclude: readPaths(location, 'exclude', value.exclude, errors),
    untracked: readUntracked(location, value.untracked, errors),
    when: readWhen(location, value.when, errors),
    reports: readReports(location, value.reports, errors),
  }
  if (value.name !== undefined) {
    if (typeof value.name === 'string') artifacts.name = value.name
    else errors.push(entryError(location, 'name should be a string'))
  }
  if (value.expire_in !== undefined) {
    if (isExpireIn(value.expire_in)) artifacts.expire_in = value.expire_in
    else errors.push(entryError(location, 'expire in should be a duration'))
  }
  return errors.length === count ? artifacts : undefined
}

function isExpireIn(value: unknown): value is string {
  return typeof value === 'string' && (value === 'never' || parseDuration(value) !== null)
}

function readPaths(location: string, attribute: string, value: unknown, errors: string[]): string[] {
  if (value === undefined || value === null) return []
  if (isStringArray(value)) return value
  errors.push(entryError(location, `${attribute} should be an array of strings`))
  return []
}

function readUntracked(location: string, value: unknown, errors: string[]): boolean {
  if (value === undefined || value === null || typeof value === 'boolean') return value === true
  errors.push(entryError(location, 'untracked should be a boolean value'))
  return false
}

function readWhen(location: string, value: unknown, errors: string[]): ArtifactWhen {
  if (value === undefined || value === null) return 'on_success'
  if ((ARTIFACT_WHEN as readonly unknown[]).includes(value)) return value as ArtifactWhen
  errors.push(entryError(location, `when should be one of: ${ARTIFACT_WHEN.join(', ')}`))
  return 'on_success'
}

function readReports(location: string, value: unknown, errors: string[]): ArtifactsSpec['reports'] {
  if (value === undefined || value === null) return {}
  if (!isHash(value)) {
    errors.push(entryError(location, 'reports should be a hash'))
    return {}
  }
  checkKeys(`${location}:reports`, value, REPORTS_KEYWORDS, errors)
  const reports: ArtifactsSpec['reports'] = {}
  // entry/reports.rb: `validates :junit, :dotenv, ..., array_of_strings_or_string: true`
  for (const type of ['junit', 'dotenv'] as const) {
    const paths = value[type]
    if (paths === undefined) continue
    if (typeof paths === 'string') reports[type] = [paths]
    else if (isStringArray(paths)) reports[type] = paths
    else errors.push(entryError(`${location}:reports`, `${type} should be an array of strings or a string`))
  }
  return reports
}

/** `cache:`: one hash or an array of at most four. */
export function readCaches(location: string, value: unknown, errors: string[]): CacheSpec[] | undefined {
  if (!isHash(value) && !Array.isArray(value)) {
    errors.push(entryError(location, 'config can only be a Hash or an Array'))
    return undefined
  }
  const items: unknown[] = Array.isArray(value) ? value : [value]
  const count = errors.length
  if (items.length > MULTIPLE_CACHE_LIMIT) errors.push(entryError(location, `config no more than ${MULTIPLE_CACHE_LIMIT} caches can be created`))
  const caches = items.map((item) => readCache(location, item, errors))
  return errors.length === count ? caches.filter((cache) => cache !== undefined) : undefined
}

function readCache(location: string, value: unknown, errors: string[]): CacheSpec | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  checkKeys(location, value, CACHE_KEYWORDS, errors)
  return {
    key: readCacheKey(`${location}:key`, value.key, errors),
    paths: readCachePaths(`${location}:paths`, value.paths, errors),
    untracked: value.untracked === undefined ? false : (readBoolean(`${location}:untracked`, value.untracked, errors) ?? false),
    policy: readPolicy(location, value.policy, errors),
    when: readWhen(location, value.when, errors),
    fallback_keys: readFallbackKeys(location, value.fallback_keys, errors),
    // entry/cache.rb `unprotect` (boolean, default false): share the cache with unprotected refs.
    ...(value.unprotect === undefined || value.unprotect === null ? {} : { unprotect: readBoolean(`${location}:unprotect`, value.unprotect, errors) ?? false }),
  }
}

function readCacheKey(location: string, value: unknown, errors: string[]): string {
  if (value === undefined || value === null) return 'default'
  if (isHash(value)) {
    // `key:files` hashes repository files, which a Worker cannot read at pipeline creation.
    errors.push(unsupportedKeys(location, Object.keys(value)))
    return 'default'
  }
  if (typeof value !== 'string') {
    errors.push(entryError(location, 'should be a hash, a string or a symbol'))
    return 'default'
  }
  const path = unescapeKey(value)
  if (path.includes('/')) errors.push(entryError(location, 'config cannot contain the "/" character'))
  else if (path === '.' || path === '..') errors.push(entryError(location, 'config cannot be "." or ".."'))
  return value
}

/** CGI.unescape: `+` is a space and %XX an encoded byte. */
function unescapeKey(key: string): string {
  try {
    return decodeURIComponent(key.replaceAll('+', ' '))
  } catch {
    return key
  }
}

function readCachePaths(location: string, value: unknown, errors: string[]): string[] {
  if (value === undefined || value === null) return []
  if (isStringArray(value)) return value
  errors.push(entryError(location, 'config should be an array of strings'))
  return []
}

function readPolicy(location: string, value: unknown, errors: string[]): CacheSpec['policy'] {
  if (value === undefined || value === null || value === '') return 'pull-push'
  if ((CACHE_POLICIES as readonly unknown[]).includes(value)) return value as CacheSpec['policy']
  errors.push(entryError(location, `policy should be one of: ${CACHE_POLICIES.join(', ')}`))
  return 'pull-push'
}

function readFallbackKeys(location: string, value: unknown, errors: string[]): string[] {
  if (value === undefined || value === null) return []
  if (!isStringArray(value)) {
    errors.push(entryError(`${location}:fallback_keys`, 'config should be an array of strings'))
    return []
  }
  // Sic: "to many" is GitLab's spelling.
  if (value.length > FALLBACK_KEYS_LIMIT) errors.push(entryError(location, `fallback keys has to many entries (maximum ${FALLBACK_KEYS_LIMIT})`))
  return value
}
