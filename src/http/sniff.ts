/**
 * The Content-Type Workhorse gives a served file it was told to sniff
 * (`Gitlab-Workhorse-Detect-Content-Type`, workhorse/internal/headers SafeContentHeaders): SVG by
 * its markup, then Go's http.DetectContentType over the first 512 bytes, with every text type
 * (HTML, XML, JavaScript included) served as plain text so nothing renders inline. Because all
 * text types collapse to `text/plain; charset=utf-8`, only Go's binary signatures and its
 * text-or-binary rule need copying.
 */
export const SNIFF_LENGTH = 512
const TEXT_PLAIN = 'text/plain; charset=utf-8'

const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0))

/** Go's sniffSignatures that are not text, as [prefix, type]; `-1` in a prefix matches any byte. */
const SIGNATURES: Array<[number[], string]> = [
  [ascii('%PDF-'), 'application/pdf'],
  [ascii('%!PS-Adobe-'), 'application/postscript'],
  [ascii('GIF87a'), 'image/gif'],
  [ascii('GIF89a'), 'image/gif'],
  [[0x89, ...ascii('PNG\r\n\x1a\n')], 'image/png'],
  [[0xff, 0xd8, 0xff], 'image/jpeg'],
  [ascii('BM'), 'image/bmp'],
  [[...ascii('RIFF'), -1, -1, -1, -1, ...ascii('WEBPVP')], 'image/webp'],
  [[0x00, 0x00, 0x01, 0x00], 'image/x-icon'],
  [[0x00, 0x00, 0x02, 0x00], 'image/x-icon'],
  [[...ascii('RIFF'), -1, -1, -1, -1, ...ascii('WAVE')], 'audio/wave'],
  [[...ascii('RIFF'), -1, -1, -1, -1, ...ascii('AVI ')], 'video/avi'],
  [ascii('FORM'), 'audio/aiff'],
  [ascii('ID3'), 'audio/mpeg'],
  [[...ascii('OggS'), 0x00], 'application/ogg'],
  [[...ascii('MThd'), 0x00, 0x00, 0x00, 0x06], 'audio/midi'],
  [[0x1a, 0x45, 0xdf, 0xa3], 'video/webm'],
  [[0x00, 0x01, 0x00, 0x00], 'font/ttf'],
  [ascii('OTTO'), 'font/otf'],
  [ascii('ttcf'), 'font/collection'],
  [ascii('wOFF'), 'font/woff'],
  [ascii('wOF2'), 'font/woff2'],
  [[0x1f, 0x8b, 0x08], 'application/x-gzip'],
  [ascii('PK\x03\x04'), 'application/zip'],
  [ascii('Rar!\x1a\x07\x00'), 'application/x-rar-compressed'],
  [ascii('Rar!\x1a\x07\x01\x00'), 'application/x-rar-compressed'],
  [[0x00, ...ascii('asm')], 'application/wasm'],
]

function startsWith(data: Uint8Array, prefix: number[]): boolean {
  return data.byteLength >= prefix.length && prefix.every((byte, i) => byte === -1 || data[i] === byte)
}

/** Go's mp4Sig: a box size, then `ftyp` and a brand starting `mp4`... loosely, an `ftyp` box. */
function isMp4(data: Uint8Array): boolean {
  if (data.byteLength < 12) return false
  const boxSize = new DataView(data.buffer, data.byteOffset, 4).getUint32(0)
  if (boxSize % 4 !== 0 || data.byteLength < boxSize) return false
  if (!startsWith(data.subarray(4), ascii('ftyp'))) return false
  for (let at = 8; at + 3 <= boxSize; at += 4) {
    if (at === 12) continue // the minor version
    if (startsWith(data.subarray(at), ascii('mp4'))) return true
  }
  return false
}

/** Go's textSig: no byte Go counts as binary (0x00–0x08, 0x0B, 0x0E–0x1A, 0x1C–0x1F). */
function looksLikeText(data: Uint8Array): boolean {
  return data.every((b) => !(b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)))
}

/** h2non/go-is-svg: optional XML declaration, comments and doctype, then an `<svg` element. */
function isSvg(data: Uint8Array): boolean {
  if (!looksLikeText(data)) return false
  const text = new TextDecoder().decode(data).replace(/<!--[\s\S]*?-->/g, '')
  return /^\s*(?:<\?xml[^>]*>\s*)?(?:<!doctype\s+svg[^>]*>\s*)?<svg[\s>/]/i.test(text)
}

export function sniffContentType(head: Uint8Array): string {
  const data = head.subarray(0, SNIFF_LENGTH)
  if (isSvg(data)) return 'image/svg+xml'
  for (const [prefix, type] of SIGNATURES) if (startsWith(data, prefix)) return type
  if (isMp4(data)) return 'video/mp4'
  // UTF-16 byte order marks are text to Go (then plain text here).
  if (startsWith(data, [0xfe, 0xff]) || startsWith(data, [0xff, 0xfe])) return TEXT_PLAIN
  return looksLikeText(data) ? TEXT_PLAIN : 'application/octet-stream'
}

/**
 * The stream's first bytes (up to SNIFF_LENGTH, fewer if it ends) and a stream that yields all of
 * it again, so a file can be sniffed and still be sent whole.
 */
export async function peek(stream: ReadableStream<Uint8Array>): Promise<{ head: Uint8Array; body: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  let done = false
  while (length < SNIFF_LENGTH) {
    const next = await reader.read()
    if (next.done) {
      done = true
      break
    }
    chunks.push(next.value)
    length += next.value.byteLength
  }
  const head = new Uint8Array(length)
  let at = 0
  for (const chunk of chunks) {
    head.set(chunk, at)
    at += chunk.byteLength
  }
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.byteLength > 0) controller.enqueue(head)
      if (done) controller.close()
    },
    async pull(controller) {
      const next = await reader.read()
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
  return { head, body }
}
