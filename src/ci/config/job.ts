import { isFailureReason } from '../failure-reasons'
import { compileRe2 } from '../re2'
import type { ArtifactsSpec, CacheSpec, EnvironmentSpec, IdTokenSpec, ImageSpec, JobOptions, Need, RetryPolicy, Variable, When } from '../types'
import { readArtifacts, readCaches } from './artifacts'
import { MAX_BUILD_TIMEOUT, parseDuration } from './duration'
import {
  isInteger, isStringArray, readBoolean, readCommands, readExitCodes, readImage, readServices, readTags, readVariables,
} from './entries'
import {
  BRIDGE_KEYWORDS, checkKeys, entryError, INHERITED_KEYWORDS, isHash, JOB_KEYWORDS, type Config, type InheritedKeyword,
} from './keywords'
import { readEnvironment } from './environment'
import { readHooks, readIdTokens, readSecrets } from './identity'
import { readDependencies, readNeeds } from './needs'
import { readPages, readRelease } from './release'
import { readParallel, type ParallelSpec } from './parallel-entry'
import { readPolicy, withDefaultOnly, type Policy } from './policy'
import { JOB_RULES, readRules, readStartIn, type Rule } from './rules'
import { readTrigger } from './trigger'

/**
 * One job entry, read into a JobSpec: the job as the config defines it, before `rules` decide
 * whether and how it joins a pipeline. Sources: gitlabhq lib/gitlab/ci/config/entry/{job,bridge,
 * processable,allow_failure,retry,timeout,coverage}.rb.
 */

export interface JobDefaults {
  hooks?: { pre_get_sources_script: string[] }
  id_tokens?: Record<string, IdTokenSpec>
  image?: ImageSpec
  services?: ImageSpec[]
  before_script?: string[]
  after_script?: string[]
  cache?: CacheSpec[]
  tags?: string[]
  /** seconds */
  timeout?: number
  retry?: RetryPolicy
  artifacts?: ArtifactsSpec
  interruptible?: boolean
}

export interface JobSpec {
  name: string
  kind: 'build' | 'bridge'
  stage: string
  when: Exclude<When, 'never'>
  /** GitLab's `ignore`: a boolean `allow_failure`, otherwise whether the job is manual */
  allowFailure: boolean
  needs: Need[] | null
  dependencies?: string[]
  tags: string[]
  timeout?: number
  coverageRegex?: string
  variables: Variable[]
  rules?: Rule[]
  /** `only`/`except` (with GitLab's default `only` when neither rules nor workflow rules remove it) */
  only?: Policy
  except?: Policy
  parallel?: ParallelSpec
  environment?: EnvironmentSpec
  /** `inherit:variables`: which global variables the job gets (true: all) */
  inheritVariables: boolean | string[]
  /** `inherit:default`: which `default:` entries the job takes (absent: all) */
  inheritDefault?: boolean | string[]
  options: JobOptions
}

/** What a job entry needs to know about the rest of the config. */
export interface JobContext {
  defaults: JobDefaults
  /** `workflow:rules` exist: unwritten `only`/`except` defaults are dropped */
  workflowRules: boolean
}

type Kind = JobSpec['kind']
type Reader<K extends InheritedKeyword> = (location: string, value: unknown, errors: string[]) => JobDefaults[K]

const BUILD_WHEN = ['on_success', 'on_failure', 'always', 'manual', 'delayed'] as const
const BRIDGE_WHEN = ['on_success', 'on_failure', 'always', 'manual'] as const
const MAX_NAME_LENGTH = 255
const JOB_VARIABLE_DATA = ['value', 'expand']

const READERS: { [K in InheritedKeyword]: Reader<K> } = {
  image: readImage,
  services: readServices,
  before_script: readCommands,
  after_script: readCommands,
  cache: readCaches,
  tags: readTags,
  timeout: readTimeout,
  retry: readRetry,
  artifacts: readArtifacts,
  interruptible: readBoolean,
  hooks: readHooks,
  id_tokens: readIdTokens,
}

/** The entries of `keys` that `config` sets; `location` is '' at the top level. */
export function readInheritable(location: string, config: Config, keys: readonly InheritedKeyword[], errors: string[]): JobDefaults {
  const values: JobDefaults = {}
  for (const key of keys) {
    if (config[key] === undefined || config[key] === null) continue
    assign(values, key, READERS[key](location === '' ? key : `${location}:${key}`, config[key], errors))
  }
  return values
}

