import { extractCoverage } from '../ci/coverage'
import { traceKey } from '../blob/keys'
import type { JobChanges, JobRow } from '../db/jobs'
import type { Env } from '../env'
import { concatBytes } from '../bytes'
import { insertTraceArtifactStatement } from '../db/artifacts'
import type { ObjectClock } from './clock'

/**
 * The live log of a running job, kept in its Durable Object's SQLite storage as appended chunks.
 * Appends are offset-checked (GitLab's rule: `start` must equal the stored length), so a chunk
 * re-sent by a runner is never stored twice and no byte is lost.
 */
export class LiveTrace {
  /** Readers (the event-stream extension) waiting for the next append or for the end. */
  private waiters: Array<() => void> = []
  /** When a reader last asked for more: the log counts as watched for a while after. */
  private lastWatchedAt = 0

  constructor(
    private readonly sql: SqlStorage,
    private readonly clock: ObjectClock,
  ) {
    sql.exec('CREATE TABLE IF NOT EXISTS trace_chunks (offset INTEGER PRIMARY KEY, data BLOB NOT NULL)')
    sql.exec('CREATE TABLE IF NOT EXISTS trace_state (closed INTEGER NOT NULL)')
  }

  /** The job finished and its log was archived: no more appends, and waiting readers wake. */
  close(): void {
    if (!this.isClosed()) this.sql.exec('INSERT INTO trace_state (closed) VALUES (1)')
    this.wake()
  }

  isClosed(): boolean {
    return this.sql.exec('SELECT 1 FROM trace_state LIMIT 1').toArray().length > 0
  }

  /** Someone followed the live log within the last `withinMs` (GitLab's "being watched"). */
  isWatched(now: number, withinMs = 30_000): boolean {
    return this.waiters.length > 0 || now - this.lastWatchedAt < withinMs
  }

  /** Resolves on the next append or close, or after `timeoutMs`. */
  waitForChange(timeoutMs: number): Promise<void> {
    this.lastWatchedAt = this.clock.now()
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs)
      this.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }

  length(): number {
    const row = this.sql.exec<{ len: number }>('SELECT COALESCE(MAX(offset + length(data)), 0) AS len FROM trace_chunks').one()
    return row.len
  }

  /** Appends at `start`; the new length, or undefined when `start` is not the current length or the log is closed. */
  append(start: number, bytes: Uint8Array): number | undefined {
    const current = this.length()
    if (start !== current || this.isClosed()) return undefined
    if (bytes.byteLength > 0) {
      this.sql.exec('INSERT INTO trace_chunks (offset, data) VALUES (?, ?)', start, bytes)
      this.wake()
    }
    return current + bytes.byteLength
  }

  /** Bytes [offset, offset + limit) of the log. */
  read(offset = 0, limit = Number.MAX_SAFE_INTEGER): Uint8Array {
    const end = offset + limit
    const rows = this.sql
      .exec<{ offset: number; data: ArrayBuffer }>(
        'SELECT offset, data FROM trace_chunks WHERE offset + length(data) > ? AND offset < ? ORDER BY offset',
        offset,
        end,
      )
      .toArray()
    const parts: Uint8Array[] = []
    let total = 0
    for (const row of rows) {
      const data = new Uint8Array(row.data)
      const from = Math.max(0, offset - row.offset)
      const to = Math.min(data.byteLength, end - row.offset)
      const part = data.subarray(from, to)
      parts.push(part)
      total += part.byteLength
    }
    return concatBytes(parts, total)
  }

  clear(): void {
    this.sql.exec('DELETE FROM trace_chunks')
  }
}

/**
 * Finishing a build: the live log is archived to R2 as one object (before the row says so), its
 * artifact row is written in the same batch as the status (only if the guarded update before it
 * matched), coverage is extracted, and the job token stops working.
 */
export async function archiveTraceWrites(
  env: Env,
  trace: LiveTrace,
  row: JobRow,
  now: number,
): Promise<{ changes: JobChanges; statements: D1PreparedStatement[] }> {
  const changes: JobChanges = { token_digest: null }
  const length = trace.length()
  if (length === 0 || row.trace_archived === 1) return { changes, statements: [] }
  const log = trace.read()
  await env.BLOBS.put(traceKey(row.id), log)
  changes.trace_archived = 1
  changes.trace_size = length
  if (row.coverage_regex) changes.coverage = extractCoverage(new TextDecoder().decode(log), row.coverage_regex)
  const statement = insertTraceArtifactStatement(env.DB, { jobId: row.id, projectId: row.project_id, size: length, blobKey: traceKey(row.id), now })
  return { changes, statements: [statement] }
}
