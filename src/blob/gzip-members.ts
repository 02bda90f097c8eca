import { ZStream, Z_BUF_ERROR, Z_OK, Z_STREAM_END, Z_NO_FLUSH, zlibInflate, zlibInflateEnd, zlibInflateInit2 } from 'pako'
import { concatBytes } from '../bytes'

/**
 * The members of a gzip file, each inflated on its own. gitlab-runner uploads a `gzip` report
 * (junit, dotenv, …) as one gzip member per matched file, and GitLab reads each member as its own
 * blob (Ci::Artifactable#each_blob). The platform's DecompressionStream joins members, so pako's
 * low-level inflate is used: it says where each member ends. `limit` caps the inflated total.
 */
export class GzipError extends Error {}

const CHUNK = 64 * 1024

export function gunzipMembers(bytes: Uint8Array, limit: number): Uint8Array[] {
  const members: Uint8Array[] = []
  let offset = 0
  let total = 0
  while (offset < bytes.length) {
    const strm = new ZStream()
    // 16 + 15: a gzip wrapper, the largest window.
    if (zlibInflateInit2(strm, 16 + 15) !== Z_OK) throw new GzipError('inflate init failed')
    strm.input = bytes
    strm.next_in = offset
    strm.avail_in = bytes.length - offset
    const parts: Uint8Array[] = []
    try {
      for (;;) {
        const out = new Uint8Array(CHUNK)
        strm.output = out
        strm.next_out = 0
        strm.avail_out = CHUNK
        const status = zlibInflate(strm, Z_NO_FLUSH)
        parts.push(out.subarray(0, strm.next_out))
        total += strm.next_out
        if (total > limit) throw new GzipError(`decompressed size exceeds ${limit} bytes`)
        if (status === Z_STREAM_END) break
        if (status === Z_BUF_ERROR && strm.avail_in === 0) throw new GzipError('unexpected end of file')
        if (status !== Z_OK && status !== Z_BUF_ERROR) throw new GzipError(strm.msg || 'invalid gzip data')
      }
    } finally {
      zlibInflateEnd(strm)
    }
    offset = strm.next_in
    members.push(concatBytes(parts))
  }
  return members
}
