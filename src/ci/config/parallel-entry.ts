import { checkKeys, entryError, isHash } from './keywords'

/**
 * The `parallel:` entry (`N` or `{matrix: [...]}`), its matrix combinations and instance names.
 * Expansion into jobs is parallel.ts. Sources: gitlabhq
 * lib/gitlab/ci/config/entry/product/{parallel,matrix,variables}.rb.
 */

export type ParallelSpec = { total: number } | { matrix: Record<string, string[]>[] }

export const PARALLEL_LIMIT = 200

export function readParallel(location: string, value: unknown, kind: 'build' | 'bridge', errors: string[]): ParallelSpec | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (kind === 'bridge') {
      errors.push(entryError(location, `config cannot use "parallel: ${value}".`))
      return undefined
    }
    if (value < 1) errors.push(entryError(location, 'config must be greater than or equal to 1'))
    else if (value > PARALLEL_LIMIT) errors.push(entryError(location, `config must be less than or equal to ${PARALLEL_LIMIT}`))
    else return { total: value }
    return undefined
  }
  if (!isHash(value)) {
    errors.push(entryError(location, 'should be an integer or a hash'))
    return undefined
  }
  checkKeys(location, value, { supported: ['matrix'], unsupported: [] }, errors)
  if (value.matrix === undefined) {
    errors.push(entryError(location, 'config missing required keys: matrix'))
    return undefined
  }
  const matrix = readMatrix(`${location}:matrix`, value.matrix, errors)
  return matrix ? { matrix } : undefined
}

export function readMatrix(location: string, value: unknown, errors: string[]): Record<string, string[]>[] | undefined {
  if (!Array.isArray(value) || !value.every(isHash)) {
    errors.push(entryError(location, 'config should be an array of hashes'))
    return undefined
  }
  const items: Record<string, string[]>[] = []
  for (const item of value) {
    if (Object.keys(item).length === 0) {
      errors.push(entryError(location, 'requires at least 1 items'))
      return undefined
    }
    const values: Record<string, string[]> = {}
    for (const [key, entry] of Object.entries(item)) {
      const list = Array.isArray(entry) ? entry : [entry]
      if (!list.every((one) => typeof one === 'string' || typeof one === 'number' || typeof one === 'boolean')) {
        errors.push(entryError(location, 'should be a hash of key value pairs, value can be an array'))
        return undefined
      }
      values[key] = list.map(String)
    }
    items.push(values)
  }
  const size = items.reduce((sum, item) => sum + Object.values(item).reduce((product, list) => product * list.length, 1), 0)
  if (size > PARALLEL_LIMIT) {
    errors.push(entryError(location.replace(/:matrix$/, ':matrix'), `config generates too many jobs (maximum is ${PARALLEL_LIMIT})`))
    return undefined
  }
  return items
}

/** Every combination of a matrix, item by item, in key and value order. */
export function matrixCombinations(matrix: Record<string, string[]>[]): Record<string, string>[] {
  const combinations: Record<string, string>[] = []
  for (const item of matrix) {
    let partial: Record<string, string>[] = [{}]
    for (const [key, values] of Object.entries(item)) {
      partial = partial.flatMap((combination) => values.map((value) => ({ ...combination, [key]: value })))
    }
    combinations.push(...partial)
  }
  return combinations
}

export function matrixName(name: string, combination: Record<string, string>): string {
  return `${name}: [${Object.values(combination).join(', ')}]`
}

