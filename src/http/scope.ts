import { AVAILABLE_STATUSES, type JobStatus } from '../ci/statuses'
import { ApiError } from './errors'

/**
 * The `scope` param of job lists: `scope=x`, `scope[]=x&scope[]=y`, or (project jobs only)
 * `scope[k]=x` whose values are used. Every value must be a status, else Grape's 400.
 */
export function parseScope(raw: unknown, options: { acceptHash: boolean }): JobStatus[] | undefined {
  if (raw === undefined) return undefined
  let values: unknown[]
  if (typeof raw === 'string') values = [raw]
  else if (Array.isArray(raw)) values = raw
  else if (raw !== null && typeof raw === 'object' && options.acceptHash) values = Object.values(raw)
  else throw ApiError.invalid('scope', 'does not have a valid value')
  if (!values.every((value) => typeof value === 'string' && (AVAILABLE_STATUSES as readonly string[]).includes(value))) {
    throw ApiError.invalid('scope', 'does not have a valid value')
  }
  return [...new Set(values as JobStatus[])]
}