function assign<K extends InheritedKeyword>(values: JobDefaults, key: K, value: JobDefaults[K]): void {
  if (value !== undefined) values[key] = value
}

/** A visible job: a build when it has `script:`, a bridge when it has `trigger:`. */
export function readJob(name: string, value: unknown, context: JobContext, errors: string[]): JobSpec | undefined {
  if (!isHash(value) || !('script' in value || 'run' in value || 'trigger' in value)) {
    errors.push(entryError('jobs', `${name} config should implement the script:, run:, or trigger: keyword`))
    return undefined
  }
  const location = `jobs:${name}`
  const count = errors.length
  if (name.length > MAX_NAME_LENGTH) errors.push(entryError(location, `name is too long (maximum is ${MAX_NAME_LENGTH} characters)`))
  const kind: Kind = 'script' in value || 'run' in value ? 'build' : 'bridge'
  checkKeys(location, value, kind === 'build' ? JOB_KEYWORDS : BRIDGE_KEYWORDS, errors)
  const config = withoutNulls(value)
  const job = readProcessable(location, name, kind, config, context, errors)
  if (kind === 'build') readBuild(location, value, config, inheritedDefaults(context.defaults, job), job, errors)
  else job.options.trigger = readTrigger(`${location}:trigger`, config.trigger, errors)
  return errors.length === count ? job : undefined
}

/** GitLab treats `key: ~` like a key that is not there, for everything but `script:`. */
function withoutNulls(config: Config): Config {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== null))
}

/** The keys builds and bridges share (Entry::Processable). */
function readProcessable(location: string, name: string, kind: Kind, config: Config, context: JobContext, errors: string[]): JobSpec {
  const when = readWhen(location, kind, config.when, errors)
  const allowFailure = readAllowFailure(location, kind, config.allow_failure, errors)
  const job: JobSpec = {
    name,
    kind,
    // `type:` is the deprecated spelling of `stage:`; `stage` wins.
    stage: readStage(`${location}:stage`, config.stage ?? config.type, errors),
    when,
    allowFailure: allowFailure.ignore ?? when === 'manual',
    needs: config.needs === undefined ? null : (readNeeds(`${location}:needs`, config.needs, errors) ?? null),
    tags: [],
    variables: config.variables === undefined ? [] : (readVariables(`${location}:variables`, config.variables, JOB_VARIABLE_DATA, errors) ?? []),
    inheritVariables: true,
    options: allowFailure.exitCodes ? { allow_failure_exit_codes: allowFailure.exitCodes } : {},
  }
  if (config.rules !== undefined) job.rules = readRules(`${location}:rules`, config.rules, JOB_RULES, errors)
  readPolicies(location, config, context, job, errors)
  if (config.parallel !== undefined) job.parallel = readParallel(`${location}:parallel`, config.parallel, kind, errors)
  if (config.environment !== undefined) {
    job.environment = readEnvironment(`${location}:environment`, config.environment, errors)
    if (job.environment) job.options.environment = job.environment
  }
  if (config.resource_group !== undefined) {
    if (typeof config.resource_group === 'string') job.options.resource_group = config.resource_group
    else errors.push(entryError(location, 'resource group should be a string'))
  }
  if (config.inherit !== undefined) readInherit(`${location}:inherit`, config.inherit, job, errors)
  return job
}

const INHERIT_DEFAULT_KEYS = [
  'before_script', 'after_script', 'hooks', 'cache', 'image', 'services', 'interruptible', 'timeout', 'retry', 'tags', 'artifacts', 'id_tokens',
]

/** `inherit: {default, variables}`: true, false, or the names to take (entry/inherit/*.rb). */
function readInherit(location: string, value: unknown, job: JobSpec, errors: string[]): void {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return
  }
  checkKeys(location, value, { supported: ['default', 'variables'], unsupported: [] }, errors)
  const read = (key: 'default' | 'variables', allowed?: string[]): boolean | string[] | undefined => {
    const entry = value[key]
    if (entry == null) return undefined
    if (typeof entry === 'boolean') return entry
    if (!isStringArray(entry)) {
      errors.push(entryError(`${location}:${key}`, 'config should be a bool or array of strings'))
      return undefined
    }
    const unknown = allowed ? entry.filter((name) => !allowed.includes(name)) : []
    if (unknown.length > 0) errors.push(entryError(`${location}:${key}`, `config contains unknown values: ${unknown.join(', ')}`))
    return entry
  }
  const defaults = read('default', INHERIT_DEFAULT_KEYS)
  if (defaults !== undefined) job.inheritDefault = defaults
  const variables = read('variables')
  if (variables !== undefined) job.inheritVariables = variables
}

