import type { ArtifactsSpec, CacheSpec } from '../types'
import { parseDuration } from './duration'
import { isStringArray, readBoolean } from './entries'
import { checkKeys, entryError, isHash, type Keywords } from './keywords'

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
  supported: ['name', 'paths', 'exclude', 'untracked', 'when', 'expire_in', 'reports', 'expose_as', 'public', 'access'],
  unsupported: [],
}

/** Every report type GitLab's Entry::Reports knows (path lists; `coverage_report` is a hash). */
export const REPORT_TYPES = [
  'junit', 'codequality', 'sast', 'secret_detection', 'dependency_scanning', 'container_scanning', 'dast', 'performance',
  'browser_performance', 'load_performance', 'license_scanning', 'metrics', 'lsif', 'dotenv', 'cobertura', 'terraform',
  'accessibility', 'cluster_applications', 'requirements', 'requirements_v2', 'coverage_fuzzing', 'api_fuzzing',
  'cluster_image_scanning', 'annotations', 'cyclonedx', 'repository_xray',
] as const

const REPORTS_KEYWORDS: Keywords = { supported: [...REPORT_TYPES, 'coverage_report'], unsupported: [] }
const ARTIFACT_ACCESS = ['none', 'developer', 'all']
const EXPOSE_AS = /^\w[-\w ]*$/

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
  readExposure(location, value, artifacts, errors)
  return errors.length === count ? artifacts : undefined
}

/** `expose_as` (the merge request link), `public` and `access` (who may download). */
function readExposure(location: string, value: Record<string, unknown>, artifacts: ArtifactsSpec, errors: string[]): void {
  if (value.expose_as != null) {
    const name = value.expose_as
    if (typeof name !== 'string' || name.length > 100 || !EXPOSE_AS.test(name)) {
      errors.push(entryError(location, "expose as can contain only letters, digits, '-', '_' and spaces"))
    } else if (artifacts.paths.length === 0) errors.push(entryError(location, "paths can't be blank"))
    else if (artifacts.paths.some((path) => path.includes('*'))) errors.push(entryError(location, "paths can't contain '*' when used with 'expose_as'"))
    else artifacts.expose_as = name
  }
  if (value.public != null) {
    if (typeof value.public === 'boolean') artifacts.public = value.public
    else errors.push(entryError(location, 'public should be a boolean value'))
  }
  if (value.access != null) {
    if (typeof value.access === 'string' && ARTIFACT_ACCESS.includes(value.access)) artifacts.access = value.access as ArtifactsSpec['access']
    else errors.push(entryError(location, `access should be one of: ${ARTIFACT_ACCESS.join(', ')}`))
  }
  if (value.public != null && value.access != null) {
    const keys = Object.keys(value).filter((key) => key === 'public' || key === 'access')
    errors.push(entryError(location, `config these keys cannot be used together: ${keys.join(', ')}`))
  }
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
  const at = `${location}:reports`
  checkKeys(at, value, REPORTS_KEYWORDS, errors)
  const reports: ArtifactsSpec['reports'] = {}
  for (const type of REPORT_TYPES) {
    const paths = value[type]
    if (paths == null) continue
    if (typeof paths === 'string') reports[type] = [paths]
    else if (isStringArray(paths)) reports[type] = paths
    else errors.push(entryError(at, `${type.replaceAll('_', ' ')} should be an array of strings or a string`))
  }
  const coverage = value.coverage_report
  if (coverage != null) {
    if (!isHash(coverage)) errors.push(entryError(`${at}:coverage_report`, 'config should be a hash'))
    else {
      checkKeys(`${at}:coverage_report`, coverage, { supported: ['coverage_format', 'path'], unsupported: [] }, errors)
      if (coverage.coverage_format !== 'cobertura' && coverage.coverage_format !== 'jacoco') {
        errors.push(entryError(`${at}:coverage_report`, 'coverage format must be one of supported formats: cobertura, jacoco'))
      } else if (typeof coverage.path !== 'string' || coverage.path === '') {
        errors.push(entryError(`${at}:coverage_report`, "path can't be blank"))
      } else reports.coverage_report = { coverage_format: coverage.coverage_format, path: coverage.path }
    }
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
    ...(value.unprotect == null ? {} : { unprotect: readBoolean(`${location}:unprotect`, value.unprotect, errors) ?? false }),
    ...(isHash(value.key) ? { key_files: readKeyFiles(`${location}:key`, value.key, errors) } : {}),
  }
}

/** `key: {files: [1..2 paths], prefix}`: the key is computed from those files at pipeline creation. */
function readKeyFiles(location: string, value: Record<string, unknown>, errors: string[]): CacheSpec['key_files'] {
  checkKeys(location, value, { supported: ['files', 'prefix', 'files_commits'], unsupported: [] }, errors)
  const files = value.files ?? value.files_commits
  if (!isStringArray(files)) {
    errors.push(entryError(`${location}:files`, 'config should be an array of strings'))
    return undefined
  }
  if (files.length < 1) errors.push(entryError(`${location}:files`, 'config requires at least 1 item'))
  if (files.length > 2) errors.push(entryError(`${location}:files`, 'config has too many items (maximum is 2)'))
  if (value.prefix != null && typeof value.prefix !== 'string') errors.push(entryError(`${location}:prefix`, 'config should be a string'))
  return { files, ...(typeof value.prefix === 'string' ? { prefix: value.prefix } : {}) }
}

function readCacheKey(location: string, value: unknown, errors: string[]): string {
  if (value === undefined || value === null) return 'default'
  // A `{files, prefix}` key is computed at pipeline creation (key_files); 'default' until then.
  if (isHash(value)) return 'default'
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
  // A variable (`$CACHE_POLICY`) is expanded when the job runs.
  if (typeof value === 'string' && /^\$\{?\w+\}?$/.test(value)) return value as CacheSpec['policy']
  errors.push(entryError(location, `policy should be a variable or one of: ${CACHE_POLICIES.join(', ')}`))
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
