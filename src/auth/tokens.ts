/**
 * Token values and their digests. Only SHA-256 digests are stored; a presented token is hashed
 * and the stored digest compared in constant time.
 */
export const PERSONAL_TOKEN_PREFIX = 'glpat-'
export const JOB_TOKEN_PREFIX = 'glcbt-'
export const RUNNER_TOKEN_PREFIX = 'glrt-'
export const RUNNER_REGISTRATION_PREFIX = 'GR1348941'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** A fresh random token: prefix + 26 URL-safe characters (156 bits). */
export function generateToken(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(26))
  let out = prefix
  for (const byte of bytes) out += ALPHABET[byte & 63]
  return out
}

export async function tokenDigest(token: string): Promise<string> {
  const data = new TextEncoder().encode(token)
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data))
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Constant-time equality of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a)
  const right = new TextEncoder().encode(b)
  if (left.byteLength !== right.byteLength) return false
  return crypto.subtle.timingSafeEqual(left, right)
}
