import type { ByteReader } from './byte-reader'
import { GitError } from './errors'
import { TYPE_NAMES, toHex, type ObjectType } from './oid'
import { PackInflater, inflateFromReader } from './zlib'

/**
 * Streams the entries of a pack (gitformat-pack) from `reader`, one at a time, so memory holds
 * one object (plus one stream chunk), whatever the pack's size. Each entry is yielded before the
 * next is read; the trailer checksum is verified after the last one (a mismatch throws, so a
 * caller must treat everything it got as provisional until the generator returns).
 */
export type PackEntry =
  | { offset: number; kind: 'base'; type: ObjectType; data: Uint8Array; compressed: Uint8Array }
  | { offset: number; kind: 'ofs-delta'; baseOffset: number; data: Uint8Array }
  | { offset: number; kind: 'ref-delta'; baseOid: string; data: Uint8Array }

export interface PackLimits {
  /** largest inflated object or delta, in bytes */
  maxObjectBytes: number
  /** most objects in one pack */
  maxObjects: number
}

const PACK_SIGNATURE = [0x50, 0x41, 0x43, 0x4b] // "PACK"

export async function* readPack(reader: ByteReader, limits: PackLimits): AsyncGenerator<PackEntry, { count: number }> {
  const digest = new crypto.DigestStream('SHA-1')
  const writer = digest.getWriter()
  let offset = 0
  let writeError: unknown
  const inflater = new PackInflater()
  reader.tap = (bytes) => {
    offset += bytes.length
    writer.write(bytes).catch((error) => (writeError = error))
  }
  // The digest's queue never holds more than what the reader has buffered.
  reader.beforeFill = () => writer.ready
  try {
    const header = await reader.read(12, 'pack header')
    if (!PACK_SIGNATURE.every((byte, i) => header[i] === byte)) throw new GitError('protocol error (pack signature mismatch detected)')
    const view = new DataView(header.buffer, header.byteOffset, 12)
    const version = view.getUint32(4)
    if (version !== 2 && version !== 3) throw new GitError(`protocol error (pack version ${version} unsupported)`)
    const count = view.getUint32(8)
    if (count > limits.maxObjects) throw new GitError(`pack has ${count} objects, more than the ${limits.maxObjects} allowed`)
    for (let i = 0; i < count; i++) {
      const start = offset
      let byte = (await reader.read(1, 'pack'))[0]
      const typeCode = (byte >> 4) & 7
      let size = byte & 15
      let shift = 4
      while (byte & 0x80) {
        byte = (await reader.read(1, 'pack'))[0]
        size += (byte & 0x7f) * 2 ** shift
        shift += 7
        if (shift > 53) throw new GitError('bad object header')
      }
      if (size > limits.maxObjectBytes) {
        throw new GitError(`object of ${size} bytes is larger than the ${limits.maxObjectBytes} bytes allowed`)
      }
      if (typeCode === 6) {
        byte = (await reader.read(1, 'pack'))[0]
        let distance = byte & 0x7f
        while (byte & 0x80) {
          byte = (await reader.read(1, 'pack'))[0]
          distance = (distance + 1) * 128 + (byte & 0x7f)
        }
        if (distance <= 0 || distance > start) throw new GitError('delta base offset is out of bound')
        const { data } = await inflateFromReader(reader, size, false, inflater)
        yield { offset: start, kind: 'ofs-delta', baseOffset: start - distance, data: data.slice() }
      } else if (typeCode === 7) {
        const baseOid = toHex(await reader.read(20, 'pack'))
        const { data } = await inflateFromReader(reader, size, false, inflater)
        yield { offset: start, kind: 'ref-delta', baseOid, data: data.slice() }
      } else {
        const type = TYPE_NAMES[typeCode]
        if (!type) throw new GitError(`invalid object type ${typeCode}`)
        const { data, compressed } = await inflateFromReader(reader, size, true, inflater)
        yield { offset: start, kind: 'base', type, data, compressed: compressed! }
      }
    }
    reader.tap = undefined
    reader.beforeFill = undefined
    const trailer = toHex(await reader.read(20, 'pack trailer'))
    await writer.close()
    if (writeError) throw writeError
    const actual = toHex(new Uint8Array(await digest.digest))
    if (actual !== trailer) throw new GitError('pack is corrupted (SHA1 mismatch)')
    return { count }
  } finally {
    inflater.end()
    reader.tap = undefined
    reader.beforeFill = undefined
    writer.releaseLock()
  }
}
