import { concatBytes } from '../http/body'

/**
 * The live log of a running job, kept in its Durable Object's SQLite storage as appended chunks.
 * Appends are offset-checked (GitLab's rule: `start` must equal the stored length), so a chunk
 * re-sent by a runner is never stored twice and no byte is lost.
 */
export class LiveTrace {
  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS trace_chunks (offset INTEGER PRIMARY KEY, data BLOB NOT NULL)')
  }

  length(): number {
    const row = this.sql.exec<{ len: number }>('SELECT COALESCE(MAX(offset + length(data)), 0) AS len FROM trace_chunks').one()
    return row.len
  }

  /** Appends at `start`; returns the new length, or undefined when `start` is not the current length. */
  append(start: number, bytes: Uint8Array): number | undefined {
    const current = this.length()
    if (start !== current) return undefined
    if (bytes.byteLength > 0) this.sql.exec('INSERT INTO trace_chunks (offset, data) VALUES (?, ?)', start, bytes)
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
