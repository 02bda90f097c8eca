import { describe, expect, it } from 'vitest'
import { DEFAULT_TIMER_LIMITS as L, dueAction, nextDeadline, type TimedJob } from '../../src/ci/timers'

const MIN = 60_000
const base: TimedJob = { status: 'running', queuedAt: 0, startedAt: 0, timeout: 3600, lastUpdateAt: 0 }

describe('job timers', () => {
  it.each<[string, TimedJob, number, unknown]>([
    ['running within timeout and recently updated', { ...base, lastUpdateAt: 50 * MIN }, 59 * MIN, undefined],
    ['running past its timeout', { ...base, lastUpdateAt: 59 * MIN }, 60 * MIN, { drop: 'job_execution_timeout' }],
    ['running with no update for 30 minutes', { ...base, timeout: 7200 }, 30 * MIN, { drop: 'no_updates_running' }],
    ['canceling with no update for 30 minutes', { ...base, status: 'canceling' }, 30 * MIN, { drop: 'no_updates_canceling' }],
    ['pending for an hour', { ...base, status: 'pending', startedAt: null }, 60 * MIN, { dropIfNoRunner: 'stuck_pending_no_matching_runners' }],
    ['pending for a day', { ...base, status: 'pending', startedAt: null }, 24 * 60 * MIN, { drop: 'stuck_pending_with_matching_runners' }],
    ['success never', { ...base, status: 'success' }, 10_000 * MIN, undefined],
  ])('%s', (_name, job, now, expected) => {
    expect(dueAction(job, L, now)).toEqual(expected)
  })

  it('schedules the earliest deadline', () => {
    expect(nextDeadline({ ...base, timeout: 600 }, L)).toBe(10 * MIN)
    expect(nextDeadline({ ...base, lastUpdateAt: 5 * MIN }, L)).toBe(35 * MIN)
    expect(nextDeadline({ ...base, status: 'pending', startedAt: null }, L)).toBe(60 * MIN)
    expect(nextDeadline({ ...base, status: 'manual' }, L)).toBeNull()
  })
})
