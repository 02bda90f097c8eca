import { ApiError } from './errors'

/**
 * destroy_conditionally! (lib/api/helpers.rb check_unmodified_since!): an `If-Unmodified-Since`
 * the record was changed after is 412; a date Time.parse cannot read is ignored.
 */
export function checkUnmodifiedSince(request: Request, updatedAt: number | null): void {
  const header = request.headers.get('If-Unmodified-Since')
  if (!header || updatedAt === null) return
  const since = Date.parse(header)
  if (!Number.isNaN(since) && updatedAt > since) throw ApiError.withMessage(412, '412 Precondition Failed')
}
