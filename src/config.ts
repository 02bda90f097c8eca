import type { Env } from './env'
import { DEFAULT_TIMER_LIMITS } from './ci/timers'

/**
 * The Worker's configuration, read from `env` (wrangler.toml `[vars]`, secrets, .dev.vars) and
 * validated in one place: every default lives here. A value that is missing, not a number or out
 * of range falls back to its default rather than failing requests.
 */
export interface Config {
  /** GitLab's external_url without a trailing slash: base of web_url, Link headers, CI_* URLs. */
  externalUrl: string
  /** Largest JSON/form request body accepted (413 beyond). */
  maxBodyBytes: number
  /** The job timers (ci/timers.ts), in seconds. */
  timers: { stuckSeconds: number; pendingNoRunnerSeconds: number; pendingMaxSeconds: number }
  /** How often an open live-log stream checks the caller's access again. */
  liveLogRecheckMs: number
  /** Failed-authentication throttling per client address; limit 0 turns it off. */
  authFailures: { limit: number; windowMs: number }
  /** Git pushes: the largest push body and the largest single (inflated) object. */
  git: { maxPushBytes: number; maxObjectBytes: number }
  /** `include:` sources: CI_TEMPLATE_BASE_URL (absent: templates refused), CI_REMOTE_INCLUDE_ALLOW_PRIVATE. */
  includes: { allowPrivateRemotes: boolean; templateBaseUrl?: string }
  /** Webhook delivery: the delays before each retry (their count is the number of retries), the receiver's time limit. */
  webhooks: { retryDelaysSeconds: number[]; timeoutMs: number }
  /** The GitLab version edgejobs answers as: GET /version and /metadata, and the webhooks' `User-Agent: GitLab/<version>`. */
  gitlabVersion: string
  /** The benchmark's routes, D1 meter and object ping (`npm run bench` only). */
  benchRoutes: boolean
  /** Objects accept `advanceClock` (the test suite only). */
  testClock: boolean
  /**
   * CI_VARIABLES_KEY: 32 bytes (base64) the keys that encrypt CI/CD variable values at rest are
   * derived from (auth/secret-box.ts). Absent or malformed: nothing secret can be stored or read.
   */
  ciVariablesKey?: Uint8Array
}

export const DEFAULTS = {
  externalUrl: 'http://localhost:8787',
  maxBodyBytes: 4 * 1024 * 1024,
  ...DEFAULT_TIMER_LIMITS,
  liveLogRecheckSeconds: 30,
  authFailureLimit: 10,
  authFailureWindowSeconds: 60,
  gitMaxPushBytes: 100 * 1024 * 1024,
  gitMaxObjectBytes: 16 * 1024 * 1024,
  webhookRetryDelaysSeconds: [60, 600, 3600],
  webhookTimeoutSeconds: 10,
  gitlabVersion: '18.6.0',
} as const

const parsed = new WeakMap<object, Config>()

/** The configuration of `env`, parsed once per env object. */
export function configOf(env: Env): Config {
  let config = parsed.get(env)
  if (!config) {
    config = parse(env)
    parsed.set(env, config)
  }
  return config
}

function parse(env: Env): Config {
  return {
    externalUrl: (env.EXTERNAL_URL || DEFAULTS.externalUrl).replace(/\/+$/, ''),
    maxBodyBytes: positive(env.MAX_BODY_BYTES, DEFAULTS.maxBodyBytes),
    timers: {
      stuckSeconds: positive(env.JOB_STUCK_SECONDS, DEFAULTS.stuckSeconds),
      pendingNoRunnerSeconds: positive(env.PENDING_NO_RUNNER_SECONDS, DEFAULTS.pendingNoRunnerSeconds),
      pendingMaxSeconds: positive(env.PENDING_MAX_SECONDS, DEFAULTS.pendingMaxSeconds),
    },
    liveLogRecheckMs: positive(env.LIVE_LOG_RECHECK_SECONDS, DEFAULTS.liveLogRecheckSeconds) * 1000,
    authFailures: {
      limit: Math.floor(atLeastZero(env.AUTH_FAILURE_LIMIT, DEFAULTS.authFailureLimit)),
      windowMs: positive(env.AUTH_FAILURE_WINDOW_SECONDS, DEFAULTS.authFailureWindowSeconds) * 1000,
    },
    git: {
      maxPushBytes: positive(env.GIT_MAX_PUSH_BYTES, DEFAULTS.gitMaxPushBytes),
      maxObjectBytes: positive(env.GIT_MAX_OBJECT_BYTES, DEFAULTS.gitMaxObjectBytes),
    },
    includes: {
      allowPrivateRemotes: env.CI_REMOTE_INCLUDE_ALLOW_PRIVATE === 'true',
      ...(env.CI_TEMPLATE_BASE_URL ? { templateBaseUrl: env.CI_TEMPLATE_BASE_URL } : {}),
    },
    webhooks: {
      retryDelaysSeconds: delays(env.WEBHOOK_RETRY_DELAYS_SECONDS, DEFAULTS.webhookRetryDelaysSeconds),
      timeoutMs: positive(env.WEBHOOK_TIMEOUT_SECONDS, DEFAULTS.webhookTimeoutSeconds) * 1000,
    },
    gitlabVersion: DEFAULTS.gitlabVersion,
    benchRoutes: env.BENCH_ROUTES === '1',
    testClock: env.TEST_CLOCK === '1',
    ...secretKey(env.CI_VARIABLES_KEY),
  }
}

function secretKey(value: string | undefined): { ciVariablesKey?: Uint8Array } {
  if (!value || !/^[A-Za-z0-9+/]{43}=$/.test(value.trim())) return {}
  return { ciVariablesKey: Uint8Array.from(atob(value.trim()), (c) => c.charCodeAt(0)) }
}

function number(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

function positive(value: string | undefined, fallback: number): number {
  const n = number(value)
  return n !== undefined && n > 0 ? n : fallback
}

function atLeastZero(value: string | undefined, fallback: number): number {
  const n = number(value)
  return n !== undefined && n >= 0 ? n : fallback
}

/** A comma-separated list of whole seconds ≥ 0 (empty: no retries); anything else gives the default. */
function delays(value: string | undefined, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback]
  if (value.trim() === '') return []
  const parts = value.split(',').map((part) => number(part.trim()))
  return parts.every((n) => n !== undefined && Number.isInteger(n) && n >= 0 && n <= 43_200) ? (parts as number[]) : [...fallback]
}
