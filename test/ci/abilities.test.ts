import { describe, expect, it } from 'vitest'
import { isCancelable, isErasable, isForceCancelable, isPlayable, isRetryable } from '../../src/ci/abilities'
import type { JobStatus } from '../../src/ci/statuses'

type Kind = 'build' | 'bridge'

describe('isRetryable', () => {
  it.each<[JobStatus, Kind, boolean, string | null, boolean]>([
    ['success', 'build', false, null, true],
    ['failed', 'build', false, 'script_failure', true],
    ['canceled', 'build', false, null, true],
    ['canceling', 'build', false, null, true],
    ['running', 'build', false, null, false],
    ['pending', 'build', false, null, false],
    ['manual', 'build', false, null, false],
    ['skipped', 'build', false, null, false],
    ['created', 'build', false, null, false],
    ['success', 'build', true, null, false],
    ['failed', 'build', false, 'deployment_rejected', false],
    ['failed', 'bridge', false, 'pipeline_loop_detected', false],
    ['failed', 'bridge', false, 'reached_max_descendant_pipelines_depth', false],
    ['failed', 'build', false, 'pipeline_loop_detected', true],
    ['failed', 'bridge', false, 'downstream_pipeline_creation_failed', true],
  ])('%s %s (retried=%s, reason %s) → %s', (status, kind, retried, failureReason, expected) => {
    expect(isRetryable({ status, kind, retried, failureReason })).toBe(expected)
  })
})

describe('isPlayable', () => {
  it.each<[JobStatus, string, Kind, boolean, boolean]>([
    ['manual', 'manual', 'build', false, true],
    ['scheduled', 'delayed', 'build', false, true],
    ['success', 'manual', 'build', false, true], // finished manual job: play retries it
    ['failed', 'delayed', 'build', false, true],
    ['success', 'manual', 'build', true, false],
    ['running', 'manual', 'build', false, false],
    ['created', 'manual', 'build', false, false],
    ['success', 'on_success', 'build', false, false],
    ['manual', 'manual', 'bridge', false, true],
    ['success', 'manual', 'bridge', false, false],
    ['manual', 'on_success', 'bridge', false, false],
  ])('%s when:%s %s (retried=%s) → %s', (status, when, kind, retried, expected) => {
    expect(isPlayable({ status, when, kind, retried, failureReason: null })).toBe(expected)
  })
})

describe('isErasable', () => {
  it.each<[JobStatus, boolean, boolean, boolean]>([
    ['success', true, false, true],
    ['failed', false, true, true],
    ['canceled', true, true, true],
    ['skipped', false, true, true],
    ['success', false, false, false],
    ['running', true, true, false],
    ['canceling', true, true, false],
    ['manual', true, true, false],
  ])('%s artifacts=%s trace=%s → %s', (status, hasArtifacts, hasTrace, expected) => {
    expect(isErasable({ status, hasArtifacts, hasTrace })).toBe(expected)
  })
})

describe('isCancelable / isForceCancelable', () => {
  it.each<[JobStatus, boolean, boolean]>([
    ['created', true, false],
    ['waiting_for_resource', true, false],
    ['preparing', true, false],
    ['waiting_for_callback', true, false],
    ['pending', true, false],
    ['running', true, false],
    ['scheduled', true, false],
    ['canceling', false, true],
    ['manual', false, false],
    ['success', false, false],
    ['failed', false, false],
    ['canceled', false, false],
    ['skipped', false, false],
  ])('%s → cancelable %s, force-cancelable %s', (status, cancelable, forceCancelable) => {
    expect(isCancelable(status)).toBe(cancelable)
    expect(isForceCancelable(status)).toBe(forceCancelable)
  })
})
