/**
 * One file out of a zip archive in R2, read the way Workhorse's `artifacts-entry` does: the end of
 * central directory record and the central directory are read with ranged GETs, then only the
 * entry's bytes, inflated as they stream (DecompressionStream `deflate-raw`). Zip libraries
 * (fflate, …) want the whole archive in memory; an artifact may be hundreds of MiB, so the few
 * fixed-layout records (APPNOTE.TXT §4.3.12, §4.3.16, §4.3.7) are parsed here.
 */
export interface ZipEntry {
  name: string
  method: number
  compressedSize: number
  size: number
  localHeaderOffset: number
}

const EOCD_SIGNATURE = 0x06054b50
const CENTRAL_SIGNATURE = 0x02014b50
const LOCAL_SIGNATURE = 0x04034b50
const EOCD_MIN = 22
const MAX_COMMENT = 0xffff

async function range(bucket: R2Bucket, key: string, offset: number, length: number): Promise<Uint8Array | null> {
  const object = await bucket.get(key, { range: { offset, length } })
  return object ? new Uint8Array(await object.arrayBuffer()) : null
}

/** The archive's entry named `path`, or null (also for archives this reader cannot read: zip64). */
export async function findZipEntry(bucket: R2Bucket, key: string, archiveSize: number, path: string): Promise<ZipEntry | null> {
  const tailLength = Math.min(archiveSize, EOCD_MIN + MAX_COMMENT)
  const tail = await range(bucket, key, archiveSize - tailLength, tailLength)
  if (!tail) return null
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength)
  let eocd = -1
  for (let at = tail.byteLength - EOCD_MIN; at >= 0; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) {
      eocd = at
      break
    }
  }
  if (eocd < 0) return null
  const cdSize = view.getUint32(eocd + 12, true)
  const cdOffset = view.getUint32(eocd + 16, true)
  if (cdOffset === 0xffffffff || cdSize === 0xffffffff || cdOffset + cdSize > archiveSize) return null
  const cd = await range(bucket, key, cdOffset, cdSize)
  if (!cd) return null
  const dir = new DataView(cd.buffer, cd.byteOffset, cd.byteLength)
  const decoder = new TextDecoder()
  for (let at = 0; at + 46 <= cd.byteLength && dir.getUint32(at, true) === CENTRAL_SIGNATURE; ) {
    const nameLength = dir.getUint16(at + 28, true)
    const next = at + 46 + nameLength + dir.getUint16(at + 30, true) + dir.getUint16(at + 32, true)
    const name = decoder.decode(cd.subarray(at + 46, at + 46 + nameLength))
    if (name === path) {
      return {
        name,
        method: dir.getUint16(at + 10, true),
        compressedSize: dir.getUint32(at + 20, true),
        size: dir.getUint32(at + 24, true),
        localHeaderOffset: dir.getUint32(at + 42, true),
      }
    }
    at = next
  }
  return null
}

/** The entry's contents as a stream (stored or deflated), or null when its header is unreadable. */
export async function openZipEntry(bucket: R2Bucket, key: string, entry: ZipEntry): Promise<ReadableStream<Uint8Array> | null> {
  const header = await range(bucket, key, entry.localHeaderOffset, 30)
  if (!header || header.byteLength < 30) return null
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength)
  if (view.getUint32(0, true) !== LOCAL_SIGNATURE) return null
  const dataOffset = entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true)
  if (entry.compressedSize === 0) return new Blob([]).stream()
  const object = await bucket.get(key, { range: { offset: dataOffset, length: entry.compressedSize } })
  if (!object) return null
  if (entry.method === 0) return object.body
  if (entry.method === 8) return object.body.pipeThrough(new DecompressionStream('deflate-raw'))
  return null
}
