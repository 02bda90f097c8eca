import { concatBytes } from '../bytes'

/**
 * Writes a stream of unknown length to R2 without holding it in memory: R2 needs a known length
 * for a single `put`, so a body that outgrows one part becomes a multipart upload of equal 5 MiB
 * parts (R2 wants every part but the last to be the same size). A small body is one `put`.
 * `abort` leaves nothing behind.
 */
export const PART_SIZE = 5 * 1024 * 1024

export class BlobWriter {
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private upload?: R2MultipartUpload
  private parts: R2UploadedPart[] = []
  size = 0

  constructor(
    private readonly bucket: R2Bucket,
    readonly key: string,
    private readonly options: R2PutOptions = {},
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.pending.push(chunk)
    this.pendingBytes += chunk.byteLength
    this.size += chunk.byteLength
    while (this.pendingBytes >= PART_SIZE) await this.uploadPart(this.take(PART_SIZE))
  }

  /** Finishes the object; returns its size. */
  async close(): Promise<number> {
    const rest = this.take(this.pendingBytes)
    if (!this.upload) {
      await this.bucket.put(this.key, rest, this.options)
      return this.size
    }
    if (rest.byteLength > 0 || this.parts.length === 0) await this.uploadPart(rest)
    await this.upload.complete(this.parts)
    return this.size
  }

  async abort(): Promise<void> {
    this.pending = []
    this.pendingBytes = 0
    if (this.upload) await this.upload.abort().catch(() => undefined)
  }

  private async uploadPart(bytes: Uint8Array): Promise<void> {
    this.upload ??= await this.bucket.createMultipartUpload(this.key, this.options)
    this.parts.push(await this.upload.uploadPart(this.parts.length + 1, bytes))
  }

  /** The first `count` pending bytes as one array; the remainder stays pending. */
  private take(count: number): Uint8Array {
    const all = concatBytes(this.pending, this.pendingBytes)
    const head = all.subarray(0, count)
    const tail = all.subarray(count)
    this.pending = tail.byteLength > 0 ? [tail] : []
    this.pendingBytes = tail.byteLength
    return head
  }
}
