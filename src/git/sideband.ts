import { pkt } from './pkt-line'

/**
 * Side-band multiplexing (gitprotocol-pack): band 1 data, band 2 progress text, band 3 a fatal
 * error. `side-band-64k` allows 65515 data bytes per packet, plain `side-band` 999.
 */
export const BAND_DATA = 1
export const BAND_PROGRESS = 2
export const BAND_ERROR = 3

const encoder = new TextEncoder()

/** `data` on `band`, split into as many packets as needed. */
export function bandPackets(band: number, data: Uint8Array | string, max = 65515): Uint8Array[] {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  const out: Uint8Array[] = []
  for (let at = 0; at < bytes.byteLength || (at === 0 && bytes.byteLength === 0); at += max) {
    const part = bytes.subarray(at, at + max)
    const payload = new Uint8Array(part.byteLength + 1)
    payload[0] = band
    payload.set(part, 1)
    out.push(pkt(payload))
    if (bytes.byteLength === 0) break
  }
  return out
}
