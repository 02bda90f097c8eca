import { describe, expect, it } from 'vitest'
import { jobDuration, jobQueuedDuration, pipelineDuration } from '../../src/ci/durations'
import type { JobStatus } from '../../src/ci/statuses'

const NOW = 1_000_000

describe('jobDuration', () => {
  it.each<[number | null, number | null, number | null]>([
    [null, null, null],
    [NOW - 1500, null, 1.5],
    [NOW - 10_000, NOW - 4_000, 6],
  ])('started %s finished %s → %s s', (startedAt, finishedAt, expected) => {
    expect(jobDuration({ startedAt, finishedAt }, NOW)).toBe(expected)
  })
})

describe('jobQueuedDuration', () => {
  it.each<[number | null, number | null, number | null, number | null]>([
    [null, null, null, null],
    [NOW - 2500, null, null, 2.5],
    [NOW - 10_000, NOW - 7_000, NOW, 3],
    // GitLab keeps counting for a job canceled while pending (queued_duration ignores finished_at).
    [NOW - 10_000, null, NOW - 9_000, 10],
  ])('queued %s started %s finished %s → %s s', (queuedAt, startedAt, finishedAt, expected) => {
    expect(jobQueuedDuration({ queuedAt, startedAt, finishedAt }, NOW)).toBe(expected)
  })
})

describe('pipelineDuration', () => {
  const job = (status: JobStatus, startedAt: number | null, finishedAt: number | null) => ({ status, startedAt, finishedAt })

  it.each<[string, ReturnType<typeof job>[], number | null]>([
    ['no jobs', [], null],
    ['nothing started', [job('pending', null, null), job('skipped', null, null)], null],
    ['one job', [job('success', 1_000, 4_000)], 3],
    // GitLab's own example: A(1,3) B(2,4) C(6,7) → 4
    ['overlapping periods are merged', [job('success', 6_000, 7_000), job('failed', 1_000, 3_000), job('success', 2_000, 4_000)], 4],
    ['a period inside another adds nothing', [job('success', 1_000, 10_000), job('success', 2_000, 3_000)], 9],
    ['touching periods merge', [job('success', 1_000, 2_000), job('success', 2_000, 3_000)], 2],
    ['a running job counts up to now', [job('running', NOW - 5_000, null)], 5],
    ['canceled jobs count', [job('canceled', 0, 2_000)], 2],
    ['manual, skipped and canceling jobs do not', [job('manual', 0, 9_000), job('canceling', 0, 9_000), job('success', 0, 1_000)], 1],
    ['whole seconds, truncated', [job('success', 0, 2_999)], 2],
  ])('%s', (_name, jobs, expected) => {
    expect(pipelineDuration(jobs, NOW)).toBe(expected)
  })
})
