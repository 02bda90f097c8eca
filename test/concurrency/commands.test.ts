import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { compositeStatus } from '../../src/ci/composite'
import { pipelineStatus } from '../../src/ci/processing'
import { AVAILABLE_STATUSES } from '../../src/ci/statuses'
import { processable } from '../../src/objects/PipelineObject'
import type { JobRow } from '../../src/db/jobs'
import { jobsByName, runJob, startJob } from '../job-driver'
import { api, apiJson, createPipelineFrom, createProject } from '../world'
import { jobStub, pipelineStub } from '../stubs'

/**
 * 100 jobs, 10 conflicting commands each, all fired at once: cancel vs retry vs play vs erase vs
 * a runner reporting success. Afterwards every job is in one valid state, each successful retry
 * made exactly one new job, D1 agrees with what the objects answered, and every pipeline's
 * status is the composite rule applied to its latest jobs.
 */
const CI = Array.from({ length: 10 }, (_, i) => `j${i}:\n  script: run ${i}\n${i >= 4 && i <= 6 ? '  when: manual\n  allow_failure: false\n' : ''}`).join('')

type Kind = 'cancel' | 'retry' | 'play' | 'erase' | 'runner'
const PLAN: Record<string, Kind[]> = {
  pending: ['cancel', 'cancel', 'cancel', 'runner', 'runner', 'runner', 'retry', 'retry', 'play', 'erase'],
  manual: ['play', 'play', 'play', 'cancel', 'cancel', 'cancel', 'retry', 'retry', 'erase', 'erase'],
  failed: ['retry', 'retry', 'retry', 'retry', 'erase', 'erase', 'erase', 'cancel', 'cancel', 'play'],
}

async function runnerSuccess(jobId: number): Promise<string> {
  const stub = jobStub(jobId)
  const assigned = await stub.assign(jobId, { runnerId: 0, runnerManagerId: null, timeout: 3600 })
  if (!assigned) return 'not-assigned'
  const row = await stub.runnerUpdate(jobId, { state: 'success' })
  return `runner:${row?.status}`
}

describe('concurrent conflicting commands', () => {
  it('leaves 100 jobs consistent after 1,000 simultaneous commands', async () => {
    const project = await createProject()
    const first = await createPipelineFrom(project, CI)
    const more = await Promise.all(
      Array.from({ length: 9 }, () => apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })),
    )
    const pipelines = [first, ...more.map((res) => res.body)]
    const targets: Array<{ id: number; pipelineId: number; state: keyof typeof PLAN }> = []
    for (const pipeline of pipelines) {
      const jobs = await jobsByName(project, pipeline.id)
      for (let i = 0; i < 10; i++) {
        const job = jobs[`j${i}`]
        if (i >= 7) {
          await startJob(job.id)
          const stub = jobStub(job.id)
          await stub.appendTrace(job.id, 0, new TextEncoder().encode(`log of ${job.id}\n`))
          await runJob(job.id, 'failed').catch(async () => {
            await stub.runnerUpdate(job.id, { state: 'failed', failureReason: 'script_failure' })
          })
        }
        targets.push({ id: job.id, pipelineId: pipeline.id, state: i >= 7 ? 'failed' : i >= 4 ? 'manual' : 'pending' })
      }
    }
    expect(targets).toHaveLength(100)

    const base = `/projects/${project.id}/jobs`
    const token = project.owner.token
    const fire = (kind: Kind, jobId: number): Promise<string> => {
      if (kind === 'runner') return runnerSuccess(jobId)
      return api('POST', `${base}/${jobId}/${kind}`, { token }).then(async (res) => `${kind}:${res.status}:${res.status < 300 ? (await res.json<any>()).id : ''}`)
    }
    const commands = targets.flatMap((t) => PLAN[t.state].map((kind) => ({ kind, target: t })))
    const outcomes = await Promise.all(commands.map((c) => fire(c.kind, c.target.id)))
    expect(outcomes).toHaveLength(1000)
    expect(outcomes.filter((o) => /:5\d\d:/.test(o))).toEqual([])

    const { results: rows } = await env.DB.prepare('SELECT * FROM jobs WHERE project_id = ?').bind(project.id).all<JobRow>()
    // Every job is in exactly one valid state.
    for (const row of rows) expect(AVAILABLE_STATUSES).toContain(row.status)

    // Each successful retry (or play that retried) created exactly one new job, and no job has two latest copies.
    const retried = rows.filter((r) => r.retried === 1)
    const clones = rows.filter((r) => !targets.some((t) => t.id === r.id))
    const newIdsFromResponses = new Set(
      outcomes.filter((o) => /^(retry|play):20[01]:/.test(o)).map((o) => Number(o.split(':')[2])).filter((id) => !targets.some((t) => t.id === id)),
    )
    expect(clones.length).toBe(retried.length)
    expect(new Set(clones.map((c) => c.id))).toEqual(newIdsFromResponses)
    for (const pipeline of pipelines) {
      const latest = rows.filter((r) => r.pipeline_id === pipeline.id && r.retried === 0)
      expect(latest.map((r) => r.name).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `j${i}`).sort())
    }

    // D1 agrees with what each object reports through the API.
    for (const row of rows.slice(0, 20)) {
      const res = await api('GET', `${base}/${row.id}`, { token })
      expect((await res.json<any>()).status).toBe(row.status)
    }

    // Pipeline statuses equal the composite rule over their latest jobs (after processing settles).
    for (const pipeline of pipelines) {
      const stub = pipelineStub(pipeline.id)
      await stub.process(pipeline.id)
      const { results: latest } = await env.DB.prepare('SELECT * FROM jobs WHERE pipeline_id = ? AND retried = 0').bind(pipeline.id).all<JobRow>()
      const stored = await env.DB.prepare('SELECT status FROM pipelines WHERE id = ?').bind(pipeline.id).first<{ status: string }>()
      expect(stored!.status).toBe(pipelineStatus(latest.map(processable)))
      expect(compositeStatus(latest.map((r) => ({ status: r.status, allowFailure: r.allow_failure === 1 }))).status ?? 'success').toBe(stored!.status)
    }

    const tally: Record<string, number> = {}
    for (const o of outcomes) {
      const key = o.split(':').slice(0, 2).join(':')
      tally[key] = (tally[key] ?? 0) + 1
    }
    console.log('concurrency outcomes', JSON.stringify({ commands: outcomes.length, retriedJobs: retried.length, tally }))
  }, 120_000)
})
