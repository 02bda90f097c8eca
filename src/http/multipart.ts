import { concatBytes } from '../bytes'
import { indexOfBytes } from './body'
import { ApiError } from './errors'

/**
 * A streaming `multipart/form-data` reader (RFC 7578): parts are read one after another and a
 * part's body is handed out chunk by chunk as it arrives, so a large file never sits in memory.
 * Only a tail shorter than the delimiter is held back between chunks. Workhorse does this job in
 * GitLab; here the Worker does it.
 */
export interface PartHeaders {
  name: string
  filename: string | null
  contentType: string | null
}

const CRLF = new Uint8Array([13, 10])
const HEADER_END = new Uint8Array([13, 10, 13, 10])
const MAX_HEADER_BYTES = 16 * 1024

/** The boundary of a `multipart/form-data` Content-Type, or null. */
export function boundaryOf(contentType: string | null): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType)
  return match ? (match[1] ?? match[2]) : null
}

function malformed(): ApiError {
  return ApiError.badRequest('Invalid multipart body')
}

export class MultipartReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>
  private readonly delimiter: Uint8Array
  /** The body is read as if it began with CRLF, so the first boundary looks like every other. */
  private buffer: Uint8Array = CRLF
  private ended = false
  private state: 'preamble' | 'body' | 'between' | 'done' = 'preamble'

  constructor(body: ReadableStream<Uint8Array>, boundary: string) {
    this.reader = body.getReader()
    this.delimiter = new TextEncoder().encode(`\r\n--${boundary}`)
  }

  /** Moves to the next part (skipping the rest of the current one); null after the last part. */
  async nextPart(): Promise<PartHeaders | null> {
    while (this.state === 'preamble' || this.state === 'body') await this.readChunk()
    if (this.state === 'done') return null
    await this.need(2)
    if (this.buffer[0] === 45 && this.buffer[1] === 45) {
      this.state = 'done'
      return null
    }
    const end = await this.find(HEADER_END, MAX_HEADER_BYTES, 0)
    const headers = parseHeaders(new TextDecoder().decode(this.buffer.subarray(2, end)))
    this.buffer = this.buffer.subarray(end + HEADER_END.byteLength)
    this.state = 'body'
    return headers
  }

  /** The current part's next bytes; null once the part has ended. */
  async readChunk(): Promise<Uint8Array | null> {
    if (this.state !== 'body' && this.state !== 'preamble') return null
    for (;;) {
      const at = indexOfBytes(this.buffer, this.delimiter)
      if (at === 0) {
        this.buffer = this.buffer.subarray(this.delimiter.byteLength)
        this.state = 'between'
        return null
      }
      const safe = at > 0 ? at : this.buffer.byteLength - (this.delimiter.byteLength - 1)
      if (safe > 0) {
        const chunk = this.buffer.subarray(0, safe)
        this.buffer = this.buffer.subarray(safe)
        if (this.state === 'preamble') continue
        return chunk
      }
      if (!(await this.fill())) throw malformed()
    }
  }

  /** The current part as text (small form fields), refusing more than `maxBytes`. */
  async text(maxBytes = 4096): Promise<string> {
    const chunks: Uint8Array[] = []
    let total = 0
    for (let chunk = await this.readChunk(); chunk !== null; chunk = await this.readChunk()) {
      total += chunk.byteLength
      if (total > maxBytes) throw malformed()
      chunks.push(chunk)
    }
    return new TextDecoder().decode(concatBytes(chunks, total))
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined)
  }

  private async fill(): Promise<boolean> {
    if (this.ended) return false
    const { done, value } = await this.reader.read()
    if (done) {
      this.ended = true
      return false
    }
    this.buffer = this.buffer.byteLength === 0 ? value : concatBytes([this.buffer, value])
    return true
  }

  private async need(bytes: number): Promise<void> {
    while (this.buffer.byteLength < bytes) if (!(await this.fill())) throw malformed()
  }

  /** Index of `needle`; an empty header block (`\r\n\r\n` right after the boundary) is at 0. */
  private async find(needle: Uint8Array, limit: number, from: number): Promise<number> {
    for (;;) {
      const at = indexOfBytes(this.buffer, needle, from)
      if (at !== -1) return at
      if (this.buffer.byteLength > limit || !(await this.fill())) throw malformed()
    }
  }
}

function parseHeaders(block: string): PartHeaders {
  let name: string | null = null
  let filename: string | null = null
  let contentType: string | null = null
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const key = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (key === 'content-type') contentType = value
    if (key !== 'content-disposition') continue
    name = dispositionParam(value, 'name')
    filename = dispositionParam(value, 'filename')
  }
  if (name === null) throw malformed()
  return { name, filename, contentType }
}

function dispositionParam(value: string, key: string): string | null {
  const match = new RegExp(`;\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]+))`, 'i').exec(value)
  if (!match) return null
  return match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]
}
