import type { EnvironmentSpec } from '../types'
import { parseDuration } from './duration'
import { checkKeys, entryError, isHash } from './keywords'

/**
 * `environment:` (a name, or `{name, url, action, on_stop, auto_stop_in, deployment_tier,
 * kubernetes}`), its `on_stop` checks, and the tier GitLab guesses from a name. Sources: gitlabhq
 * lib/gitlab/ci/config/entry/environment.rb, lib/gitlab/ci/yaml_processor.rb
 * (validate_job_environment!), app/models/environment.rb (guess_tier), lib/gitlab/regex.rb.
 */

const ACTIONS = ['start', 'stop', 'prepare', 'verify', 'access'] as const
const TIERS = ['production', 'staging', 'testing', 'development', 'other'] as const
const KEYS = ['name', 'url', 'action', 'on_stop', 'auto_stop_in', 'kubernetes', 'deployment_tier']
const NAME_ERROR = "name can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'"

/** Gitlab::Regex.environment_name_regex */
export function validEnvironmentName(name: string): boolean {
  return /^[a-zA-Z0-9_/${}. -]+$/.test(name) && !name.startsWith('/') && !name.endsWith('/')
}

export function readEnvironment(location: string, value: unknown, errors: string[]): EnvironmentSpec | undefined {
  if (typeof value === 'string') return readName(location, value, errors) ? { name: value, action: 'start' } : undefined
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash or a string'))
    return undefined
  }
  const count = errors.length
  checkKeys(location, value, { supported: KEYS, unsupported: [] }, errors)
  if (value.name == null || value.name === '') {
    errors.push(entryError(location, "name can't be blank"))
    return undefined
  }
  if (typeof value.name !== 'string') {
    errors.push(entryError(location, 'name has to be a string'))
    return undefined
  }
  readName(location, value.name, errors)
  const spec: EnvironmentSpec = { name: value.name, action: 'start' }
  if (value.action != null) {
    if ((ACTIONS as readonly unknown[]).includes(value.action)) spec.action = value.action as EnvironmentSpec['action']
    else errors.push(entryError(location, 'action should be start, stop, prepare, verify, or access'))
  }
  if (value.url != null) {
    if (typeof value.url === 'string' && value.url.length <= 255) spec.url = value.url
    else errors.push(entryError(location, typeof value.url === 'string' ? 'url is too long (maximum is 255 characters)' : 'url should be a string'))
  }
  if (value.on_stop != null) {
    if (typeof value.on_stop === 'string') spec.on_stop = value.on_stop
    else errors.push(entryError(location, 'on stop should be a string'))
  }
  if (value.auto_stop_in != null) {
    const text = value.auto_stop_in
    if (typeof text === 'string' && (text === 'never' || text.includes('$') || parseDuration(text) !== null)) spec.auto_stop_in = text
    else errors.push(entryError(location, 'auto stop in should be a duration'))
  }
  if (value.deployment_tier != null) {
    if ((TIERS as readonly unknown[]).includes(value.deployment_tier)) spec.deployment_tier = value.deployment_tier as EnvironmentSpec['deployment_tier']
    else errors.push(entryError(location, `deployment tier must be one of ${TIERS.join(', ')}`))
  }
  if (value.kubernetes != null) {
    if (isHash(value.kubernetes)) spec.kubernetes = value.kubernetes
    else errors.push(entryError(`${location}:kubernetes`, 'config should be a hash'))
  }
  return errors.length === count ? spec : undefined
}

function readName(location: string, name: string, errors: string[]): boolean {
  if (name.trim() === '') errors.push(entryError(location, "name can't be blank"))
  else if (name.length > 255) errors.push(entryError(location, 'name is too long (maximum is 255 characters)'))
  else if (!validEnvironmentName(name)) errors.push(entryError(location, NAME_ERROR))
  else return true
  return false
}

/** The logical `on_stop` checks, first failure only; `find` names a job's environment. */
export function onStopError(
  job: string,
  environment: EnvironmentSpec | undefined,
  find: (name: string) => { environment?: EnvironmentSpec } | undefined,
): string | undefined {
  if (!environment?.on_stop) return undefined
  const stop = find(environment.on_stop)
  if (!stop) return `${job} job: on_stop job ${environment.on_stop} is not defined`
  if (!stop.environment) return `${job} job: on_stop job ${environment.on_stop} does not have environment defined`
  if (stop.environment.name !== environment.name) return `${job} job: on_stop job ${environment.on_stop} have different environment name`
  if (stop.environment.action !== 'stop') return `${job} job: on_stop job ${environment.on_stop} needs to have action stop defined`
}

/** Environment#guess_tier */
export function guessTier(name: string): EnvironmentSpec['deployment_tier'] {
  if (/(dev|review|trunk)/i.test(name)) return 'development'
  if (/(test|tst|int|ac(ce|)pt|qa|qc|control|quality)/i.test(name)) return 'testing'
  if (/(st(a|)g|mod(e|)l|pre|demo|non)/i.test(name)) return 'staging'
  if (/(pr(o|)d|live)/i.test(name)) return 'production'
  return 'other'
}
