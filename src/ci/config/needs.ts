import type { Need } from '../types'
import { isStringArray } from './entries'
import { checkKeys, entryError, isHash } from './keywords'
import { readMatrix } from './parallel-entry'

/**
 * `needs:` and `dependencies:`, a job's links to earlier jobs. Whether the named jobs exist and
 * come earlier is checked once every job is read (graph.ts). Sources: gitlabhq
 * lib/gitlab/ci/config/entry/{needs,need}.rb, lib/gitlab/ci/config/entry/job.rb (`dependencies`).
 */

export function readNeeds(location: string, value: unknown, errors: string[]): Need[] | undefined {
  if (!isHash(value) && !Array.isArray(value)) {
    errors.push(entryError(location, 'config can only be a Hash or an Array'))
    return undefined
  }
  const count = errors.length
  const needs = (Array.isArray(value) ? value : [value]).map((need) => readNeed(`${location}:need`, need, errors))
  return errors.length === count ? needs.filter((need) => need !== undefined) : undefined
}

function readNeed(location: string, value: unknown, errors: string[]): Need | undefined {
  if (typeof value === 'string') {
    if (value === '') errors.push(entryError(location, "config can't be blank"))
    return { name: value, artifacts: true, optional: false }
  }
  // needs:project and needs:pipeline download another project's or pipeline's job artifacts,
  // which the runner would fetch with a job token edgejobs only honours within its own pipeline.
  const crossPipeline = isHash(value) ? ['pipeline', 'project', 'ref'].filter((key) => key in value) : []
  if (crossPipeline.length > 0) {
    errors.push(entryError(location, `config uses unsupported keys: ${crossPipeline.join(', ')} (edgejobs does not support them: it does not fetch artifacts of other projects' or pipelines' jobs)`))
    return undefined
  }
  if (!isHash(value) || !('job' in value)) {
    errors.push(entryError(location, 'has an unsupported type'))
    return undefined
  }
  checkKeys(location, value, { supported: ['job', 'artifacts', 'optional', 'parallel'], unsupported: [] }, errors)
  if (typeof value.job !== 'string') errors.push(entryError(location, 'job should be a string'))
  else if (value.job === '') errors.push(entryError(location, "job can't be blank"))
  for (const flag of ['artifacts', 'optional'] as const) {
    const flagValue = value[flag]
    if (flagValue != null && typeof flagValue !== 'boolean') errors.push(entryError(location, `${flag} should be a boolean value`))
  }
  const need: Need = { name: String(value.job), artifacts: value.artifacts !== false, optional: value.optional === true }
  if (value.parallel != null) {
    if (!isHash(value.parallel) || value.parallel.matrix === undefined) errors.push(entryError(`${location}:parallel`, 'config missing required keys: matrix'))
    else {
      const matrix = readMatrix(`${location}:parallel:matrix`, value.parallel.matrix, errors)
      if (matrix) need.matrix = matrix
    }
  }
  return need
}

/** With `needs:`, every dependency must also be a need (Entry::Job `dependencies` validation). */
export function readDependencies(location: string, value: unknown, needs: Need[] | null, errors: string[]): string[] | undefined {
  if (!isStringArray(value)) {
    errors.push(entryError(location, 'dependencies should be an array of strings'))
    return undefined
  }
  const missing = needs && needs.length > 0 ? value.filter((name) => !needs.some((need) => need.name === name)) : []
  if (missing.length > 0) errors.push(entryError(location, `dependencies the ${missing.join(', ')} should be part of needs`))
  return value
}
