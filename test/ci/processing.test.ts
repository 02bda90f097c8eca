import { describe, expect, it } from 'vitest'
import { pipelineStatus, processPipeline, stageStatuses } from '../../src/ci/processing'
import { jobsToReopen } from '../../src/ci/reset-skipped'
import type { JobStatus } from '../../src/ci/statuses'
import type { ProcessableJob } from '../../src/ci/types'

let nextId = 1

function job(name: string, stageIdx: number, status: JobStatus, extra: Partial<ProcessableJob> = {}): ProcessableJob {
  return {
    id: nextId++,
    name,
    stageIdx,
    status,
    allowFailure: false,
    when: 'on_success',
    needs: null,
    enqueueImmediately: false,
    ...extra,
  }
}

const needs = (...names: string[]) => names.map((name) => ({ name, optional: false, artifacts: true }))

/** name → event decided in one pass (only decided jobs appear). */
function decisionsByName(jobs: ProcessableJob[]): Record<string, string> {
  const { decisions } = processPipeline(jobs)
  const names = new Map(jobs.map((j) => [j.id, j.name]))
  return Object.fromEntries(decisions.map((d) => [names.get(d.jobId), d.event]))
}

describe('processPipeline (AtomicProcessingService)', () => {
  it.each<[string, () => ProcessableJob[], Record<string, string>]>([
    [
      'a blocking manual job is actionized and holds back the next stage',
      () => [
        job('build', 0, 'success'),
        job('deploy', 1, 'created', { when: 'manual', allowFailure: false }),
        job('verify', 2, 'created'),
      ],
      { deploy: 'actionize' },
    ],
    [
      'a non-blocking manual job is actionized and the next stage runs in the same pass',
      () => [
        job('build', 0, 'success'),
        job('deploy', 1, 'created', { when: 'manual', allowFailure: true }),
        job('verify', 2, 'created'),
      ],
      { deploy: 'actionize', verify: 'enqueue' },
    ],
    [
      'needs let a job skip ahead of an unfinished stage',
      () => [
        job('compile', 0, 'running'),
        job('lint', 0, 'success'),
        job('test', 1, 'created'),
        job('deploy', 2, 'created', { needs: needs('lint') }),
      ],
      { deploy: 'enqueue' },
    ],
    [
      'needs: [] starts at once',
      () => [job('compile', 0, 'running'), job('docs', 1, 'created', { needs: [] })],
      { docs: 'enqueue' },
    ],
    [
      'a failing job with allow_failure lets the next stage run',
      () => [job('flaky', 0, 'failed', { allowFailure: true }), job('test', 1, 'created')],
      { test: 'enqueue' },
    ],
    [
      'after a failure on_failure jobs run and on_success jobs are skipped',
      () => [
        job('build', 0, 'failed'),
        job('notify', 1, 'created', { when: 'on_failure' }),
        job('test', 1, 'created'),
      ],
      { notify: 'enqueue', test: 'skip' },
    ],
    [
      'on_failure jobs are skipped when everything passed',
      () => [job('build', 0, 'success'), job('notify', 1, 'created', { when: 'on_failure' })],
      { notify: 'skip' },
    ],
    [
      'always jobs run after a failure',
      () => [job('build', 0, 'failed'), job('cleanup', 1, 'created', { when: 'always' })],
      { cleanup: 'enqueue' },
    ],
    [
      'always jobs do not run after a cancel',
      () => [job('build', 0, 'canceled'), job('cleanup', 1, 'created', { when: 'always' })],
      { cleanup: 'skip' },
    ],
    [
      'a delayed job is scheduled',
      () => [job('build', 0, 'success'), job('rollout', 1, 'created', { when: 'delayed' })],
      { rollout: 'schedule' },
    ],
    [
      'a failed job skips every later on_success job, stage after stage',
      () => [job('build', 0, 'failed'), job('test', 1, 'created'), job('deploy', 2, 'created')],
      { test: 'skip', deploy: 'skip' },
    ],
    [
      'a DAG job whose need was skipped is skipped',
      () => [job('build', 0, 'skipped'), job('test', 1, 'created', { needs: needs('build') })],
      { test: 'skip' },
    ],
    [
      'a DAG job needing a non-blocking manual job is skipped',
      () => [
        job('approve', 0, 'manual', { when: 'manual', allowFailure: true }),
        job('deploy', 1, 'created', { needs: needs('approve') }),
      ],
      { deploy: 'skip' },
    ],
    [
      'a DAG job with a failed need is skipped',
      () => [job('build', 0, 'failed'), job('test', 1, 'created', { needs: needs('build') })],
      { test: 'skip' },
    ],
    [
      'a stage job accepts a skipped previous stage',
      () => [job('optional', 0, 'skipped'), job('test', 1, 'created')],
      { test: 'enqueue' },
    ],
    [
      'jobs wait while an earlier stage is still running',
      () => [job('build', 0, 'running'), job('test', 1, 'created')],
      {},
    ],
    [
      'a job enqueued in this pass holds back the next stage',
      () => [job('build', 0, 'success'), job('test', 1, 'created'), job('deploy', 2, 'created')],
      { test: 'enqueue' },
    ],
    [
      'a retried manual job is enqueued immediately',
      () => [job('build', 0, 'success'), job('deploy', 1, 'created', { when: 'manual', enqueueImmediately: true })],
      { deploy: 'enqueue' },
    ],
    [
      'missing needed names are ignored',
      () => [job('test', 0, 'created', { needs: needs('does-not-exist') })],
      { test: 'enqueue' },
    ],
    [
      'canceling jobs hold back the next stage',
      () => [job('build', 0, 'canceling'), job('test', 1, 'created')],
      {},
    ],
    [
      'only created jobs are decided',
      () => [job('build', 0, 'success'), job('test', 1, 'pending'), job('lint', 1, 'skipped')],
      {},
    ],
  ])('%s', (_name, build, expected) => {
    expect(decisionsByName(build())).toEqual(expected)
  })

  it('orders jobs of a stage by their needs, so a DAG job sees a need decided in the same pass', () => {
    const jobs = [
      job('build', 0, 'success'),
      job('deploy', 1, 'created', { needs: needs('approve') }),
      job('approve', 1, 'created', { when: 'manual', allowFailure: true }),
    ]
    const { decisions } = processPipeline(jobs)
    expect(decisions).toEqual([
      { jobId: jobs[2].id, event: 'actionize' },
      { jobId: jobs[1].id, event: 'skip' },
    ])
  })

  it('returns the jobs with their new statuses and leaves the input alone', () => {
    const input = [job('build', 0, 'success'), job('deploy', 1, 'created', { when: 'manual' }), job('test', 1, 'created')]
    const { jobs } = processPipeline(input)
    expect(jobs.map((j) => j.status)).toEqual(['success', 'manual', 'pending'])
    expect(input.map((j) => j.status)).toEqual(['success', 'created', 'created'])
  })
})

