import { describe, expect, it } from 'vitest'
import { AVAILABLE_STATUSES, type JobStatus } from '../../src/ci/statuses'
import { applyEvent, type JobEvent } from '../../src/ci/transitions'
import type { JobState } from '../../src/ci/types'

const NOW = 1_700_000_000_000

function state(status: JobStatus, extra: Partial<JobState> = {}): JobState {
  return {
    kind: 'build',
    status,
    when: 'on_success',
    allowFailure: false,
    allowFailureExitCodes: [],
    retried: false,
    queuedAt: null,
    startedAt: null,
    finishedAt: null,
    scheduledAt: null,
    failureReason: null,
    exitCode: null,
    timeout: null,
    startInSeconds: null,
    ...extra,
  }
}

type Kind = 'build' | 'bridge'

/** Every event with the statuses it leaves from and where it goes; any other status: no change. */
const ALLOWED: Array<[string, JobEvent, Kind, Partial<Record<JobStatus, JobStatus>>]> = [
  // from waiting_for_resource it is GitLab's enqueue_waiting (the job got its resource group's resource)
  ['enqueue', { type: 'enqueue' }, 'build', { created: 'pending', skipped: 'pending', manual: 'pending', scheduled: 'pending', waiting_for_resource: 'pending' }],
  ['enqueue (bridge)', { type: 'enqueue' }, 'bridge', { created: 'pending', skipped: 'pending', manual: 'pending', scheduled: 'pending', waiting_for_resource: 'pending' }],
  ['request_resource', { type: 'request_resource' }, 'build', { created: 'waiting_for_resource', skipped: 'waiting_for_resource', manual: 'waiting_for_resource', scheduled: 'waiting_for_resource' }],
  ['run', { type: 'run' }, 'build', { pending: 'running' }],
  ['success', { type: 'success' }, 'build', {
    created: 'success', waiting_for_resource: 'success', preparing: 'success', waiting_for_callback: 'success',
    pending: 'success', running: 'success', canceling: 'canceled',
  }],
  ['drop', { type: 'drop', reason: 'script_failure', exitCode: 1 }, 'build', {
    created: 'failed', waiting_for_resource: 'failed', preparing: 'failed', waiting_for_callback: 'failed',
    pending: 'failed', running: 'failed', manual: 'failed', scheduled: 'failed', canceling: 'canceled',
  }],
  ['cancel (graceful runner)', { type: 'cancel', graceful: true }, 'build', {
    created: 'canceled', waiting_for_resource: 'canceled', preparing: 'canceled', waiting_for_callback: 'canceled',
    pending: 'canceled', running: 'canceling', scheduled: 'canceled', manual: 'canceled',
  }],
  ['cancel (hard)', { type: 'cancel', graceful: false }, 'build', {
    created: 'canceled', waiting_for_resource: 'canceled', preparing: 'canceled', waiting_for_callback: 'canceled',
    pending: 'canceled', running: 'canceled', scheduled: 'canceled', manual: 'canceled',
  }],
  ['cancel (bridge never goes to canceling)', { type: 'cancel', graceful: true }, 'bridge', {
    created: 'canceled', waiting_for_resource: 'canceled', preparing: 'canceled', waiting_for_callback: 'canceled',
    pending: 'canceled', running: 'canceled', scheduled: 'canceled', manual: 'canceled',
  }],
  ['force_cancel', { type: 'force_cancel' }, 'build', { canceling: 'canceled' }],
  ['force_cancel (bridge)', { type: 'force_cancel' }, 'bridge', {}],
  ['skip', { type: 'skip' }, 'build', { created: 'skipped', waiting_for_resource: 'skipped', preparing: 'skipped', pending: 'skipped' }],
  ['actionize', { type: 'actionize' }, 'build', { created: 'manual' }],
  ['actionize (bridge)', { type: 'actionize' }, 'bridge', { created: 'manual' }],
  ['schedule', { type: 'schedule' }, 'build', { created: 'scheduled' }],
  ['schedule (bridge)', { type: 'schedule' }, 'bridge', {}],
  ['unschedule', { type: 'unschedule' }, 'build', { scheduled: 'manual' }],
  ['process', { type: 'process' }, 'build', { skipped: 'created', manual: 'created' }],
  ['enqueue_scheduled', { type: 'enqueue_scheduled' }, 'build', { scheduled: 'pending' }],
  ['bridge_status success', { type: 'bridge_status', status: 'success' }, 'bridge', Object.fromEntries(
    AVAILABLE_STATUSES.filter((s) => s !== 'success').map((s) => [s, 'success']))],
  ['bridge_status skipped', { type: 'bridge_status', status: 'skipped' }, 'bridge', Object.fromEntries(
    AVAILABLE_STATUSES.filter((s) => s !== 'failed').map((s) => [s, 'failed']))],
  ['bridge_status running', { type: 'bridge_status', status: 'running' }, 'bridge', {}],
  ['bridge_status (build)', { type: 'bridge_status', status: 'success' }, 'build', {}],
]

const MATRIX = ALLOWED.flatMap(([name, event, kind, allowed]) =>
  AVAILABLE_STATUSES.map((from) => [name, from, event, kind, allowed[from]] as const),
)

describe('applyEvent: which statuses each event leaves from', () => {
  it.each(MATRIX)('%s from %s', (_name, from, event, kind, to) => {
    expect(applyEvent(state(from, { kind }), event, NOW)?.status).toBe(to)
  })
})

