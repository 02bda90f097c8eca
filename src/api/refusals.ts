import type { Refusal, Refused } from '../ci/refusals'
import { ApiError } from '../http/errors'

/** The one mapping from a refusal reason to GitLab's status and body (lib/api/ci/jobs.rb). */
export function refusalError(reason: Refusal): ApiError {
  switch (reason) {
    case 'not_found':
      return ApiError.notFound()
    case 'not_retryable':
      return ApiError.forbidden('Job is not retryable')
    case 'unplayable':
      return ApiError.badRequest('Unplayable Job')
    case 'not_erasable':
      return ApiError.forbidden('Job is not erasable!')
    default: {
      const unmapped: never = reason
      throw new Error(`unmapped refusal ${String(unmapped)}`)
    }
  }
}

/** The value of an `{ ok: true, ... }` outcome, or its refusal thrown as GitLab's error. */
export function accepted<T extends { ok: true } | Refused>(outcome: T): Extract<T, { ok: true }> {
  if (!outcome.ok) throw refusalError((outcome as Refused).reason)
  return outcome as Extract<T, { ok: true }>
}
