/**
 * Token values and their digests. Only SHA-256 digests are stored; a presented token is hashed
 * and the stored digest compared in constant time.
 */
export const PERSONAL_TOKEN_PREFIX = 'glpat-'
export const JOB_TOKEN_PREFIX = 'glcbt-'
export const RUNNER_TOKEN_PREFIX = 'glrt-'
export const RUNNER_REGISTRATION_PREFIX = 'GR1348941'
export const TRIGGER_TOKEN_PREFIX = 'glptt-'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** A fresh random token: prefix + 26 URL-safe characters (156 bits). */
export function generateToken(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(26))
  let out = prefix
  for (const byte of bytes) out += ALPHABET[byte & 63]
  return out
}

/** A pipeline trigger token, as Ci::Trigger#set_default_values makes it: glptt- and 40 hex characters. */
export function generateTriggerToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20))
  return TRIGGER_TOKEN_PREFIX + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Ci::Trigger#short_token: the first 4 characters after the prefix, what non-owners are shown. */
export function triggerShortToken(token: string): string {
  return token.slice(TRIGGER_TOKEN_PREFIX.length, TRIGGER_TOKEN_PREFIX.length + 4)
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