describe('stageStatuses and pipelineStatus', () => {
  const jobs = [
    job('build', 0, 'success'),
    job('lint', 0, 'failed', { allowFailure: true }),
    job('deploy', 1, 'manual', { when: 'manual' }),
    job('review', 1, 'manual', { when: 'manual', allowFailure: true }),
    job('verify', 2, 'created'),
  ]

  it('computes each stage with the composite, in stage order', () => {
    expect(stageStatuses(jobs)).toEqual([
      { stageIdx: 0, status: 'success' },
      { stageIdx: 1, status: 'manual' },
      { stageIdx: 2, status: 'created' },
    ])
  })

  it.each<[string, ProcessableJob[], JobStatus]>([
    ['a blocking manual job makes the pipeline manual', jobs, 'manual'],
    ['an empty pipeline is success (nil composite)', [], 'success'],
    ['only non-blocking manual jobs is skipped', [job('review', 0, 'manual', { allowFailure: true })], 'skipped'],
    ['a failed job fails the pipeline', [job('a', 0, 'success'), job('b', 1, 'failed')], 'failed'],
    ['part done, part created is running', [job('a', 0, 'success'), job('b', 1, 'created')], 'running'],
  ])('%s', (_name, input, status) => {
    expect(pipelineStatus(input)).toBe(status)
  })
})

describe('jobsToReopen (ResetSkippedJobsService)', () => {
  it('reopens skipped jobs in later stages and skipped DAG descendants, stage by stage in DAG order', () => {
    const jobs = [
      job('build', 0, 'created'), // the retried job
      job('other', 0, 'skipped'), // same stage, not a descendant
      job('test', 1, 'skipped'),
      job('report', 1, 'skipped', { needs: needs('publish') }),
      job('publish', 1, 'skipped', { needs: needs('test') }),
      job('deploy', 2, 'success'),
    ]
    expect(jobsToReopen(jobs, [{ name: 'build', stageIdx: 0 }])).toEqual([jobs[2].id, jobs[4].id, jobs[3].id])
  })

  it('follows needs into the changed stage and through jobs that are not skipped', () => {
    const jobs = [
      job('approve', 1, 'created', { when: 'manual' }),
      job('unrelated', 0, 'skipped'),
      job('gate', 1, 'success', { needs: needs('approve') }),
      job('rollout', 1, 'skipped', { needs: needs('gate') }),
      job('smoke', 2, 'skipped'),
      job('audit', 2, 'failed'),
    ]
    expect(jobsToReopen(jobs, [{ name: 'approve', stageIdx: 1 }])).toEqual([jobs[3].id, jobs[4].id])
  })

  it('reopens nothing when nothing changed', () => {
    expect(jobsToReopen([job('test', 1, 'skipped')], [])).toEqual([])
  })
})
