import { parseCommit, serializeCommit } from '../../src/git/commit'
import type { ObjectSink } from '../../src/git/ingest'
import { hashObject, type ObjectType } from '../../src/git/oid'
import type { CommitNode, ObjectStore } from '../../src/git/store'
import { serializeTree, type TreeEntry } from '../../src/git/tree'
import { deflateBytes, inflateBytes } from '../../src/git/zlib'

/** An in-memory repository for the pure git code's tests (the Durable Object's store in miniature). */
export class MemoryStore implements ObjectStore, ObjectSink {
  objects = new Map<string, { type: ObjectType; compressed: Uint8Array; size: number }>()

  stat(oid: string) {
    const o = this.objects.get(oid)
    return o ? { type: o.type, size: o.size } : null
  }
  read(oid: string) {
    const o = this.objects.get(oid)
    return o ? { type: o.type, data: inflateBytes(o.compressed) } : null
  }
  readCompressed(oid: string) {
    return this.objects.get(oid) ?? null
  }
  commit(oid: string): CommitNode | null {
    const o = this.read(oid)
    if (o?.type !== 'commit') return null
    const c = parseCommit(o.data)
    return { tree: c.tree, parents: c.parents, time: c.committer.time }
  }
  has(oid: string) {
    return this.objects.has(oid)
  }
  put(oid: string, type: ObjectType, data: Uint8Array, compressed: Uint8Array) {
    this.objects.set(oid, { type, compressed, size: data.length })
  }
  flush() {}

  async add(type: ObjectType, data: Uint8Array | string): Promise<string> {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
    const oid = await hashObject(type, bytes)
    this.put(oid, type, bytes, deflateBytes(bytes))
    return oid
  }

  async tree(entries: TreeEntry[]): Promise<string> {
    return this.add('tree', serializeTree(entries))
  }

  /** A commit of one file `f.txt` with `content`, on `parents`. */
  async commitWith(content: string, parents: string[], time = 1_700_000_000_000): Promise<string> {
    const blob = await this.add('blob', content)
    const tree = await this.tree([{ mode: '100644', name: 'f.txt', oid: blob }])
    const who = { name: 'T', email: 't@example.com', time, timezone: '+0000' }
    return this.add('commit', serializeCommit({ tree, parents, author: who, committer: who, message: `${content}\n` }))
  }

  async history(length: number): Promise<string[]> {
    const out: string[] = []
    for (let i = 0; i < length; i++) out.push(await this.commitWith(`c${i}`, out.length ? [out[out.length - 1]] : [], 1_700_000_000_000 + i * 1000))
    return out
  }
}
