/** Git object ids (SHA-1, 40 lowercase hex digits) and the object hash. */
export const ZERO_OID = '0000000000000000000000000000000000000000'

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag'

/** Pack type codes (gitformat-pack): 1 commit, 2 tree, 3 blob, 4 tag. */
export const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 }
export const TYPE_NAMES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' }

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function isOid(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value)
}

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]]
  return out
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

const encoder = new TextEncoder()

/** The object header git hashes in front of the content: `<type> <size>\0`. */
export function objectHeader(type: ObjectType, size: number): Uint8Array {
  return encoder.encode(`${type} ${size}\0`)
}

/** The object id of `content` as an object of `type`. */
export async function hashObject(type: ObjectType, content: Uint8Array): Promise<string> {
  const header = objectHeader(type, content.byteLength)
  if (content.byteLength > 1024 * 1024) {
    // Large objects are hashed as a stream, without a second copy of their content.
    const digest = new crypto.DigestStream('SHA-1')
    const writer = digest.getWriter()
    void writer.write(header)
    void writer.write(content)
    await writer.close()
    return toHex(new Uint8Array(await digest.digest))
  }
  const whole = new Uint8Array(header.byteLength + content.byteLength)
  whole.set(header)
  whole.set(content, header.byteLength)
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-1', whole)))
}
