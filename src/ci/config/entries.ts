import type { ImageSpec, Variable } from '../types'
import { checkKeys, entryError, isHash, type Config, type Keywords } from './keywords'

/**
 * The small entries shared by `default:`, jobs and the top level: scripts, string lists, tags,
 * variables, image and services. Each reader pushes GitLab-worded errors and returns undefined
 * for an invalid value. Sources: gitlabhq lib/gitlab/ci/config/entry/{commands,script,variables,
 * variable,image,imageable,service,services,pull_policy}.rb.
 */

const MAX_NESTING_LEVEL = 10
const MAX_TAGS = 50
const PULL_POLICIES = ['always', 'never', 'if-not-present']
const SERVICE_VARIABLE_DATA = ['value', 'expand']

const IMAGE_KEYWORDS: Keywords = { supported: ['name', 'entrypoint', 'pull_policy', 'docker', 'kubernetes', 'ports'], unsupported: [] }
const SERVICE_KEYWORDS: Keywords = {
  supported: ['name', 'entrypoint', 'command', 'alias', 'pull_policy', 'variables', 'docker', 'kubernetes', 'ports'],
  unsupported: [],
}

/** Script-like entries: a string, or an array of strings nested up to 10 levels (flattened). */
export function readCommands(location: string, value: unknown, errors: string[]): string[] | undefined {
  if (typeof value === 'string') return [value]
  const flat = flattenStrings(value, MAX_NESTING_LEVEL)
  if (flat) return flat
  errors.push(entryError(location, `config should be a string or a nested array of strings up to ${MAX_NESTING_LEVEL} levels deep`))
}

/** The strings of a nested array, or null when it holds anything else or nests too deep. */
export function flattenStrings(value: unknown, levels: number): string[] | null {
  if (!Array.isArray(value)) return null
  const strings: string[] = []
  for (const item of value) {
    const inner = typeof item === 'string' ? [item] : levels > 1 ? flattenStrings(item, levels - 1) : null
    if (inner === null) return null
    strings.push(...inner)
  }
  return strings
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

export function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value)
}

/** `allow_failure:exit_codes` and `retry:exit_codes`: an integer or an array of them. */
export function readExitCodes(location: string, value: unknown, errors: string[]): number[] | undefined {
  if (isInteger(value)) return [value]
  if (Array.isArray(value) && value.every(isInteger)) return value
  errors.push(entryError(location, 'exit codes should be an array of integers or an integer'))
}

export function readBoolean(location: string, value: unknown, errors: string[]): boolean | undefined {
  if (typeof value === 'boolean') return value
  errors.push(entryError(location, 'config should be a boolean value'))
}

export function readTags(location: string, value: unknown, errors: string[]): string[] | undefined {
  if (!isStringArray(value)) {
    errors.push(entryError(location, 'config should be an array of strings'))
    return undefined
  }
  if (value.length > MAX_TAGS) errors.push(entryError(location, `config must be less than the limit of ${MAX_TAGS} tags`))
  return value
}

/**
 * `variables:`: scalars become strings, `{value, description, expand, options}` hashes keep their
 * value (`expand: false` makes the variable raw). `allowedData` differs between the top level and
 * jobs, as in GitLab.
 */
export function readVariables(location: string, value: unknown, allowedData: readonly string[], errors: string[]): Variable[] | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  const variables: Variable[] = []
  for (const [key, definition] of Object.entries(value)) {
    const variable = readVariable(`${location}:${key}`, key, definition, allowedData, errors)
    if (variable) variables.push(variable)
  }
  return variables
}

function readVariable(
  location: string,
  key: string,
  definition: unknown,
  allowedData: readonly string[],
  errors: string[],
): Variable | undefined {
  if (isScalar(definition)) return { key, value: String(definition) }
  if (!isHash(definition)) {
    // GitLab's own wording names neither the job nor the variable here.
    errors.push('variable definition must be either a string or a hash')
    return undefined
  }
  const extra = Object.keys(definition).filter((dataKey) => !allowedData.includes(dataKey))
  if (extra.length > 0) errors.push(entryError(location, `config uses invalid data keys: ${extra.join(', ')}`))
  const { value, expand, options } = definition
  const problems = [
    value != null && !isScalar(value) && 'config value must be an alphanumeric string',
    expand !== undefined && typeof expand !== 'boolean' && 'config expand should be a boolean value',
    options !== undefined && !isStringArray(options) && 'config options should be an array of strings',
    isStringArray(options) && !options.includes(String(value ?? '')) && 'config value must be present in options',
  ]
  for (const problem of problems) if (problem) errors.push(entryError(location, problem))
  return { key, value: isScalar(value) ? String(value) : '', ...(expand === false ? { raw: true } : {}) }
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

/** `image:`: a name, or `{name, entrypoint, pull_policy}`. */
export function readImage(location: string, value: unknown, errors: string[]): ImageSpec | undefined {
  if (typeof value === 'string') return readImageName(location, value, errors) === undefined ? undefined : { name: value }
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash or a string'))
    return undefined
  }
  const count = errors.length
  checkKeys(location, value, IMAGE_KEYWORDS, errors)
  const image = readImageHash(location, value, errors)
  return errors.length === count ? image : undefined
}

