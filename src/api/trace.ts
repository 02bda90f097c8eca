import * as v from 'valibot'
import type { Env } from '../env'
import { loadProject, parseAfterAuthentication, type AuthRequest } from '../auth/access'
import { authorize, can } from '../auth/policy'
import type { Variable } from '../ci/types'
import { traceKey } from '../blob/keys'
import type { JobViewRow } from '../db/job-views'
import { jobPipelineVariablesStatement, projectJobStatement } from '../db/job-lists'
import { debugVariablesStatement } from '../db/ci-variables'
import { open, openList } from '../auth/secret-box'
import { readPipelineVariables } from '../services/pipeline-variables'
import { ApiError } from '../http/errors'
import { Int, IntIn, Str } from '../http/param-types'
import { validate } from '../http/params'
import { jobObject } from '../objects/stubs'
import { streamTrace, wantsEventStream } from './trace-stream'
import type { ApiContext } from './context'

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
export async function trace(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = await parseAfterAuthentication(c, () => validate(TraceParams, raw))
  const row = await authorizeTrace(c, params)
  const headers = {
    'Content-Type': 'text/plain',
    'Content-Disposition': `infile; filename="${row.id}.log"`,
  }
  if (wantsEventStream(c.request)) {
    // The same checks again, periodically, for as long as the stream stays open.
    const stillAllowed = () => authorizeTrace(c.recheck(), params).then(() => true)
    return streamTrace(c, row, stillAllowed)
  }
  const offset = params.byte_offset ?? 0
  const limit = params.byte_limit
  if (row.erased_at) return new Response('', { headers })
  if (row.trace_archived === 1) {
    if (offset >= row.trace_size) return new Response('', { headers })
    const length = Math.min(limit ?? row.trace_size - offset, row.trace_size - offset)
    const object = await c.env.BLOBS.get(traceKey(row.id), { range: { offset, length } })
    return new Response(object?.body ?? '', { headers })
  }
  return new Response(liveTrace(c.env, row.id, offset, limit), { headers })
}

/** The job whose log the caller may read (read_build, and read_build_trace for debug logs). */
async function authorizeTrace(c: AuthRequest, params: v.InferOutput<typeof TraceParams>): Promise<JobViewRow> {
  const ctx = await loadProject<[JobViewRow, { variables: string }, Variable]>(c, params.id, (project) => [
    projectJobStatement(c.env.DB, project, params.job_id),
    jobPipelineVariablesStatement(c.env.DB, project, params.job_id),
    debugVariablesStatement(c.env.DB, project),
  ])
  authorize(ctx.access, 'read_build')
  const row = ctx.results[0].results[0]
  if (!row || row.type !== 'build') throw ApiError.notFound()
  // read_build_trace: a debug-mode log may hold secrets, only users who can update builds read it.
  const pipelineVariables = ctx.results[1].results[0]?.variables ?? '[]'
  if (await debugMode(c.env, row, pipelineVariables, ctx.results[2].results)) authorize(ctx.access, 'update_build')
  return row
}

/** Live logs are read from the job's object in slices, so a large log is never held whole. */
const LIVE_SLICE = 1024 * 1024

function liveTrace(env: Env, jobId: number, offset: number, limit: number | undefined): ReadableStream<Uint8Array> {
  let position = offset
  let remaining = limit ?? Number.MAX_SAFE_INTEGER
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const size = Math.min(LIVE_SLICE, remaining)
      const bytes = size > 0 ? await jobObject(env, jobId).readTrace(position, size) : new Uint8Array(0)
      if (bytes.byteLength > 0) controller.enqueue(bytes)
      position += bytes.byteLength
      remaining -= bytes.byteLength
      if (bytes.byteLength < size || remaining <= 0) controller.close()
    },
  })
}

/**
 * Ci::Build#debug_mode?: the runner enabled debug trace (metadata.debug_trace_enabled?), or
 * CI_DEBUG_SERVICES or CI_DEBUG_TRACE is true (Gitlab::Utils.to_boolean) in the job's effective
 * variables, where pipeline variables override YAML ones and variables given on play override both.
 * A project or instance variable that turns it on counts whatever its scope or protection (the
 * stricter reading: such a log is kept from those who may not update builds).
 */
async function debugMode(env: Env, row: JobViewRow, pipelineVariables: string, stored: Variable[]): Promise<boolean> {
  if (row.debug_trace_enabled === 1) return true
  for (const item of stored) {
    if (toBoolean(await open(env, item.value))) return true
  }
  const effective = new Map<string, unknown>()
  const lists = [
    await openList<Variable>(env, row.yaml_variables),
    await readPipelineVariables(env, { variables: pipelineVariables }),
    await openList<Variable>(env, row.job_variables),
  ]
  for (const list of lists) {
    for (const item of list) if (item && typeof item.key === 'string') effective.set(item.key, item.value)
  }
  return toBoolean(effective.get('CI_DEBUG_SERVICES')) || toBoolean(effective.get('CI_DEBUG_TRACE'))
}

/** Gitlab::Utils.to_boolean(value, default: false); Ruby's `^`/`$` match at any line. */
function toBoolean(value: unknown): boolean {
  if (value === true || value === 1) return true
  return typeof value === 'string' && /^(true|t|yes|y|1|on)$/im.test(value)
}