/**
 * `only`/`except` next to `rules` is an error; without either, `only` is GitLab's default unless
 * the job has `rules` or the config has `workflow:rules` (Processable#compose!).
 */
function readPolicies(location: string, config: Config, context: JobContext, job: JobSpec, errors: string[]): void {
  if (config.rules !== undefined) {
    const disallowed = Object.keys(config).filter((key) => ['only', 'except', 'start_in'].includes(key))
    if (disallowed.length > 0) errors.push(entryError(location, `config key may not be used with \`rules\`: ${disallowed.join(', ')}`))
    return
  }
  const only = config.only === undefined ? undefined : readPolicy(`${location}:only`, config.only, errors)
  const except = config.except === undefined ? undefined : readPolicy(`${location}:except`, config.except, errors)
  if (only) job.only = withDefaultOnly(only)
  else if (config.only === undefined && !context.workflowRules) job.only = withDefaultOnly({})
  if (except) job.except = except
}

/** The `default:` entries `inherit:default` lets the job take. */
function inheritedDefaults(defaults: JobDefaults, job: JobSpec): JobDefaults {
  const inherit = job.inheritDefault ?? true
  if (inherit === true) return defaults
  if (inherit === false) return {}
  return Object.fromEntries(Object.entries(defaults).filter(([key]) => inherit.includes(key))) as JobDefaults
}

function readBuild(location: string, raw: Config, config: Config, defaults: JobDefaults, job: JobSpec, errors: string[]): void {
  const values: JobDefaults = { ...defaults, ...readInheritable(location, config, INHERITED_KEYWORDS, errors) }
  const script = raw.script == null ? undefined : readCommands(`${location}:script`, raw.script, errors)
  if (!('run' in raw) && isBlank(raw.script)) errors.push(entryError(location, "script can't be blank"))
  job.tags = values.tags ?? []
  job.timeout = values.timeout
  job.options = {
    ...job.options,
    ...definedOnly({ before_script: values.before_script, script, after_script: values.after_script }),
    ...definedOnly({ image: values.image, services: values.services, artifacts: values.artifacts, cache: values.cache }),
    ...definedOnly({ retry: values.retry, interruptible: values.interruptible, hooks: values.hooks, id_tokens: values.id_tokens }),
  }
  if (config.release !== undefined) job.options.release = readRelease(`${location}:release`, config.release, errors)
  const pages = readPages(location, job.name, config.pages, config.publish, errors)
  if (pages) job.options.pages = pages
  if (config.secrets !== undefined) {
    const secrets = readSecrets(`${location}:secrets`, config.secrets, errors)
    if (secrets) job.options.secrets = secrets
  }
  if (config.coverage !== undefined) job.coverageRegex = readCoverage(`${location}:coverage`, config.coverage, errors)
  const startIn = readJobStartIn(location, job.when, config, errors)
  if (startIn !== undefined) job.options.start_in = startIn
  if (config.dependencies !== undefined) job.dependencies = readDependencies(location, config.dependencies, job.needs, errors)
  if (job.dependencies !== undefined) job.options.dependencies = job.dependencies
}

/** Rails' `blank?`: nil, an empty or whitespace string, an empty array. */
function isBlank(value: unknown): boolean {
  return value == null || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0)
}

function definedOnly<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>
}

function readStage(location: string, value: unknown, errors: string[]): string {
  if (value === undefined) return 'test'
  if (typeof value === 'string') return value
  errors.push(entryError(location, 'config should be a string'))
  return 'test'
}

function readWhen(location: string, kind: Kind, value: unknown, errors: string[]): JobSpec['when'] {
  const allowed: readonly string[] = kind === 'build' ? BUILD_WHEN : BRIDGE_WHEN
  if (value === undefined) return 'on_success'
  if (typeof value === 'string' && allowed.includes(value)) return value as JobSpec['when']
  errors.push(entryError(location, `when should be one of: ${allowed.join(', ')}`))
  return 'on_success'
}

