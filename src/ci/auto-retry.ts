import { FAILURE_REASON_ALIASES, normalizeFailureReason } from './failure-reasons'
import type { RetryPolicy } from './types'

/**
 * Gitlab::Ci::Build::AutoRetry (state-machine.md §8, "Automatic retry"), asked when a build
 * enters failed. Source: gitlabhq lib/gitlab/ci/build/auto_retry.rb (version with exit_codes).
 */

/** These failures are never retried automatically, whatever `retry:` says. */
const RETRY_OVERRIDES: Readonly<Record<string, number>> = {
  ci_quota_exceeded: 0,
  no_matching_runner: 0,
  missing_dependency_failure: 0,
  forward_deployment_failure: 0,
  environment_creation_failure: 0,
}

/** Retried even without `retry:`. */
const DEFAULT_RETRIES: Readonly<Record<string, number>> = {
  scheduler_failure: 2,
}

export function autoRetryAllowed(args: {
  retry: RetryPolicy | undefined
  failureReason: string | null
  exitCode: number | null
  retriesCount: number
}): boolean {
  const reason = normalizeFailureReason(args.failureReason)
  // The job must still be retryable?; a rejected deployment is not.
  if (reason === 'deployment_rejected') return false
  const max = maxAllowedRetries(args.retry, reason, args.exitCode)
  return max > 0 && max > args.retriesCount
}

/** RETRY_OVERRIDES, else `retry:max` when the policy matches, else the default, else 0. */
function maxAllowedRetries(retry: RetryPolicy | undefined, reason: string, exitCode: number | null): number {
  if (reason in RETRY_OVERRIDES) return RETRY_OVERRIDES[reason]
  if (retry && (retriesOnReason(retry, reason) || retriesOnExitCode(retry, exitCode))) return retry.max
  return DEFAULT_RETRIES[reason] ?? 0
}

/** `retry:when` lists the reason, an alias of it, or `always`. */
function retriesOnReason(retry: RetryPolicy, reason: string): boolean {
  return retry.when.some((listed) => listed === 'always' || listed === reason || (FAILURE_REASON_ALIASES[listed] ?? []).includes(reason))
}

function retriesOnExitCode(retry: RetryPolicy, exitCode: number | null): boolean {
  return exitCode !== null && retry.exitCodes.includes(exitCode)
}
