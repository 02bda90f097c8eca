import { describe, expect, it } from 'vitest'
import { autoRetryAllowed } from '../../src/ci/auto-retry'
import { FAILURE_REASONS, isRecoverable, normalizeFailureReason } from '../../src/ci/failure-reasons'
import type { RetryPolicy } from '../../src/ci/types'

const retry = (max: number, when: string[] = ['always'], exitCodes: number[] = []): RetryPolicy => ({ max, when, exitCodes })

describe('autoRetryAllowed (Gitlab::Ci::Build::AutoRetry)', () => {
  it.each<[string, RetryPolicy | undefined, string | null, number | null, number, boolean]>([
    ['no retry: keyword', undefined, 'script_failure', 1, 0, false],
    ['retry:max 0', retry(0), 'script_failure', 1, 0, false],
    ['max above the count', retry(2), 'script_failure', 1, 1, true],
    ['max equals the count', retry(2), 'script_failure', 1, 2, false],
    ['null reason reads as unknown_failure', retry(1, ['unknown_failure']), null, null, 0, true],
    ['when lists the reason', retry(1, ['runner_system_failure']), 'runner_system_failure', null, 0, true],
    ['when lists another reason', retry(1, ['runner_system_failure']), 'script_failure', 1, 0, false],
    ['legacy alias stuck_or_timeout_failure', retry(2, ['stuck_or_timeout_failure']), 'no_updates_running', null, 0, true],
    ['legacy alias job_execution_timeout', retry(2, ['job_execution_timeout']), 'server_timeout_running', null, 0, true],
    ['exit code listed', retry(2, [], [137]), 'script_failure', 137, 0, true],
    ['exit code not listed', retry(2, [], [137]), 'script_failure', 1, 0, false],
    ['no exit code', retry(2, [], [137]), 'script_failure', null, 0, false],
    ['scheduler_failure retried twice by default', undefined, 'scheduler_failure', null, 1, true],
    ['scheduler_failure default exhausted', undefined, 'scheduler_failure', null, 2, false],
    ['retry:max 0 overrides the scheduler_failure default', retry(0), 'scheduler_failure', null, 0, false],
    ['policy not matching falls back to the default', retry(1, ['script_failure']), 'scheduler_failure', null, 1, true],
    ['override: missing_dependency_failure', retry(2), 'missing_dependency_failure', null, 0, false],
    ['override: ci_quota_exceeded', retry(2), 'ci_quota_exceeded', null, 0, false],
    ['override: no_matching_runner', retry(2), 'no_matching_runner', null, 0, false],
    ['override: environment_creation_failure', retry(2), 'environment_creation_failure', null, 0, false],
    ['override: forward_deployment_failure', retry(2), 'forward_deployment_failure', null, 0, false],
    ['a rejected deployment is not retryable', retry(2), 'deployment_rejected', null, 0, false],
  ])('%s', (_name, policy, failureReason, exitCode, retriesCount, expected) => {
    expect(autoRetryAllowed({ retry: policy, failureReason, exitCode, retriesCount })).toBe(expected)
  })
})

describe('failure reasons', () => {
  it('lists every GitLab reason once, unknown_failure first', () => {
    expect(FAILURE_REASONS[0]).toBe('unknown_failure')
    expect(new Set(FAILURE_REASONS).size).toBe(FAILURE_REASONS.length)
    expect(FAILURE_REASONS).toContain('job_token_expired')
    expect(FAILURE_REASONS).toContain('runner_interrupted')
  })

  it.each<[string | null | undefined, string]>([
    ['script_failure', 'script_failure'],
    ['job_canceled', 'unknown_failure'],
    ['', 'unknown_failure'],
    [null, 'unknown_failure'],
    [undefined, 'unknown_failure'],
  ])('normalizes %s to %s', (reason, normalized) => {
    expect(normalizeFailureReason(reason)).toBe(normalized)
  })

  it.each<[string | null, boolean]>([
    ['script_failure', false],
    ['missing_dependency_failure', false],
    ['archived_failure', false],
    ['scheduler_failure', false],
    ['data_integrity_failure', false],
    ['runner_system_failure', true],
    [null, true],
  ])('%s recoverable → %s', (reason, recoverable) => {
    expect(isRecoverable(reason)).toBe(recoverable)
  })
})
