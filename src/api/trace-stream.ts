import type { Env } from '../env'
import { traceKey } from '../blob/keys'
import type { JobViewRow } from '../db/job-views'
import { jobObject } from '../objects/JobObject'

/**
 * edgejobs extension: `GET /projects/:id/jobs/:job_id/trace` with `Accept: text/event-stream`
 * streams the log as Server-Sent Events while the job runs: `event: log` carries new text (its
 * `id:` is the byte offset after it, so `Last-Event-ID` resumes), `event: end` closes the stream
 * when the job has finished. The job's Durable Object wakes the stream on each append.
 */
const WAIT_MS = 20_000
const MAX_STREAM_MS = 15 * 60_000
const ARCHIVE_SLICE = 256 * 1024

export function wantsEventStream(request: Request): boolean {
  return (request.headers.get('Accept') ?? '').includes('text/event-stream')
}

export function streamTrace(request: Request, env: Env, row: JobViewRow, ctx: ExecutionContext): Response {
  const start = Number(request.headers.get('Last-Event-ID') ?? '0')
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>()
  ctx.waitUntil(pump(env, row, Number.isSafeInteger(start) && start > 0 ? start : 0, writable.getWriter()))
  return new Response(readable, {
    headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' },
  })
}

async function pump(env: Env, row: JobViewRow, start: number, writer: WritableStreamDefaultWriter<Uint8Array>): Promise<void> {
  const encoder = new TextEncoder()
  const decoder = new TextDecoder()
  const send = (text: string) => writer.write(encoder.encode(text))
  let offset = start
  const deadline = Date.now() + MAX_STREAM_MS
  try {
    let finished = row.trace_archived === 1 || row.erased_at !== null
    while (!finished && Date.now() < deadline) {
      const next = await jobObject(env, row.id).waitForTrace(row.id, offset, WAIT_MS)
      if (next.bytes.byteLength > 0) {
        offset += next.bytes.byteLength
        await send(event('log', decoder.decode(next.bytes, { stream: true }), offset))
      } else {
        await send(': keep-alive\n\n')
      }
      finished = next.archived
    }
    if (row.erased_at === null) offset = await sendArchivedRest(env, row.id, offset, decoder, send)
    await send(event('end', decoder.decode(), offset))
  } catch {
    // the client went away
  } finally {
    await writer.close().catch(() => undefined)
  }
}

/** After the job ends, what the stream has not sent yet is read from the archived log in R2, in slices. */
async function sendArchivedRest(env: Env, jobId: number, offset: number, decoder: TextDecoder, send: (text: string) => Promise<void>): Promise<number> {
  const head = await env.BLOBS.head(traceKey(jobId))
  while (head && offset < head.size) {
    const length = Math.min(ARCHIVE_SLICE, head.size - offset)
    const object = await env.BLOBS.get(traceKey(jobId), { range: { offset, length } })
    if (!object) break
    const bytes = new Uint8Array(await object.arrayBuffer())
    offset += bytes.byteLength
    await send(event('log', decoder.decode(bytes, { stream: true }), offset))
  }
  return offset
}

/** One SSE event; each line of the text becomes a `data:` line (the client joins them with \n). */
function event(name: string, text: string, id: number): string {
  const data = text.split('\n').map((line) => `data: ${line}`).join('\n')
  return `event: ${name}\nid: ${id}\n${data}\n\n`
}