/** `ignore` is the static allow_failure; a hash means "only for these exit codes" (not ignored). */
function readAllowFailure(location: string, kind: Kind, value: unknown, errors: string[]): { ignore?: boolean; exitCodes?: number[] } {
  if (value === undefined) return {}
  if (typeof value === 'boolean') return { ignore: value }
  if (kind === 'bridge' || !isHash(value)) {
    errors.push(entryError(location, `allow failure should be ${kind === 'bridge' ? 'a boolean value' : 'a hash or a boolean value'}`))
    return {}
  }
  checkKeys(`${location}:allow_failure`, value, { supported: ['exit_codes'], unsupported: [] }, errors)
  if (value.exit_codes === undefined) return { ignore: false }
  return { ignore: false, exitCodes: readExitCodes(`${location}:allow_failure`, value.exit_codes, errors) }
}

/**
 * Job-level `start_in`: required with `when: delayed`, refused otherwise and next to `rules` (so a
 * delayed job with rules must take its delay from a rule).
 */
function readJobStartIn(location: string, when: JobSpec['when'], config: Config, errors: string[]): string | undefined {
  const hasRules = config.rules !== undefined
  const present = config.start_in !== undefined
  if ((hasRules || when !== 'delayed') && present) errors.push(entryError(location, 'start in must be blank'))
  if (when !== 'delayed') return undefined
  const startIn = readStartIn(location, config.start_in, errors)
  return hasRules ? undefined : startIn
}

function readTimeout(location: string, value: unknown, errors: string[]): number | undefined {
  const seconds = typeof value === 'string' ? parseDuration(value) : null
  if (seconds === null) {
    errors.push(entryError(location, 'config should be a duration'))
    errors.push(entryError(location, 'config should not exceed the limit'))
    return undefined
  }
  if (seconds > MAX_BUILD_TIMEOUT) errors.push(entryError(location, 'config should not exceed the limit'))
  return seconds > MAX_BUILD_TIMEOUT ? undefined : Math.trunc(seconds)
}

/** `coverage: /regex/`, kept without its slashes. */
function readCoverage(location: string, value: unknown, errors: string[]): string | undefined {
  const source = typeof value === 'string' && value.length >= 2 && value.startsWith('/') && value.endsWith('/') ? value.slice(1, -1) : null
  if (source !== null && compileRe2(source) !== null) return source
  errors.push(entryError(location, 'config must be a regular expression with re2 syntax'))
}

/** `retry: n` or `retry: {max, when, exit_codes}`; `when` defaults to always unless exit codes are given. */
function readRetry(location: string, value: unknown, errors: string[]): RetryPolicy | undefined {
  const count = errors.length
  if (typeof value === 'number') {
    checkRetryMax(location, 'config', value, errors)
    return errors.length === count ? { max: value, when: ['always'], exitCodes: [] } : undefined
  }
  if (!isHash(value)) {
    errors.push(entryError(location, 'config has to be either an integer or a hash'))
    return undefined
  }
  checkKeys(location, value, { supported: ['max', 'when', 'exit_codes'], unsupported: [] }, errors)
  if (value.max !== undefined && value.max !== null) checkRetryMax(location, 'max', value.max, errors)
  const when = value.when == null ? undefined : readRetryWhen(location, value.when, errors)
  const exitCodes = value.exit_codes == null ? undefined : readExitCodes(location, value.exit_codes, errors)
  if (errors.length !== count) return undefined
  return { max: isInteger(value.max) ? value.max : 0, when: when ?? (exitCodes ? [] : ['always']), exitCodes: exitCodes ?? [] }
}

function checkRetryMax(location: string, attribute: string, value: unknown, errors: string[]): void {
  if (!isInteger(value)) errors.push(entryError(location, `${attribute} must be an integer`))
  else if (value < 0) errors.push(entryError(location, `${attribute} must be greater than or equal to 0`))
  else if (value > 2) errors.push(entryError(location, `${attribute} must be less than or equal to 2`))
}

function readRetryWhen(location: string, value: unknown, errors: string[]): string[] | undefined {
  const allowed = (reason: string) => reason === 'always' || isFailureReason(reason)
  if (typeof value === 'string') {
    if (allowed(value)) return [value]
    errors.push(entryError(location, 'when is not included in the list'))
  } else if (isStringArray(value)) {
    const unknown = value.filter((reason) => !allowed(reason))
    if (unknown.length === 0) return value
    errors.push(entryError(location, `when contains unknown values: ${unknown.join(', ')}`))
  } else {
    errors.push(entryError(location, 'when should be an array of strings or a string'))
  }
}