function readImageHash(location: string, config: Config, errors: string[]): ImageSpec {
  const image: ImageSpec = { name: readImageName(location, config.name, errors) ?? '' }
  if (config.entrypoint !== undefined) {
    if (isStringArray(config.entrypoint)) image.entrypoint = config.entrypoint
    else errors.push(entryError(location, 'entrypoint should be an array of strings'))
  }
  if (config.pull_policy !== undefined) {
    const policies = readPullPolicy(`${location}:pull_policy`, config.pull_policy, errors)
    if (policies) image.pull_policy = policies
  }
  // Image ports need GitLab's ci_image_ports feature (off by default), as on GitLab.com.
  if (config.ports !== undefined) errors.push(entryError(location, 'config contains disallowed keys: ports'))
  const executorOpts = readExecutorOpts(location, config, errors)
  if (executorOpts) image.executor_opts = executorOpts
  return image
}

/** `docker: {platform, user}` and `kubernetes: {user}` (entry/schemas/imageable/executor_opts.json). */
function readExecutorOpts(location: string, config: Config, errors: string[]): Record<string, Record<string, string>> | undefined {
  const opts: Record<string, Record<string, string>> = {}
  const limits: Record<string, Record<string, number>> = { docker: { platform: 64, user: 255 }, kubernetes: { user: 255 } }
  for (const executor of ['docker', 'kubernetes'] as const) {
    const value = config[executor]
    if (value === undefined || value === null) continue
    const allowed = limits[executor]
    if (!isHash(value) || !Object.entries(value).every(([key, entry]) => key in allowed && typeof entry === 'string' && entry.length >= 1 && entry.length <= allowed[key])) {
      errors.push(entryError(location, `config contains unknown keys or values in ${executor}`))
      continue
    }
    opts[executor] = value as Record<string, string>
  }
  return Object.keys(opts).length > 0 ? opts : undefined
}

function readImageName(location: string, name: unknown, errors: string[]): string | undefined {
  if (typeof name === 'string' && name.trim() !== '') return name
  errors.push(entryError(location, typeof name === 'string' || name == null ? "name can't be blank" : 'name should be a string'))
}

function readPullPolicy(location: string, value: unknown, errors: string[]): string[] | undefined {
  if (typeof value === 'string') {
    if (PULL_POLICIES.includes(value)) return [value]
    errors.push(entryError(location, 'config is not included in the list'))
    return undefined
  }
  if (!isStringArray(value)) {
    errors.push(entryError(location, 'config should be an array of strings or a string'))
    return undefined
  }
  const unknown = value.filter((policy) => !PULL_POLICIES.includes(policy))
  if (value.length === 0) errors.push(entryError(location, "config can't be blank"))
  if (unknown.length > 0) errors.push(entryError(location, `config contains unknown values: ${unknown.join(', ')}`))
  return value.length > 0 && unknown.length === 0 ? value : undefined
}

/** `services:`: an array of names or `{name, alias, entrypoint, command, pull_policy, variables}`. */
export function readServices(location: string, value: unknown, errors: string[]): ImageSpec[] | undefined {
  if (!Array.isArray(value)) {
    // Sic: GitLab's TypeValidator says "a array".
    errors.push(entryError(location, 'config should be a array'))
    return undefined
  }
  const count = errors.length
  const services = value.map((service) => readService(`${location}:service`, service, errors))
  return errors.length === count ? services.filter((service) => service !== undefined) : undefined
}

function readService(location: string, value: unknown, errors: string[]): ImageSpec | undefined {
  if (typeof value === 'string') return readImage(location, value, errors)
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash or a string'))
    return undefined
  }
  checkKeys(location, value, SERVICE_KEYWORDS, errors)
  const service = readImageHash(location, value, errors)
  if (value.alias !== undefined) {
    if (typeof value.alias === 'string') service.alias = value.alias
    else errors.push(entryError(location, 'alias should be a string'))
  }
  if (value.command !== undefined) {
    if (isStringArray(value.command)) service.command = value.command
    else errors.push(entryError(location, 'command should be an array of strings'))
  }
  if (value.variables !== undefined) service.variables = readVariables(`${location}:variables`, value.variables, SERVICE_VARIABLE_DATA, errors)
  return service
}
