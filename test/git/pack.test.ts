import { describe, expect, it } from 'vitest'
import { ByteReader } from '../../src/git/byte-reader'
import { ingestPack } from '../../src/git/ingest'
import { fromHex } from '../../src/git/oid'
import { packHeader, writePack } from '../../src/git/pack-writer'
import { planFetch } from '../../src/git/walk'
import { deflateBytes } from '../../src/git/zlib'
import { MemoryStore } from './memory-store'

const LIMITS = { maxObjectBytes: 1024 * 1024, maxObjects: 1000, maxDeferredBytes: 1024 * 1024 }
const enc = new TextEncoder()

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const c of chunks) parts.push(c)
  return new Uint8Array(await new Blob(parts).arrayBuffer())
}

async function packOf(store: MemoryStore, oids: string[]): Promise<Uint8Array> {
  return collect(writePack(oids.length, async (i) => store.readCompressed(oids[i])!))
}

/** A pack made by hand: entries (already encoded) plus the SHA-1 trailer. */
async function handPack(entries: Uint8Array[]): Promise<Uint8Array> {
  const body = new Uint8Array(await new Blob([packHeader(entries.length), ...entries]).arrayBuffer())
  const sum = new Uint8Array(await crypto.subtle.digest('SHA-1', body))
  return new Uint8Array([...body, ...sum])
}

function deltaEntry(kind: 'ofs' | 'ref', base: number | string, delta: Uint8Array): Uint8Array {
  const head = [((kind === 'ofs' ? 6 : 7) << 4) | (delta.length & 15)]
  if (delta.length >= 16) throw new Error('keep test deltas small')
  const ref: number[] = []
  if (kind === 'ofs') {
    // Distances below 128 fit one byte.
    ref.push(base as number)
  } else ref.push(...fromHex(base as string))
  return new Uint8Array([...head, ...ref, ...deflateBytes(delta)])
}

function baseEntry(type: number, data: Uint8Array): Uint8Array {
  if (data.length >= 16) throw new Error('keep test objects small')
  return new Uint8Array([(type << 4) | data.length, ...deflateBytes(data)])
}

const ingest = (bytes: Uint8Array, store: MemoryStore, limits = LIMITS) => ingestPack(ByteReader.of(new Blob([bytes]).stream()), store, limits)

describe('packs', () => {
  it('round-trips a history through writePack and ingestPack with the same object ids', async () => {
    const source = new MemoryStore()
    const commits = await source.history(3)
    const all = [...source.objects.keys()]
    const pack = await packOf(source, all)
    const target = new MemoryStore()
    expect(await ingest(pack, target)).toEqual({ objects: all.length })
    expect([...target.objects.keys()].sort()).toEqual(all.sort())
    expect(target.commit(commits[2])!.parents).toEqual([commits[1]])
  })

  it('resolves OFS_DELTA against an earlier entry and REF_DELTA against a stored object (thin pack)', async () => {
    const store = new MemoryStore()
    const baseOid = await store.add('blob', 'hello, world')
    const base = baseEntry(3, enc.encode('hello, world'))
    const ofs = deltaEntry('ofs', base.length, new Uint8Array([12, 11, 0x90, 7, 4, ...enc.encode('moon')]))
    await ingest(await handPack([base, ofs]), store)
    const moon = [...store.objects.keys()].find((oid) => store.read(oid)!.data.length === 11)!
    expect(new TextDecoder().decode(store.read(moon)!.data)).toBe('hello, moon')
    // Thin: the base is not in the pack, only in the store.
    await ingest(await handPack([deltaEntry('ref', baseOid, new Uint8Array([12, 5, 0x90, 5]))]), store)
    expect([...store.objects.values()].some((o) => o.size === 5)).toBe(true)
  })

  it('resolves a REF_DELTA whose base comes later in the pack', async () => {
    const store = new MemoryStore()
    const probe = new MemoryStore()
    const baseOid = await probe.add('blob', 'later base!')
    const pack = await handPack([deltaEntry('ref', baseOid, new Uint8Array([11, 5, 0x90, 5])), baseEntry(3, enc.encode('later base!'))])
    await ingest(pack, store)
    expect(store.objects.size).toBe(2)
  })

  it('refuses corrupt, truncated and over-limit packs and missing bases with a clear error', async () => {
    const source = new MemoryStore()
    await source.history(2)
    const pack = await packOf(source, [...source.objects.keys()])
    await expect(ingest(pack.slice(0, pack.length - 30), new MemoryStore())).rejects.toThrow(/early EOF|unexpected end/)
    const flipped = pack.slice()
    flipped[pack.length - 1] ^= 1
    await expect(ingest(flipped, new MemoryStore())).rejects.toThrow(/SHA1 mismatch/)
    await expect(ingest(enc.encode('PACX\x00\x00\x00\x02\x00\x00\x00\x00'), new MemoryStore())).rejects.toThrow(/signature/)
    await expect(ingest(pack, new MemoryStore(), { ...LIMITS, maxObjectBytes: 10 })).rejects.toThrow(/larger than the 10 bytes allowed/)
    const missing = await handPack([deltaEntry('ref', '1'.repeat(40), new Uint8Array([3, 1, 1, 120]))])
    await expect(ingest(missing, new MemoryStore())).rejects.toThrow(/missing delta base 1111/)
    // A commit whose tree is in neither the pack nor the store.
    const commitOnly = await packOf(source, [[...source.objects.entries()].find(([, o]) => o.type === 'commit')![0]])
    await expect(ingest(commitOnly, new MemoryStore())).rejects.toThrow(/missing necessary objects/)
  })
})

