import { ZStream, Z_BUF_ERROR, Z_OK, Z_STREAM_END, Z_NO_FLUSH, deflate, inflate, zlibInflate, zlibInflateEnd, zlibInflateInit, zlibInflateReset } from 'pako'
import type { ByteReader } from './byte-reader'
import { GitError } from './errors'

/**
 * zlib for git objects, with pako. Pack entries store no compressed length, so the reader must
 * learn where each zlib stream ends: pako's low-level inflate reports how much input it used,
 * which the platform's DecompressionStream cannot.
 */

/**
 * One inflater reused for every object of a pack (its 32 KiB window is allocated once, not per
 * object). Not shared between packs: a read may wait for the stream in the middle of an object.
 */
export class PackInflater {
  private strm: ZStream | null = null

  /** A reset stream, ready for the next object. */
  stream(): ZStream {
    if (!this.strm) {
      this.strm = new ZStream()
      if (zlibInflateInit(this.strm) !== Z_OK) throw new GitError('inflate init failed')
    } else if (zlibInflateReset(this.strm) !== Z_OK) {
      throw new GitError('inflate reset failed')
    }
    return this.strm
  }

  /** After a failed object: the next one starts from a fresh stream. */
  discard(): void {
    if (this.strm) zlibInflateEnd(this.strm)
    this.strm = null
  }

  end(): void {
    this.discard()
  }
}

/**
 * Inflates one zlib stream from `reader` whose inflated size must be exactly `size`, consuming
 * exactly its bytes. With `keepCompressed`, also returns the compressed bytes as read.
 */
export async function inflateFromReader(
  reader: ByteReader,
  size: number,
  keepCompressed: boolean,
  inflater: PackInflater,
): Promise<{ data: Uint8Array; compressed: Uint8Array | null }> {
  const strm = inflater.stream()
  strm.output = new Uint8Array(size + 1)
  strm.next_out = 0
  strm.avail_out = size + 1
  const parts: Uint8Array[] = []
  let compressedLength = 0
  try {
    for (;;) {
      const chunk = await reader.peek()
      if (chunk.length === 0) throw new GitError('early EOF: pack ends inside an object')
      strm.input = chunk
      strm.next_in = 0
      strm.avail_in = chunk.length
      const status = zlibInflate(strm, Z_NO_FLUSH)
      const used = strm.next_in
      if (keepCompressed && used > 0) {
        parts.push(chunk.subarray(0, used))
        compressedLength += used
      }
      reader.skip(used)
      if (status === Z_STREAM_END) break
      if (status !== Z_OK && !(status === Z_BUF_ERROR && used > 0)) throw new GitError('inflate: data stream error (corrupt object)')
      if (strm.next_out > size) throw new GitError('inflate: object is larger than its header says')
    }
  } catch (error) {
    inflater.discard()
    throw error
  }
  if (strm.next_out !== size) throw new GitError('inflate: object size does not match its header')
  const data = strm.output.subarray(0, size)
  let compressed: Uint8Array | null = null
  if (keepCompressed) {
    compressed = new Uint8Array(compressedLength)
    let at = 0
    for (const part of parts) {
      compressed.set(part, at)
      at += part.length
    }
  }
  return { data, compressed }
}

export function inflateBytes(compressed: Uint8Array): Uint8Array {
  try {
    return inflate(compressed)
  } catch {
    throw new GitError('inflate: corrupt stored object')
  }
}

/** zlib-compresses an object's content (fast level: objects are compressed once, served often). */
export function deflateBytes(data: Uint8Array): Uint8Array {
  return deflate(data, { level: 1 })
}