describe('applyEvent: timestamps', () => {
  it.each<[JobStatus, JobEvent]>([
    ['created', { type: 'enqueue' }],
    ['skipped', { type: 'enqueue' }],
    ['manual', { type: 'enqueue' }],
    ['scheduled', { type: 'enqueue_scheduled' }],
  ])('entering pending from %s sets queuedAt', (from, event) => {
    expect(applyEvent(state(from, { queuedAt: 1 }), event, NOW)?.queuedAt).toBe(NOW)
  })

  it('running sets startedAt', () => {
    expect(applyEvent(state('pending', { queuedAt: 1 }), { type: 'run' }, NOW)).toMatchObject({ startedAt: NOW, queuedAt: 1 })
  })

  it.each<[JobStatus, JobEvent, JobStatus]>([
    ['running', { type: 'success' }, 'success'],
    ['running', { type: 'drop', reason: 'script_failure' }, 'failed'],
    ['pending', { type: 'cancel', graceful: false }, 'canceled'],
    ['canceling', { type: 'success' }, 'canceled'],
    ['canceling', { type: 'drop', reason: null }, 'canceled'],
    ['canceling', { type: 'force_cancel' }, 'canceled'],
  ])('%s + %o finishes the job as %s', (from, event, to) => {
    expect(applyEvent(state(from, { startedAt: 1 }), event, NOW)).toMatchObject({ status: to, finishedAt: NOW })
  })

  it('canceling does not finish the job yet', () => {
    expect(applyEvent(state('running', { startedAt: 1 }), { type: 'cancel', graceful: true }, NOW)?.finishedAt).toBeNull()
  })

  it('schedule sets scheduledAt from start_in', () => {
    expect(applyEvent(state('created', { startInSeconds: 300 }), { type: 'schedule' }, NOW)?.scheduledAt).toBe(NOW + 300_000)
  })

  it.each<[JobEvent, JobStatus]>([
    [{ type: 'enqueue_scheduled' }, 'pending'],
    [{ type: 'unschedule' }, 'manual'],
    [{ type: 'cancel', graceful: false }, 'canceled'],
    [{ type: 'drop', reason: 'stale_schedule' }, 'failed'],
  ])('leaving scheduled (%o) clears scheduledAt', (event, to) => {
    expect(applyEvent(state('scheduled', { scheduledAt: NOW - 1 }), event, NOW)).toMatchObject({ status: to, scheduledAt: null })
  })

  it('enqueue_scheduled waits until scheduledAt has come', () => {
    expect(applyEvent(state('scheduled', { scheduledAt: NOW + 1 }), { type: 'enqueue_scheduled' }, NOW)).toBeUndefined()
    expect(applyEvent(state('scheduled', { scheduledAt: NOW }), { type: 'enqueue_scheduled' }, NOW)?.status).toBe('pending')
    expect(applyEvent(state('scheduled'), { type: 'enqueue_scheduled' }, NOW)?.status).toBe('pending')
  })
})

describe('applyEvent: drop', () => {
  it.each<[string | null, string]>([
    ['script_failure', 'script_failure'],
    ['runner_system_failure', 'runner_system_failure'],
    ['job_canceled', 'unknown_failure'],
    ['made_up', 'unknown_failure'],
    [null, 'unknown_failure'],
  ])('reason %s is stored as %s', (reason, stored) => {
    expect(applyEvent(state('running'), { type: 'drop', reason }, NOW)?.failureReason).toBe(stored)
  })

  it.each<[number | null | undefined, number[], number | null, boolean]>([
    [137, [137], 137, true],
    [1, [137], 1, false],
    [null, [137], null, false],
    [undefined, [], null, false],
    [70000, [], 32767, false],
  ])('exit code %s with allow_failure:exit_codes %j → exitCode %s, allowFailure %s', (exitCode, codes, stored, allowFailure) => {
    const job = state('running', { allowFailureExitCodes: codes })
    expect(applyEvent(job, { type: 'drop', reason: 'script_failure', exitCode }, NOW)).toMatchObject({ exitCode: stored, allowFailure })
  })

  it('job_execution_timeout bills only the configured timeout', () => {
    const job = state('running', { startedAt: NOW - 10_000_000, timeout: 3600 })
    const dropped = applyEvent(job, { type: 'drop', reason: 'job_execution_timeout' }, NOW)
    expect(dropped?.finishedAt).toBe(NOW - 10_000_000 + 3_600_000)
  })

  it('job_execution_timeout without a known timeout finishes now', () => {
    const job = state('running', { startedAt: NOW - 10 })
    expect(applyEvent(job, { type: 'drop', reason: 'job_execution_timeout' }, NOW)?.finishedAt).toBe(NOW)
  })

  it('a canceling job that reports failure is canceled without a failure reason', () => {
    const job = state('canceling', { startedAt: 1 })
    expect(applyEvent(job, { type: 'drop', reason: 'script_failure', exitCode: 1 }, NOW)).toMatchObject({
      status: 'canceled',
      failureReason: null,
      exitCode: null,
    })
  })
})

describe('applyEvent: bridges mirror their downstream pipeline', () => {
  it('inherit_failed records unknown_failure', () => {
    const bridge = state('running', { kind: 'bridge' })
    expect(applyEvent(bridge, { type: 'bridge_status', status: 'failed' }, NOW)).toMatchObject({
      status: 'failed',
      failureReason: 'unknown_failure',
      finishedAt: NOW,
    })
  })

  it('leaving failed drops the failure reason', () => {
    const bridge = state('failed', { kind: 'bridge', failureReason: 'unknown_failure' })
    expect(applyEvent(bridge, { type: 'bridge_status', status: 'success' }, NOW)).toMatchObject({
      status: 'success',
      failureReason: null,
    })
  })
})

it('does not mutate the job it is given', () => {
  const job = state('pending')
  applyEvent(job, { type: 'run' }, NOW)
  expect(job).toEqual(state('pending'))
})
