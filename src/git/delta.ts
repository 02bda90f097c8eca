import { GitError } from './errors'

/**
 * Applies a git delta (gitformat-pack "Deltified representation"): two size varints (base,
 * result), then copy instructions (`1xxxxxxx` + offset/size bytes) and inserts (`0xxxxxxx`).
 */
export function deltaResultSize(delta: Uint8Array): { baseSize: number; resultSize: number; at: number } {
  let at = 0
  const varint = () => {
    let value = 0
    let shift = 0
    for (;;) {
      if (at >= delta.length) throw new GitError('delta too short')
      const byte = delta[at++]
      value += (byte & 0x7f) * 2 ** shift
      shift += 7
      if (!(byte & 0x80)) return value
    }
  }
  const baseSize = varint()
  const resultSize = varint()
  return { baseSize, resultSize, at }
}

export function applyDelta(base: Uint8Array, delta: Uint8Array): Uint8Array {
  const { baseSize, resultSize, at: start } = deltaResultSize(delta)
  if (baseSize !== base.length) throw new GitError('delta base size mismatch')
  const out = new Uint8Array(resultSize)
  let at = start
  let written = 0
  while (at < delta.length) {
    const op = delta[at++]
    if (op & 0x80) {
      let offset = 0
      let size = 0
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += delta[at++] * 2 ** (8 * i)
      for (let i = 0; i < 3; i++) if (op & (1 << (4 + i))) size += delta[at++] * 2 ** (8 * i)
      if (size === 0) size = 0x10000
      if (at > delta.length || offset + size > base.length || written + size > resultSize) throw new GitError('bad delta copy')
      out.set(base.subarray(offset, offset + size), written)
      written += size
    } else if (op !== 0) {
      if (at + op > delta.length || written + op > resultSize) throw new GitError('bad delta insert')
      out.set(delta.subarray(at, at + op), written)
      at += op
      written += op
    } else {
      throw new GitError('bad delta opcode 0')
    }
  }
  if (written !== resultSize) throw new GitError('delta result size mismatch')
  return out
}
