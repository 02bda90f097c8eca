import * as v from 'valibot'
import type { Env } from '../env'
import { extractCredential } from '../auth/credentials'
import { can } from '../auth/policy'
import type { Variable } from '../ci/types'
import { traceKey } from '../blob/keys'
import type { JobViewRow } from '../db/job-views'
import { ApiError } from '../http/errors'
import { Int, IntIn, Str } from '../http/param-types'
import { validate } from '../http/params'
import { jobObject } from '../objects/JobObject'
import { loadBuild } from './jobs'
import { streamTrace, wantsEventStream } from './trace-stream'
import { paramsOf, type ApiRequest } from './request'

/** Gitlab::Ci::Trace::Stream::LIMIT_SIZE */
export const TRACE_BYTE_LIMIT = 500 * 1024

const TraceParams = v.looseObject({
  id: Str,
  job_id: Int,
  byte_offset: v.optional(IntIn(0)),
  byte_limit: v.optional(IntIn(1, TRACE_BYTE_LIMIT)),
})

/**
 * GET /projects/:id/jobs/:job_id/trace — the raw log. An archived log streams from R2 (never read
 * whole into memory); a running job's log comes from its Durable Object. No log → empty 200.
 */
export async function trace(request: ApiRequest, env: Env, execution: ExecutionContext): Promise<Response> {
  const raw = await paramsOf(request, env)
  if (extractCredential(request, raw, false).kind === 'none') throw ApiError.unauthorized()
  const params = validate(TraceParams, raw)
  const { ctx, row } = await loadBuild(request, env, raw, params.job_id, params.id)
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  if (!row) throw ApiError.notFound()
  // Debug-mode logs may hold secrets: only users who can update builds read them.
  if (debugTrace(row) && !can(ctx.access, 'update_build')) throw ApiError.forbidden()
  const headers = {
    'Content-Type': 'text/plain',
    'Content-Disposition': `infile; filename="${row.id}.log"`,
  }
  if (wantsEventStream(request)) return streamTrace(request, env, row, execution)
  const offset = params.byte_offset ?? 0
  const limit = params.byte_limit
  if (row.erased_at) return new Response('', { headers })
  if (row.trace_archived === 1) {
    if (offset >= row.trace_size) return new Response('', { headers })
    const length = Math.min(limit ?? row.trace_size - offset, row.trace_size - offset)
    const object = await env.BLOBS.get(traceKey(row.id), { range: { offset, length } })
    return new Response(object?.body ?? '', { headers })
  }
  const bytes = await jobObject(env, row.id).readTrace(offset, limit)
  return new Response(bytes, { headers })
}

function debugTrace(row: JobViewRow): boolean {
  const variables = [...(JSON.parse(row.yaml_variables) as Variable[]), ...(JSON.parse(row.job_variables) as Variable[])]
  return variables.some((item) => (item.key === 'CI_DEBUG_TRACE' || item.key === 'CI_DEBUG_SERVICES') && item.value === 'true')
}
