import { GitError } from './errors'

/**
 * Buffered reads from a byte stream: exact-length reads, and a peek at whatever is buffered, for
 * parsers that must know where one part of a body ends (pkt-lines, then a raw pack). Holds at
 * most one chunk of the stream plus what a caller asked for, so memory stays bounded. `limit`
 * caps the total number of bytes read from the stream.
 */
export class ByteReader {
  private buffer: Uint8Array = new Uint8Array(0)
  private at = 0
  private done = false
  /** bytes taken from the stream so far */
  received = 0
  /** Sees every consumed byte range, in order (a pack reader hashes them). */
  tap: ((bytes: Uint8Array) => void) | undefined
  /** Awaited before each read from the stream, so a slow `tap` consumer holds back the reading. */
  beforeFill: (() => Promise<unknown>) | undefined

  constructor(
    private readonly source: ReadableStreamDefaultReader<Uint8Array>,
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly onLimit: () => Error = () => new GitError('input too large'),
  ) {}

  static of(stream: ReadableStream<Uint8Array> | null, limit?: number, onLimit?: () => Error): ByteReader {
    const body = stream ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })
    return new ByteReader(body.getReader(), limit, onLimit)
  }

  /** Bytes buffered and not consumed yet. */
  get available(): number {
    return this.buffer.length - this.at
  }

  /** Pulls one more chunk into the buffer; false at the end of the stream. */
  async fill(): Promise<boolean> {
    if (this.done) return false
    if (this.beforeFill) await this.beforeFill()
    for (;;) {
      const { done, value } = await this.source.read()
      if (done) {
        this.done = true
        return false
      }
      if (!value || value.byteLength === 0) continue
      this.received += value.byteLength
      if (this.received > this.limit && !this.draining) throw this.onLimit()
      const rest = this.buffer.subarray(this.at)
      if (rest.length === 0) {
        this.buffer = value
      } else {
        const joined = new Uint8Array(rest.length + value.byteLength)
        joined.set(rest)
        joined.set(value, rest.length)
        this.buffer = joined
      }
      this.at = 0
      return true
    }
  }

  /** True when nothing is left, buffered or in the stream. */
  async atEnd(): Promise<boolean> {
    if (this.available > 0) return false
    return !(await this.fill())
  }

  /** Exactly `n` bytes, or an error naming `what` when the stream ends first. */
  async read(n: number, what = 'data'): Promise<Uint8Array> {
    while (this.available < n) {
      if (!(await this.fill())) throw new GitError(`unexpected end of ${what}`)
    }
    const out = this.buffer.subarray(this.at, this.at + n)
    this.at += n
    this.tap?.(out)
    return out
  }

  /** Whatever is buffered (filling once if empty), without consuming it; empty at the end. */
  async peek(): Promise<Uint8Array> {
    if (this.available === 0) await this.fill()
    return this.buffer.subarray(this.at)
  }

  /** Consumes `n` bytes of what `peek` returned. */
  skip(n: number): void {
    this.tap?.(this.buffer.subarray(this.at, this.at + n))
    this.at += n
  }

  private draining = false

  /**
   * Reads and discards the rest of the stream (so a client still sending gets its answer), at
   * most `cap` more bytes; then gives up on the stream.
   */
  async drain(cap: number): Promise<void> {
    this.draining = true
    this.tap = undefined
    const stop = this.received + cap
    this.at = this.buffer.length
    try {
      while (this.received < stop && (await this.fill())) this.at = this.buffer.length
    } catch {
      /* the client went away */
    }
    if (!this.done) await this.cancel()
  }

  async cancel(): Promise<void> {
    this.done = true
    await this.source.cancel().catch(() => undefined)
  }
}
