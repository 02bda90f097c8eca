import { parseCommit } from '../git/commit'
import type { ObjectSink } from '../git/ingest'
import { TYPE_CODES, TYPE_NAMES, type ObjectType } from '../git/oid'
import type { CommitNode, ObjectStore, Ref, StoredObject } from '../git/store'
import { inflateBytes } from '../git/zlib'

/**
 * A repository in a Durable Object's SQLite: objects as zlib streams (as they travel in packs,
 * so a clone copies them out without recompressing), split in 1 MiB chunks (SQLite values are
 * capped at 2 MB); a commit graph (tree, parents, time) so walks read no commit objects; the
 * refs. Objects of a push in progress are `pending`: invisible to readers until the push's ref
 * updates publish them in the same transaction, deleted if it fails.
 */
const CHUNK = 1024 * 1024

export const REPO_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS objects (oid TEXT PRIMARY KEY, type INTEGER NOT NULL, size INTEGER NOT NULL,
     chunks INTEGER NOT NULL, pending INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS object_chunks (oid TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL,
     PRIMARY KEY (oid, seq)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS commit_graph (oid TEXT PRIMARY KEY, tree TEXT NOT NULL, parents TEXT NOT NULL,
     time INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS refs (name TEXT PRIMARY KEY, oid TEXT NOT NULL) WITHOUT ROWID`,
  `CREATE INDEX IF NOT EXISTS objects_pending ON objects (pending) WHERE pending = 1`,
]

/** A push's objects are written in transactions of about this many bytes (not one per object). */
const WRITE_BATCH_BYTES = 8 * 1024 * 1024
const WRITE_BATCH_OBJECTS = 2000

export class SqlRepoStore implements ObjectStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly transaction: (fn: () => void) => void,
  ) {}

  migrate(): void {
    for (const statement of REPO_SCHEMA) this.sql.exec(statement)
    this.discardPending()
  }

  stat(oid: string, withPending = false): StoredObject | null {
    const row = this.sql
      .exec<{ type: number; size: number }>(`SELECT type, size FROM objects WHERE oid = ? ${withPending ? '' : 'AND pending = 0'}`, oid)
      .toArray()[0]
    return row ? { type: TYPE_NAMES[row.type], size: row.size } : null
  }

  readCompressed(oid: string, withPending = false): { type: ObjectType; size: number; compressed: Uint8Array } | null {
    const row = this.sql
      .exec<{ type: number; size: number; chunks: number }>(
        `SELECT type, size, chunks FROM objects WHERE oid = ? ${withPending ? '' : 'AND pending = 0'}`, oid,
      )
      .toArray()[0]
    if (!row) return null
    const parts = this.sql.exec<{ data: ArrayBuffer }>('SELECT data FROM object_chunks WHERE oid = ? ORDER BY seq', oid).toArray()
    let compressed: Uint8Array
    if (parts.length === 1) compressed = new Uint8Array(parts[0].data)
    else {
      compressed = new Uint8Array(parts.reduce((n, p) => n + p.data.byteLength, 0))
      let at = 0
      for (const p of parts) {
        compressed.set(new Uint8Array(p.data), at)
        at += p.data.byteLength
      }
    }
    return { type: TYPE_NAMES[row.type], size: row.size, compressed }
  }

  read(oid: string, withPending = false): { type: ObjectType; data: Uint8Array } | null {
    const raw = this.readCompressed(oid, withPending)
    if (!raw) return null
    return { type: raw.type, data: inflateBytes(raw.compressed) }
  }

  commit(oid: string): CommitNode | null {
    const row = this.sql
      .exec<{ tree: string; parents: string; time: number }>(
        'SELECT g.tree, g.parents, g.time FROM commit_graph g JOIN objects o ON o.oid = g.oid AND o.pending = 0 WHERE g.oid = ?', oid,
      )
      .toArray()[0]
    return row ? { tree: row.tree, parents: row.parents ? row.parents.split(' ') : [], time: row.time } : null
  }

  /** Adds an object (pending unless `publish`); an object already present is left as it is. */
  put(oid: string, type: ObjectType, data: Uint8Array, compressed: Uint8Array, publish = false): void {
    if (this.sql.exec('SELECT 1 FROM objects WHERE oid = ?', oid).toArray().length > 0) return
    const chunks = Math.max(1, Math.ceil(compressed.byteLength / CHUNK))
    this.sql.exec('INSERT INTO objects (oid, type, size, chunks, pending) VALUES (?, ?, ?, ?, ?)', oid, TYPE_CODES[type], data.byteLength, chunks, publish ? 0 : 1)
    for (let seq = 0; seq < chunks; seq++) {
      this.sql.exec('INSERT INTO object_chunks (oid, seq, data) VALUES (?, ?, ?)', oid, seq, compressed.subarray(seq * CHUNK, (seq + 1) * CHUNK))
    }
    if (type === 'commit') {
      const commit = parseCommit(data)
      this.sql.exec(
        'INSERT OR REPLACE INTO commit_graph (oid, tree, parents, time) VALUES (?, ?, ?, ?)',
        oid, commit.tree, commit.parents.join(' '), commit.committer.time,
      )
    }
  }

  /** The push's objects become visible (call inside the transaction that updates the refs). */
  publishPending(): void {
    this.sql.exec('UPDATE objects SET pending = 0 WHERE pending = 1')
  }

  discardPending(): void {
    this.sql.exec('DELETE FROM commit_graph WHERE oid IN (SELECT oid FROM objects WHERE pending = 1)')
    this.sql.exec('DELETE FROM object_chunks WHERE oid IN (SELECT oid FROM objects WHERE pending = 1)')
    this.sql.exec('DELETE FROM objects WHERE pending = 1')
  }

  /**
   * The sink a push writes into: it sees its own pending objects. Objects are queued and written
   * in batches, one transaction each, instead of one storage commit per object.
   */
  pendingSink(): ObjectSink {
    const queue = new Map<string, { type: ObjectType; data: Uint8Array; compressed: Uint8Array }>()
    let bytes = 0
    const flush = () => {
      if (queue.size === 0) return
      this.transaction(() => {
        for (const [oid, o] of queue) this.put(oid, o.type, o.data, o.compressed)
      })
      queue.clear()
      bytes = 0
    }
    return {
      read: (oid) => {
        const queued = queue.get(oid)
        return queued ? { type: queued.type, data: queued.data } : this.read(oid, true)
      },
      has: (oid) => queue.has(oid) || this.stat(oid, true) !== null,
      put: (oid, type, data, compressed) => {
        if (queue.has(oid)) return
        queue.set(oid, { type, data, compressed })
        bytes += data.byteLength + compressed.byteLength
        if (bytes >= WRITE_BATCH_BYTES || queue.size >= WRITE_BATCH_OBJECTS) flush()
      },
      flush,
    }
  }

  refs(): Ref[] {
    return this.sql.exec<{ name: string; oid: string }>('SELECT name, oid FROM refs ORDER BY name').toArray().map((r) => ({ name: r.name, oid: r.oid }))
  }

  ref(name: string): string | null {
    return this.sql.exec<{ oid: string }>('SELECT oid FROM refs WHERE name = ?', name).toArray()[0]?.oid ?? null
  }

  setRef(name: string, oid: string | null): void {
    if (oid === null) this.sql.exec('DELETE FROM refs WHERE name = ?', name)
    else this.sql.exec('INSERT INTO refs (name, oid) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET oid = excluded.oid', name, oid)
  }

  /** The one visible object whose id starts with `prefix` (4–40 hex digits), or null (none or ambiguous). */
  findByPrefix(prefix: string): string | null {
    if (!/^[0-9a-f]{4,40}$/.test(prefix)) return null
    const rows = this.sql
      .exec<{ oid: string }>("SELECT oid FROM objects WHERE oid >= ? AND oid < ? AND pending = 0 LIMIT 2", prefix, `${prefix}g`)
      .toArray()
    return rows.length === 1 ? rows[0].oid : null
  }

  objectCount(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM objects').one().n
  }
}