describe('planFetch', () => {
  it('sends everything for a clone, only the new objects with haves', async () => {
    const store = new MemoryStore()
    const c = await store.history(4)
    const clone = planFetch(store, { wants: [c[3]], haves: [], shallows: [], depth: null, deepenRelative: false, includeTag: false, tagRefs: [] })
    expect(clone.objects.length).toBe(store.objects.size)
    const incremental = planFetch(store, { wants: [c[3]], haves: [c[2]], shallows: [], depth: null, deepenRelative: false, includeTag: false, tagRefs: [] })
    expect(incremental.common).toEqual([c[2]])
    expect(incremental.objects).toHaveLength(3) // commit, tree, blob
    expect(incremental.objects[0]).toBe(c[3])
  })

  it('stops walking once only the client\'s history is left (a fetch on a long history stays cheap)', async () => {
    const store = new MemoryStore()
    const c = await store.history(300)
    let lookups = 0
    const counting = Object.assign(Object.create(store), { commit: (oid: string) => (lookups++, store.commit(oid)) }) as MemoryStore
    const plan = planFetch(counting, { wants: [c[299]], haves: [c[297]], shallows: [], depth: null, deepenRelative: false, includeTag: false, tagRefs: [] })
    expect(plan.objects.filter((oid) => store.stat(oid)!.type === 'commit')).toEqual([c[299], c[298]])
    expect(lookups).toBeLessThan(40)
  })

  it('cuts at depth, reports the boundary shallow, and unshallows when deepened', async () => {
    const store = new MemoryStore()
    const c = await store.history(5)
    const shallow = planFetch(store, { wants: [c[4]], haves: [], shallows: [], depth: 2, deepenRelative: false, includeTag: false, tagRefs: [] })
    expect(shallow.shallow).toEqual([c[3]])
    expect(shallow.objects.filter((oid) => store.stat(oid)!.type === 'commit')).toEqual([c[4], c[3]])
    const deeper = planFetch(store, { wants: [c[4]], haves: [c[4]], shallows: [c[3]], depth: 4, deepenRelative: false, includeTag: false, tagRefs: [] })
    expect(deeper.unshallow).toEqual([c[3]])
    expect(deeper.shallow).toEqual([c[1]])
    expect(deeper.objects.filter((oid) => store.stat(oid)!.type === 'commit').sort()).toEqual([c[2], c[1]].sort())
    const relative = planFetch(store, { wants: [c[4]], haves: [c[4]], shallows: [c[3]], depth: 1, deepenRelative: true, includeTag: false, tagRefs: [] })
    expect(relative.shallow).toEqual([c[2]])
    expect(relative.objects.filter((oid) => store.stat(oid)!.type === 'commit')).toEqual([c[2]])
  })
})

