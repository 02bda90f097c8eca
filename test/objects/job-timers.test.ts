import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { eventually, jobsByName, startJob } from '../job-driver'
import { apiJson, createPipelineFrom, createProject } from '../world'
import { jobStub } from '../stubs'

/** The job object's clock moves forward (TEST_CLOCK), then its alarm fires as the runtime would. */
function stub(jobId: number) {
  return jobStub(jobId)
}

describe('JobObject timers', () => {
  it('fails a running job past its timeout with job_execution_timeout and retries it when retry: allows', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'slow:\n  script: sleep 1000\n  timeout: 10 minutes\n  retry: 1\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.slow.id)
    const row = await env.DB.prepare('SELECT timeout FROM jobs WHERE id = ?').bind(jobs.slow.id).first<{ timeout: number }>()
    expect(row!.timeout).toBe(600)
    await stub(jobs.slow.id).advanceClock(601_000)
    expect(await runDurableObjectAlarm(stub(jobs.slow.id))).toBe(true)
    const job = await apiJson('GET', `/projects/${project.id}/jobs/${jobs.slow.id}`, { token: project.owner.token })
    expect(job.body).toMatchObject({ status: 'failed', failure_reason: 'job_execution_timeout' })
    await eventually(async () => {
      const latest = await jobsByName(project, pipeline.id)
      expect(latest.slow.id).not.toBe(jobs.slow.id)
      expect(latest.slow.status).toBe('pending')
    })
  })

  it('fails a running job that stopped reporting with no_updates_running', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'quiet:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.quiet.id)
    await stub(jobs.quiet.id).advanceClock(31 * 60_000)
    expect(await runDurableObjectAlarm(stub(jobs.quiet.id))).toBe(true)
    const job = await apiJson('GET', `/projects/${project.id}/jobs/${jobs.quiet.id}`, { token: project.owner.token })
    expect(job.body).toMatchObject({ status: 'failed', failure_reason: 'no_updates_running' })
  })

  it('keeps a job that the runner touched recently', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'busy:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.busy.id)
    await stub(jobs.busy.id).advanceClock(31 * 60_000)
    await stub(jobs.busy.id).touch(jobs.busy.id)
    await runDurableObjectAlarm(stub(jobs.busy.id))
    const job = await apiJson('GET', `/projects/${project.id}/jobs/${jobs.busy.id}`, { token: project.owner.token })
    expect(job.body.status).toBe('running')
  })

  it('fails a job pending for an hour with no runner able to take it', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'lonely:\n  script: x\n  tags: [gpu]\n')
    const jobs = await jobsByName(project, pipeline.id)
    expect(jobs.lonely.status).toBe('pending')
    await stub(jobs.lonely.id).advanceClock(61 * 60_000)
    expect(await runDurableObjectAlarm(stub(jobs.lonely.id))).toBe(true)
    const job = await apiJson('GET', `/projects/${project.id}/jobs/${jobs.lonely.id}`, { token: project.owner.token })
    expect(job.body).toMatchObject({ status: 'failed', failure_reason: 'stuck_pending_no_matching_runners' })
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}`, { token: project.owner.token })).toMatchObject({ body: { status: 'failed' } })
  })
})
