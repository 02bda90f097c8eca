import { TYPE_CODES, type ObjectType } from './oid'

/**
 * Writes a pack (version 2) from already-compressed objects, as a stream of byte chunks: a
 * 12-byte header, then per object its type/size header and zlib stream, then the SHA-1 of it
 * all. Objects are whole (no deltas), which every client accepts; they are read one at a time
 * from `next`, so memory holds one object.
 */
export interface PackObject {
  type: ObjectType
  /** inflated size */
  size: number
  /** the zlib stream of the content */
  compressed: Uint8Array
}

export function objectEntryHeader(type: ObjectType, size: number): Uint8Array {
  const bytes: number[] = []
  let byte = (TYPE_CODES[type] << 4) | (size & 15)
  let rest = Math.floor(size / 16)
  while (rest > 0) {
    bytes.push(byte | 0x80)
    byte = rest & 0x7f
    rest = Math.floor(rest / 128)
  }
  bytes.push(byte)
  return new Uint8Array(bytes)
}

export function packHeader(count: number): Uint8Array {
  const header = new Uint8Array(12)
  header.set([0x50, 0x41, 0x43, 0x4b])
  const view = new DataView(header.buffer)
  view.setUint32(4, 2)
  view.setUint32(8, count)
  return header
}

/**
 * An async iterator of pack chunks for `count` objects produced by `next(i)`. Chunks are hashed
 * as they go out; the last chunk is the trailer.
 */
export async function* writePack(count: number, next: (index: number) => Promise<PackObject>): AsyncGenerator<Uint8Array> {
  const digest = new crypto.DigestStream('SHA-1')
  const writer = digest.getWriter()
  const emit = (bytes: Uint8Array) => {
    void writer.write(bytes)
    return bytes
  }
  yield emit(packHeader(count))
  for (let i = 0; i < count; i++) {
    const object = await next(i)
    yield emit(objectEntryHeader(object.type, object.size))
    yield emit(object.compressed)
    await writer.ready
  }
  await writer.close()
  yield new Uint8Array(await digest.digest)
}

