import type { Variable } from '../types'
import { flattenStrings, readVariables } from './entries'
import { readInheritable, type JobDefaults } from './job'
import {
  checkKeys, DEFAULT_KEYWORDS, entryError, INHERITED_KEYWORDS, isHash, ROOT_KEYWORDS, TOP_LEVEL_DEFAULTS, unsupportedKeys,
  WORKFLOW_KEYWORDS, type Config,
} from './keywords'
import { readAutoCancel, readRules, WORKFLOW_RULES, type AutoCancel, type Rule } from './rules'

/**
 * The top level of a config: the reserved keys, and everything else as jobs. Sources: gitlabhq
 * lib/gitlab/ci/config/entry/{root,default,stages,workflow}.rb,
 * lib/gitlab/ci/config/edge_stages_injector.rb.
 */

export interface RootSpec {
  stages: string[]
  variables: Variable[]
  defaults: JobDefaults
  /** undefined: no `workflow:rules`, every pipeline runs */
  workflowRules?: Rule[]
  /** `workflow:auto_cancel` */
  workflowAutoCancel?: AutoCancel
  /** every top-level entry that is not a reserved key, hidden ones included, in config order */
  jobs: [string, unknown][]
}

const DEFAULT_STAGES = ['build', 'test', 'deploy']
const MAX_NESTING_LEVEL = 10
const STAGES_TYPE_ERROR = `config should be an array of strings or a nested array of strings up to ${MAX_NESTING_LEVEL} levels deep`
const GLOBAL_VARIABLE_DATA = ['value', 'description', 'expand', 'options']

export function readRoot(config: Config, errors: string[]): RootSpec {
  const reserved = [...ROOT_KEYWORDS.supported, ...ROOT_KEYWORDS.unsupported]
  const unsupported = ROOT_KEYWORDS.unsupported.filter((key) => key in config)
  if (unsupported.length > 0) errors.push(unsupportedKeys('root', unsupported))
  const root: RootSpec = {
    // `types:` is the deprecated spelling of `stages:`.
    stages: readStages(config.stages ?? config.types, errors),
    variables: config.variables == null ? [] : (readVariables('variables', config.variables, GLOBAL_VARIABLE_DATA, errors) ?? []),
    defaults: readDefaults(config, errors),
    jobs: Object.entries(config).filter(([name]) => !reserved.includes(name)),
  }
  const workflow = readWorkflow(config.workflow, errors)
  if (workflow.rules) root.workflowRules = workflow.rules
  if (workflow.autoCancel) root.workflowAutoCancel = workflow.autoCancel
  return root
}

/** `.pre` always comes first and `.post` last, wherever (and whether) the config lists them. */
function readStages(value: unknown, errors: string[]): string[] {
  let stages = DEFAULT_STAGES
  if (value != null) {
    const listed = flattenStrings(value, MAX_NESTING_LEVEL)
    if (listed) stages = listed
    else errors.push(entryError('stages', STAGES_TYPE_ERROR))
  }
  const middle = [...new Set(stages)].filter((stage) => stage !== '.pre' && stage !== '.post')
  return ['.pre', ...middle, '.post']
}

/** `default:` plus the deprecated top-level image/services/scripts/cache; both at once is an error. */
function readDefaults(config: Config, errors: string[]): JobDefaults {
  const topLevel = readInheritable('', config, TOP_LEVEL_DEFAULTS, errors)
  if (config.default == null) return topLevel
  if (!isHash(config.default)) {
    errors.push(entryError('default', 'config should be a hash'))
    return topLevel
  }
  checkKeys('default', config.default, DEFAULT_KEYWORDS, errors)
  const defaults = readInheritable('default', config.default, INHERITED_KEYWORDS, errors)
  for (const key of TOP_LEVEL_DEFAULTS) {
    if (config[key] != null && config.default[key] != null) errors.push(`${key} is defined in top-level and \`default:\` entry`)
  }
  return { ...topLevel, ...defaults }
}

function readWorkflow(value: unknown, errors: string[]): { rules?: Rule[]; autoCancel?: AutoCancel } {
  if (value == null) return {}
  if (!isHash(value)) {
    errors.push(entryError('workflow', 'config should be a hash'))
    return {}
  }
  checkKeys('workflow', value, WORKFLOW_KEYWORDS, errors)
  if (value.name != null && (typeof value.name !== 'string' || value.name.length < 1 || value.name.length > 255)) {
    errors.push(entryError('workflow', 'name is too long (maximum is 255 characters)'))
  }
  const autoCancel = value.auto_cancel == null ? undefined : readAutoCancel('workflow:auto_cancel', value.auto_cancel, errors)
  const rules = value.rules == null ? undefined : readRules('workflow:rules', value.rules, WORKFLOW_RULES, errors)
  return { ...(rules ? { rules } : {}), ...(autoCancel ? { autoCancel } : {}) }
}
