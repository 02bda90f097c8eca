import type { TriggerSpec } from '../types'
import { checkKeys, entryError, isHash, type Config, type Keywords } from './keywords'

/**
 * `trigger:`, which makes a job a bridge: a project path (multi-project pipeline) or
 * `include:` of one local file (child pipeline). Sources: gitlabhq
 * lib/gitlab/ci/config/entry/{trigger,trigger/forward}.rb.
 */

const CROSS_PROJECT_KEYWORDS: Keywords = { supported: ['project', 'branch', 'strategy', 'forward'], unsupported: [] }
const SAME_PROJECT_KEYWORDS: Keywords = { supported: ['include', 'strategy', 'forward'], unsupported: [] }
const FORWARD_KEYWORDS: Keywords = { supported: ['yaml_variables', 'pipeline_variables'], unsupported: [] }
const INCLUDE_KEYWORDS: Keywords = {
  supported: ['local', 'project', 'file', 'ref', 'template', 'remote', 'component', 'artifact', 'job', 'inputs', 'rules'],
  unsupported: [],
}
const MAX_CHILD_INCLUDES = 3

export function readTrigger(location: string, value: unknown, errors: string[]): TriggerSpec | undefined {
  const count = errors.length
  let trigger: TriggerSpec | undefined
  if (typeof value === 'string') {
    if (value.trim() === '') errors.push(entryError(location, "config can't be blank"))
    trigger = { project: value }
  } else if (isHash(value)) {
    trigger = value.include === undefined ? readCrossProject(location, value, errors) : readChildPipeline(location, value, errors)
  } else {
    errors.push(entryError(location, 'has to be either a string or a hash'))
  }
  return errors.length === count ? trigger : undefined
}

function readCrossProject(location: string, config: Config, errors: string[]): TriggerSpec {
  checkKeys(location, config, CROSS_PROJECT_KEYWORDS, errors)
  const trigger: TriggerSpec = {}
  if (typeof config.project !== 'string') errors.push(entryError(location, 'project should be a string'))
  else if (config.project.trim() === '') errors.push(entryError(location, "project can't be blank"))
  else trigger.project = config.project
  if (config.branch !== undefined) {
    if (typeof config.branch === 'string') trigger.branch = config.branch
    else errors.push(entryError(location, 'branch should be a string'))
  }
  return withCommonKeys(location, config, trigger, errors)
}

function readChildPipeline(location: string, config: Config, errors: string[]): TriggerSpec {
  checkKeys(location, config, SAME_PROJECT_KEYWORDS, errors)
  const items = readInclude(`${location}:include`, config.include, errors)
  if (items === undefined) return withCommonKeys(location, config, {}, errors)
  // One local file keeps the simple form; anything else is resolved as the child's `include:`.
  const [first] = items
  const single = items.length === 1 ? (typeof first === 'string' ? first : isHash(first) && Object.keys(first).join() === 'local' ? first.local : undefined) : undefined
  return withCommonKeys(location, config, typeof single === 'string' ? { include: single } : { includes: items }, errors)
}

/** The child's config files (Entry::Trigger's include: at most 3 items of the include kinds, `artifact` + `job` too). */
function readInclude(location: string, value: unknown, errors: string[]): unknown[] | undefined {
  const items = Array.isArray(value) ? value : [value]
  if (items.length === 0 || items.length > MAX_CHILD_INCLUDES) {
    errors.push(entryError(location, `config must contain between 1 and ${MAX_CHILD_INCLUDES} includes`))
    return undefined
  }
  const count = errors.length
  for (const item of items) {
    if (typeof item === 'string') {
      if (item.trim() === '') errors.push(entryError(location, "config can't be blank"))
      continue
    }
    if (!isHash(item)) {
      errors.push(entryError(location, 'config should be a hash or a string'))
      continue
    }
    checkKeys(location, item, INCLUDE_KEYWORDS, errors)
    if (!['local', 'project', 'template', 'remote', 'component', 'artifact'].some((key) => key in item)) {
      errors.push(entryError(location, 'config must specify the file where to fetch the config from'))
    }
  }
  return errors.length === count ? items : undefined
}

function withCommonKeys(location: string, config: Config, trigger: TriggerSpec, errors: string[]): TriggerSpec {
  if (config.strategy !== undefined) {
    if (config.strategy === 'depend') trigger.strategy = 'depend'
    else errors.push(entryError(location, 'strategy should be depend'))
  }
  if (config.forward !== undefined) {
    const forward = readForward(`${location}:forward`, config.forward, errors)
    if (forward) trigger.forward = forward
  }
  return trigger
}

function readForward(location: string, value: unknown, errors: string[]): TriggerSpec['forward'] {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  checkKeys(location, value, FORWARD_KEYWORDS, errors)
  const flag = (key: 'yaml_variables' | 'pipeline_variables', fallback: boolean): boolean => {
    const flagValue = value[key]
    if (flagValue === undefined || flagValue === null) return fallback
    if (typeof flagValue === 'boolean') return flagValue
    errors.push(entryError(location, `${key.replace('_', ' ')} should be a boolean value`))
    return fallback
  }
  // GitLab forwards YAML variables and keeps pipeline variables unless told otherwise.
  return { yaml_variables: flag('yaml_variables', true), pipeline_variables: flag('pipeline_variables', false) }
}
