import type { Env } from '../env'
import { configOf, type Config } from '../config'
import { countFailure, deleteEndedWindows } from '../db/auth-failures'
import { ApiError } from '../http/errors'

/**
 * Throttling of failed authentication, per client address (Cloudflare's `CF-Connecting-IP`):
 * after `AUTH_FAILURE_LIMIT` failed authentications (default 10) within
 * `AUTH_FAILURE_WINDOW_SECONDS` (default 60), the address's further failures answer 429 with
 * `Retry-After` until its window ends. The count lives in D1 (one atomic upsert per failure).
 * The 429 body is JSON (`{"message":"Retry later"}`, Rack::Attack's text in GitLab's body style).
 *
 * Only failures pay for it: a request whose credentials authenticate never reaches this module,
 * so valid tokens are never slowed or refused, from any address. Anonymous requests are not
 * failures, and requests without a client address (not through Cloudflare) are not counted.
 */
export type ThrottleSettings = Config['authFailures']

/** The settings of `env` (parsed in config.ts, where the defaults live). */
export function throttleSettings(env: Env): ThrottleSettings {
  return configOf(env).authFailures
}

/** Whether the request presented any credential (a failure with none is not a failed login). */
export function presentsCredential(request: Request): boolean {
  const headers = request.headers
  if (headers.get('PRIVATE-TOKEN') || headers.get('JOB-TOKEN') || headers.get('Authorization')) return true
  const query = new URL(request.url).searchParams
  return query.has('private_token') || query.has('job_token')
}

/**
 * Records one failed authentication of `request`'s address. Returns the 429 to answer instead
 * when the address is over its limit, else undefined (answer the 401).
 */
export async function recordAuthFailure(env: Env, request: Request, now: number): Promise<ApiError | undefined> {
  const { limit, windowMs } = throttleSettings(env)
  const address = request.headers.get('CF-Connecting-IP')
  if (limit === 0 || !address) return undefined
  const row = await countFailure(env.DB, address, now, windowMs)
  if (!row || row.failures <= limit) return undefined
  const retryAfter = Math.max(1, Math.ceil((row.window_start + windowMs - now) / 1000))
  return ApiError.throttled(retryAfter)
}

/** Cron housekeeping: windows that have ended. */
export function expireAuthFailures(env: Env, now: number): Promise<unknown> {
  return deleteEndedWindows(env.DB, now, throttleSettings(env).windowMs)
}
