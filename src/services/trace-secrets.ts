import { open } from '../auth/secret-box'
import { RUNNER_REGISTRATION_PREFIX, digestsEqual, tokenDigest } from '../auth/tokens'
import type { Env } from '../env'
import { indexOfBytes } from '../http/body'

/**
 * Secrets masked in log chunks before they are stored (Ci::Build#hide_secrets): the job token and
 * the project's registration token. Like Gitlab::Ci::MaskSecret, each byte becomes `x`, so the log
 * keeps its length and the runner's offsets stay right. A secret split across two chunks is not
 * seen (GitLab masks per chunk too); the runner masks CI_JOB_TOKEN itself anyway.
 */
const MASK = 0x78 // 'x'

export function maskBytes(data: Uint8Array, secret: string): Uint8Array {
  if (secret.length < 6) return data // never mask trivially short values
  const needle = new TextEncoder().encode(secret)
  let out = data
  for (let at = indexOfBytes(out, needle); at !== -1; at = indexOfBytes(out, needle, at + needle.byteLength)) {
    if (out === data) out = data.slice()
    out.fill(MASK, at, at + needle.byteLength)
  }
  return out
}

/** Generated tokens: prefix + 26 characters of [A-Za-z0-9_-] (auth/tokens.ts). */
const TOKEN_BODY_LENGTH = 26
const PREFIX = new TextEncoder().encode(RUNNER_REGISTRATION_PREFIX)

function isTokenByte(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x2d || byte === 0x5f
}

/** Only the registration token's digest is stored, so text shaped like one is hashed and compared. */
export async function maskRegistrationToken(data: Uint8Array, digest: string | null): Promise<Uint8Array> {
  if (!digest) return data
  let out = data
  const length = PREFIX.byteLength + TOKEN_BODY_LENGTH
  for (let at = indexOfBytes(data, PREFIX); at !== -1; at = indexOfBytes(data, PREFIX, at + 1)) {
    const candidate = data.subarray(at, at + length)
    if (candidate.byteLength < length || !candidate.subarray(PREFIX.byteLength).every(isTokenByte)) continue
    if (!digestsEqual(await tokenDigest(new TextDecoder().decode(candidate)), digest)) continue
    if (out === data) out = data.slice()
    out.fill(MASK, at, at + length)
  }
  return out
}

/**
 * Masked CI/CD variables: gitlab-runner writes `[MASKED]` where a masked value was; here each
 * occurrence becomes `[MASKED]` padded with `x` to the value's byte length (masked values have at
 * least 8 characters), so the stored log keeps the runner's byte offsets.
 */
const MASKED = new TextEncoder().encode('[MASKED]')

export function maskVariableValue(data: Uint8Array, value: string): Uint8Array {
  const needle = new TextEncoder().encode(value)
  if (needle.byteLength < MASKED.byteLength) return data
  let out = data
  for (let at = indexOfBytes(out, needle); at !== -1; at = indexOfBytes(out, needle, at + needle.byteLength)) {
    if (out === data) out = data.slice()
    out.fill(MASK, at, at + needle.byteLength)
    out.set(MASKED, at)
  }
  return out
}

/** The stored, encrypted values of the masked variables (db/runner-jobs.ts `masked_values`), decrypted. */
export async function maskedValues(env: Env, stored: string | null | undefined): Promise<string[]> {
  const list = JSON.parse(stored || '[]') as unknown
  if (!Array.isArray(list) || list.length === 0) return []
  return Promise.all(list.filter((item): item is string => typeof item === 'string').map((item) => open(env, item)))
}

export async function hideSecrets(
  data: Uint8Array,
  secrets: { jobToken: string; registrationDigest: string | null; maskedValues?: readonly string[] },
): Promise<Uint8Array> {
  let out = data
  // Longest first, so a value containing another is masked whole.
  for (const value of [...(secrets.maskedValues ?? [])].sort((a, b) => b.length - a.length)) out = maskVariableValue(out, value)
  return maskRegistrationToken(maskBytes(out, secrets.jobToken), secrets.registrationDigest)
}
