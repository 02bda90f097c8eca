import type { Env } from '../env'
import type { ApiContext } from './context'
import { ApiError } from '../http/errors'
import { traceKey } from '../blob/keys'
import type { JobViewRow } from '../db/job-views'
import { jobObject } from '../objects/stubs'

/**
 * edgejobs extension: `GET /projects/:id/jobs/:job_id/trace` with `Accept: text/event-stream`
 * streams the log as Server-Sent Events while the job runs: `event: log` carries new text (its
 * `id:` is the byte offset after it, so `Last-Event-ID` resumes), `event: end` closes the stream
 * when the job has finished. The job's Durable Object wakes the stream on each append.
 *
 * Every event's data is ONE line holding a JSON value: the log text as a JSON string for `log`
 * (`JSON.parse(event.data)` gives it back exactly). JSON escapes `\r` and `\n`, the only line
 * ends an EventSource knows, so no log text can end a line, start a field or forge an event.
 *
 * The caller's access is checked again every `LIVE_LOG_RECHECK_SECONDS` (default 30): a revoked
 * token, a blocked user or a removed member ends the stream with `event: error` within that
 * bound (plus one D1 round trip).
 */
const WAIT_MS = 20_000
const MAX_STREAM_MS = 15 * 60_000
const ARCHIVE_SLICE = 256 * 1024

/** Whether the caller may still read the log; false (or a throw) ends the stream. */
export type AccessCheck = () => Promise<boolean>

export function wantsEventStream(request: Request): boolean {
  return (request.headers.get('Accept') ?? '').includes('text/event-stream')
}

export function streamTrace(c: ApiContext, row: JobViewRow, stillAllowed: AccessCheck): Response {
  const start = Number(c.request.headers.get('Last-Event-ID') ?? '0')
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
  const from = Number.isSafeInteger(start) && start > 0 ? start : 0
  c.execution.waitUntil(pump(c.env, row, from, writable.getWriter(), stillAllowed, c.config.liveLogRecheckMs))
  return new Response(readable, {
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' },
  })
}

class AccessEnded extends Error {}

async function pump(
  env: Env,
  row: JobViewRow,
  start: number,
  writer: WritableStreamDefaultWriter<Uint8Array>,
  stillAllowed: AccessCheck,
  interval: number,
): Promise<void> {
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  const send = (text: string) => writer.write(encoder.encode(text))
  let nextCheck = Date.now() + interval
  /** Ends the stream (AccessEnded) once the caller's access is gone; checks at most once per interval. */
  const checkAccess = async () => {
    if (Date.now() < nextCheck) return
    const allowed = await stillAllowed().catch(() => false)
    if (!allowed) throw new AccessEnded()
    nextCheck = Date.now() + interval
  }
  let offset = start
  const deadline = Date.now() + MAX_STREAM_MS
  try {
    let finished = row.trace_archived === 1 || row.erased_at !== null
    while (!finished && Date.now() < deadline) {
      // Never wait past the next access check, so revocation is noticed within one interval.
      const wait = Math.max(1, Math.min(WAIT_MS, nextCheck - Date.now()))
      const next = await jobObject(env, row.id).waitForTrace(row.id, offset, wait)
      await checkAccess()
      if (next.bytes.byteLength > 0) {
        offset += next.bytes.byteLength
        await send(event('log', decoder.decode(next.bytes, { stream: true }), offset))
      } else {
        await send(': keep-alive\n\n')
      }
      finished = next.archived
    }
    if (row.erased_at === null) offset = await sendArchivedRest(env, row.id, offset, decoder, send, checkAccess)
    await send(event('end', decoder.decode(), offset))
  } catch (error) {
    if (error instanceof AccessEnded) await send(event('error', ApiError.unauthorized().body, offset)).catch(() => undefined)
    // otherwise the client went away
  } finally {
    await writer.close().catch(() => undefined)
  }
}

/** After the job ends, what the stream has not sent yet is read from the archived log in R2, in slices. */
async function sendArchivedRest(
  env: Env,
  jobId: number,
  offset: number,
  decoder: TextDecoder,
  send: (text: string) => Promise<void>,
  checkAccess: () => Promise<void>,
): Promise<number> {
  const head = await env.BLOBS.head(traceKey(jobId))
  while (head && offset < head.size) {
    await checkAccess()
    const length = Math.min(ARCHIVE_SLICE, head.size - offset)
    const object = await env.BLOBS.get(traceKey(jobId), { range: { offset, length } })
    if (!object) break
    const bytes = new Uint8Array(await object.arrayBuffer())
    offset += bytes.byteLength
    await send(event('log', decoder.decode(bytes, { stream: true }), offset))
  }
  return offset
}

/**
 * One SSE event with a single `data:` line holding `value` as JSON. JSON.stringify escapes every
 * control character (`\r`, `\n` included), and U+2028/U+2029 are not SSE line ends, so the line
 * cannot be split whatever the log contains.
 */
export function event(name: string, value: unknown, id: number): string {
  return `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(value)}\n\n`
}
