import type { ObjectType } from './oid'

/**
 * What the protocol code needs from a repository's storage. Synchronous: the store lives in a
 * Durable Object whose SQLite calls do not await, so a walk sees one consistent state.
 */
export interface StoredObject {
  type: ObjectType
  size: number
}

export interface CommitNode {
  tree: string
  parents: string[]
  /** committer time, ms */
  time: number
}

export interface ObjectStore {
  /** type and size of a visible object, or null */
  stat(oid: string): StoredObject | null
  /** the inflated content of a visible object, or null */
  read(oid: string): { type: ObjectType; data: Uint8Array } | null
  /** the stored zlib stream of an object (for writing packs without recompressing) */
  readCompressed(oid: string): { type: ObjectType; size: number; compressed: Uint8Array } | null
  /** a commit's tree, parents and time, or null when `oid` is not a commit */
  commit(oid: string): CommitNode | null
}

export interface Ref {
  name: string
  oid: string
}
