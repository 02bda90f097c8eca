import type { ByteReader } from './byte-reader'
import { GitError } from './errors'

/**
 * pkt-line framing (gitprotocol-common): four hex digits of total length, then the payload.
 * `0000` flush, `0001` delimiter and `0002` response end (protocol v2).
 */
export const FLUSH = new Uint8Array([48, 48, 48, 48])
export const DELIM = new Uint8Array([48, 48, 48, 49])
export const RESPONSE_END = new Uint8Array([48, 48, 48, 50])
/** Largest payload of one pkt-line. */
export const MAX_PKT_PAYLOAD = 65516

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** One pkt-line around `payload` (a string is sent as UTF-8, as given: add `\n` yourself). */
export function pkt(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload
  if (body.byteLength > MAX_PKT_PAYLOAD) throw new GitError('pkt-line too long')
  const out = new Uint8Array(body.byteLength + 4)
  out.set(encoder.encode((body.byteLength + 4).toString(16).padStart(4, '0')))
  out.set(body, 4)
  return out
}

export type Packet =
  | { kind: 'data'; data: Uint8Array }
  | { kind: 'flush' }
  | { kind: 'delim' }
  | { kind: 'end' }

/** A data packet's text without its trailing LF (receivers accept lines with or without it). */
export function packetText(data: Uint8Array): string {
  const text = decoder.decode(data)
  return text.endsWith('\n') ? text.slice(0, -1) : text
}

/** Reads one packet; `null` at the end of the stream (before any byte of a packet). */
export async function readPacket(reader: ByteReader): Promise<Packet | null> {
  if (await reader.atEnd()) return null
  const head = await reader.read(4, 'pkt-line')
  const text = decoder.decode(head)
  if (!/^[0-9a-f]{4}$/i.test(text)) throw new GitError(`protocol error: bad line length character: ${printable(text)}`)
  const length = Number.parseInt(text, 16)
  if (length === 0) return { kind: 'flush' }
  if (length === 1) return { kind: 'delim' }
  if (length === 2) return { kind: 'end' }
  if (length < 4) throw new GitError(`protocol error: bad line length ${length}`)
  const data = await reader.read(length - 4, 'pkt-line')
  return { kind: 'data', data: data.slice() }
}

/** Reads text lines up to (and including) the next flush or delimiter; which one ended it too. */
export async function readSection(reader: ByteReader): Promise<{ lines: string[]; end: 'flush' | 'delim' | 'eof' }> {
  const lines: string[] = []
  for (;;) {
    const packet = await readPacket(reader)
    if (!packet) return { lines, end: 'eof' }
    if (packet.kind === 'flush' || packet.kind === 'end') return { lines, end: 'flush' }
    if (packet.kind === 'delim') return { lines, end: 'delim' }
    lines.push(packetText(packet.data))
  }
}

function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?')
}
