import type { ByteReader } from './byte-reader'
import { parseCommit } from './commit'
import { applyDelta, deltaResultSize } from './delta'
import { GitError } from './errors'
import { hashObject, type ObjectType } from './oid'
import { readPack, type PackLimits } from './pack-reader'
import { parseTag } from './tag'
import { parseTree } from './tree'
import { deflateBytes } from './zlib'

/**
 * Stores the objects of a received pack, resolving deltas against objects earlier in the pack
 * or already stored (thin packs), one object in memory at a time. Objects go in as *pending*
 * (the sink's business); the caller publishes or discards them once the refs are decided.
 * After the pack, every new object's references must exist: a push can never leave a ref
 * pointing into missing history.
 */
export interface ObjectSink {
  /** a visible or pending object */
  read(oid: string): { type: ObjectType; data: Uint8Array } | null
  has(oid: string): boolean
  put(oid: string, type: ObjectType, data: Uint8Array, compressed: Uint8Array): void
  /** writes whatever `put` still buffers */
  flush(): void
}

export interface IngestLimits extends PackLimits {
  /** memory held for deltas whose base comes later in the pack */
  maxDeferredBytes: number
}

interface Deferred {
  offset: number
  base: { offset: number } | { oid: string }
  data: Uint8Array
}

export async function ingestPack(reader: ByteReader, sink: ObjectSink, limits: IngestLimits): Promise<{ objects: number }> {
  const byOffset = new Map<number, { oid: string; type: ObjectType }>()
  const referenced = new Set<string>()
  const cache = new ObjectCache(8 * 1024 * 1024)
  const deferred: Deferred[] = []
  let deferredBytes = 0

  const store = async (offset: number, type: ObjectType, data: Uint8Array, compressed: Uint8Array | null) => {
    const oid = await hashObject(type, data)
    byOffset.set(offset, { oid, type })
    if (!sink.has(oid)) {
      collectReferences(type, data, referenced)
      sink.put(oid, type, data, compressed ?? deflateBytes(data))
    }
    cache.set(oid, type, data)
  }
  const baseOf = (base: Deferred['base']): { type: ObjectType; data: Uint8Array } | null => {
    const oid = 'oid' in base ? base.oid : byOffset.get(base.offset)?.oid
    if (!oid) return null
    return cache.get(oid) ?? sink.read(oid)
  }
  const resolve = async (entry: Deferred): Promise<boolean> => {
    const base = baseOf(entry.base)
    if (!base) return false
    const { resultSize } = deltaResultSize(entry.data)
    if (resultSize > limits.maxObjectBytes) throw new GitError(`object of ${resultSize} bytes is larger than the ${limits.maxObjectBytes} bytes allowed`)
    await store(entry.offset, base.type, applyDelta(base.data, entry.data), null)
    return true
  }

  const entries = readPack(reader, limits)
  let count = 0
  for (;;) {
    const next = await entries.next()
    if (next.done) {
      count = next.value.count
      break
    }
    const entry = next.value
    if (entry.kind === 'base') {
      await store(entry.offset, entry.type, entry.data, entry.compressed)
      continue
    }
    const item: Deferred = {
      offset: entry.offset,
      base: entry.kind === 'ofs-delta' ? { offset: entry.baseOffset } : { oid: entry.baseOid },
      data: entry.data,
    }
    if (!(await resolve(item))) {
      deferredBytes += item.data.length
      if (deferredBytes > limits.maxDeferredBytes) throw new GitError('too many deltas whose base is not yet known')
      deferred.push(item)
    }
  }
  // Deltas whose base came later in the pack (REF_DELTA without ofs-delta), in as many rounds as
  // their chains need.
  let pending = deferred
  while (pending.length > 0) {
    const left: Deferred[] = []
    for (const item of pending) if (!(await resolve(item))) left.push(item)
    if (left.length === pending.length) {
      const first = left[0].base
      throw new GitError(`missing delta base ${'oid' in first ? first.oid : `at offset ${first.offset}`}`)
    }
    pending = left
  }
  for (const oid of referenced) {
    if (!sink.has(oid)) throw new GitError(`missing necessary objects (${oid})`)
  }
  sink.flush()
  return { objects: count }
}

/** The ids a commit, tree or tag refers to (submodule commits excluded: they live elsewhere). */
function collectReferences(type: ObjectType, data: Uint8Array, into: Set<string>): void {
  if (type === 'commit') {
    const commit = parseCommit(data)
    into.add(commit.tree)
    for (const parent of commit.parents) into.add(parent)
  } else if (type === 'tree') {
    for (const entry of parseTree(data)) if (entry.mode !== '160000') into.add(entry.oid)
  } else if (type === 'tag') {
    into.add(parseTag(data).object)
  }
}

/** Recently stored objects, as delta bases (chains resolve without re-reading storage). */
class ObjectCache {
  private entries = new Map<string, { type: ObjectType; data: Uint8Array }>()
  private bytes = 0

  constructor(private readonly maxBytes: number) {}

  get(oid: string): { type: ObjectType; data: Uint8Array } | null {
    const hit = this.entries.get(oid)
    if (!hit) return null
    this.entries.delete(oid)
    this.entries.set(oid, hit)
    return hit
  }

  set(oid: string, type: ObjectType, data: Uint8Array): void {
    if (data.length > this.maxBytes / 4 || this.entries.has(oid)) return
    this.entries.set(oid, { type, data })
    this.bytes += data.length
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break
      this.entries.delete(key)
      this.bytes -= value.data.length
    }
  }
}
