import { concatBytes } from '../bytes'
import { ApiError } from './errors'

/** The whole request body as bytes, refusing (413) more than `maxBytes` without reading it all. */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('Content-Length') ?? '0')
  if (declared > maxBytes) throw ApiError.tooLarge()
  const bytes = await readBounded(request.body, maxBytes)
  if (!bytes) throw ApiError.tooLarge()
  return bytes
}

/** A whole stream as bytes, or null (the stream cancelled) once it passes `maxBytes`. */
export async function readBounded(body: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array | null> {
  if (!body) return new Uint8Array(0)
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel()
      return null
    }
    chunks.push(value)
  }
  return concatBytes(chunks, total)
}

/** Index of `needle` in `haystack` at or after `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  if (needle.byteLength === 0) return from
  const first = needle[0]
  const last = haystack.byteLength - needle.byteLength
  for (let i = haystack.indexOf(first, from); i !== -1 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1
    while (j < needle.byteLength && haystack[i + j] === needle[j]) j++
    if (j === needle.byteLength) return i
  }
  return -1
}
