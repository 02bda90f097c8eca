import { configOf } from '../config'
import type { Env } from '../env'

/**
 * Encryption at rest for CI/CD variable values (GitLab's attr_encrypted on ci_variables,
 * ci_instance_variables, ci_pipeline_variables, ci_job_variables): AES-256-GCM through WebCrypto
 * with a fresh 96-bit IV per value. The key is derived (HKDF-SHA-256) from the Worker secret
 * CI_VARIABLES_KEY once per isolate and kept, so a request pays one import, not one per value.
 *
 * A stored value is `enc:v1:<base64(iv ‖ ciphertext ‖ tag)>`; anything without that prefix is a
 * row written before encryption and is read as the plaintext it is.
 */
const PREFIX = 'enc:v1:'
const IV_BYTES = 12
const INFO = new TextEncoder().encode('edgejobs ci variables v1')

const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>()

function key(env: Env): Promise<CryptoKey> {
  const secret = configOf(env).ciVariablesKey
  if (!secret) return Promise.reject(new Error('CI_VARIABLES_KEY is not set (32 random bytes, base64)'))
  let derived = keys.get(secret)
  if (!derived) {
    derived = crypto.subtle
      .importKey('raw', secret, 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: INFO }, base, { name: 'AES-GCM', length: 256 }, false, [
          'encrypt',
          'decrypt',
        ]),
      )
    keys.set(secret, derived)
  }
  return derived
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX)
}

/** The value encrypted for storage. */
export async function seal(env: Env, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await key(env), new TextEncoder().encode(plaintext)))
  const out = new Uint8Array(IV_BYTES + sealed.byteLength)
  out.set(iv)
  out.set(sealed, IV_BYTES)
  return PREFIX + toBase64(out)
}

/** The stored value as plaintext (a value stored before encryption is returned as it is). */
export async function open(env: Env, stored: string): Promise<string> {
  if (!isSealed(stored)) return stored
  const bytes = Uint8Array.from(atob(stored.slice(PREFIX.length)), (c) => c.charCodeAt(0))
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES) }, await key(env), bytes.subarray(IV_BYTES))
  return new TextDecoder().decode(plain)
}

/**
 * A JSON list (pipeline variables, variables given on play) sealed as one value. An empty list
 * stays `[]`: nothing secret in it, and pipelines without variables need no key.
 */
export async function sealList(env: Env, items: readonly unknown[]): Promise<string> {
  return items.length === 0 ? '[]' : seal(env, JSON.stringify(items))
}

export async function openList<T>(env: Env, stored: string | null | undefined): Promise<T[]> {
  if (!stored) return []
  const parsed = JSON.parse(await open(env, stored)) as unknown
  return Array.isArray(parsed) ? (parsed as T[]) : []
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}
