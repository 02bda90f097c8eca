/**
 * Workhorse's artifacts metadata (the `metadata` artifact, gzip), read as GitLab's
 * Gitlab::Ci::Build::Artifacts::Metadata does (lib/gitlab/ci/build/artifacts/metadata.rb):
 * big-endian uint32-length-prefixed strings — the version (`GitLab Build Artifacts Metadata
 * x.y.z`), the errors JSON, then (path, entry JSON) pairs, directories ending in `/`.
 */
const VERSION_PATTERN = /^[\w\s]+(\d+\.\d+\.\d+)/

/** Reads exact byte counts from a stream. */
class ExactReader {
  private buffer = new Uint8Array(0)
  private done = false

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  async read(count: number): Promise<Uint8Array | null> {
    while (this.buffer.byteLength < count && !this.done) {
      const { done, value } = await this.reader.read()
      if (done) this.done = true
      else {
        const merged = new Uint8Array(this.buffer.byteLength + value.byteLength)
        merged.set(this.buffer)
        merged.set(value, this.buffer.byteLength)
        this.buffer = merged
      }
    }
    if (this.buffer.byteLength < count) return null
    const out = this.buffer.slice(0, count)
    this.buffer = this.buffer.subarray(count)
    return out
  }

  async string(maxBytes: number): Promise<string | null> {
    const size = await this.read(4)
    if (!size) return null
    const length = new DataView(size.buffer).getUint32(0, false)
    if (length > maxBytes) return null
    const bytes = await this.read(length)
    return bytes ? new TextDecoder().decode(bytes) : null
  }

  cancel(): Promise<void> {
    return this.reader.cancel().catch(() => undefined)
  }
}

export type MetadataLookup = { valid: false } | { valid: true; entry: Record<string, unknown> | null }

/** Whether `path` is a file entry of the archive, by the metadata alone. */
export async function metadataEntry(gzipped: ReadableStream<Uint8Array>, path: string): Promise<MetadataLookup> {
  const reader = new ExactReader(gzipped.pipeThrough(new DecompressionStream('gzip')).getReader())
  try {
    const version = await reader.string(1024)
    if (version === null || !VERSION_PATTERN.test(version)) return { valid: false }
    if ((await reader.string(10 * 1024 * 1024)) === null) return { valid: false }
    for (;;) {
      const name = await reader.string(64 * 1024)
      if (name === null) return { valid: true, entry: null }
      const meta = await reader.string(64 * 1024)
      if (meta === null) return { valid: true, entry: null }
      if (name === path) return { valid: true, entry: JSON.parse(meta) as Record<string, unknown> }
    }
  } catch {
    return { valid: false }
  } finally {
    await reader.cancel()
  }
}
