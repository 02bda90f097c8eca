import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { ROUND_TRIPS_HEADER } from '../../src/bench/d1-meter'
import { jobsByName, startJob } from '../job-driver'
import { SimulatedRunner } from '../runner-client'
import { BASE, commitFile, createPipelineFrom, createProject, type TestProject } from '../world'

/**
 * Cost is behaviour (GitLab's N+1 guard, in spirit): the D1 round trips the reads and the
 * runner's poll promise, counted by the same meter `npm run bench` uses (src/bench/d1-meter.ts),
 * on the Worker called with metering on. A change that adds a query to one of these paths fails
 * here, whatever the page size.
 */
async function roundTrips(path: string, init: { method?: string; token?: string; json?: unknown } = {}): Promise<{ status: number; trips: number }> {
  const headers = new Headers()
  if (init.token) headers.set('PRIVATE-TOKEN', init.token)
  if (init.json !== undefined) headers.set('Content-Type', 'application/json')
  const request = new Request(`${BASE}${path}`, { method: init.method ?? 'GET', headers, body: init.json === undefined ? undefined : JSON.stringify(init.json) })
  const ctx = createExecutionContext()
  const response = await worker.fetch(request, { ...env, BENCH_ROUTES: '1' }, ctx)
  await response.arrayBuffer()
  await waitOnExecutionContext(ctx)
  return { status: response.status, trips: Number(response.headers.get(ROUND_TRIPS_HEADER)) }
}

async function world(): Promise<{ project: TestProject; pipelineId: number; jobs: Record<string, any> }> {
  const project = await createProject()
  await commitFile(project, 'README.md', 'hello\n')
  const jobsYaml = Array.from({ length: 12 }, (_, i) => `job${i}:\n  script: echo ${i}\n`).join('')
  const pipeline = await createPipelineFrom(project, jobsYaml)
  return { project, pipelineId: pipeline.id, jobs: await jobsByName(project, pipeline.id) }
}

describe('D1 round trips', () => {
  it('a project job list is one round trip, for a small page and a full one', async () => {
    const { project } = await world()
    const token = project.owner.token
    for (const perPage of [1, 5, 20]) {
      expect(await roundTrips(`/projects/${project.id}/jobs?per_page=${perPage}`, { token })).toEqual({ status: 200, trips: 1 })
    }
    expect(await roundTrips(`/projects/${project.id}/jobs?pagination=keyset&per_page=3`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/jobs?scope[]=pending&scope[]=running`, { token })).toEqual({ status: 200, trips: 1 })
  })

  it("a pipeline's jobs and one job are one round trip each", async () => {
    const { project, pipelineId, jobs } = await world()
    const token = project.owner.token
    expect(await roundTrips(`/projects/${project.id}/pipelines/${pipelineId}/jobs?per_page=20`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/jobs/${jobs.job0.id}`, { token })).toEqual({ status: 200, trips: 1 })
  })

  it("a job's trace is one round trip (its bytes come from the job's object or R2)", async () => {
    const { project, jobs } = await world()
    await startJob(jobs.job0.id)
    expect(await roundTrips(`/projects/${project.id}/jobs/${jobs.job0.id}/trace`, { token: project.owner.token })).toEqual({ status: 200, trips: 1 })
  })

  it('POST /jobs/request: an idle poll is two round trips, a poll that gets a job a bounded few', async () => {
    const { project } = await world()
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    const body = () => ({ token: runner.token, system_id: runner.systemId, info: runner.info() })
    // The runner was heartbeated by verify just now, so no heartbeat write: auth, then the queue.
    const picked = await roundTrips('/jobs/request', { method: 'POST', json: body() })
    expect(picked.status).toBe(201)
    // auth + queue candidates + the job's payload batch (pipeline, project, user, dependencies, dotenv,
    // branch, instance and project variables)
    expect(picked.trips).toBe(3)
    const other = await createProject()
    const idleRunner = await SimulatedRunner.create(other.owner.token, { runner_type: 'project_type', project_id: other.id })
    const idle = await roundTrips('/jobs/request', { method: 'POST', json: { token: idleRunner.token, system_id: idleRunner.systemId, info: idleRunner.info() } })
    expect(idle).toEqual({ status: 204, trips: 2 })
  })

  it("a project's variables, one variable and the protected branches are one round trip each (encrypted values decrypted in the Worker)", async () => {
    const { project } = await world()
    const token = project.owner.token
    for (const key of ['A', 'B', 'C']) {
      expect((await roundTrips(`/projects/${project.id}/variables`, { method: 'POST', token, json: { key, value: `value-${key}` } })).status).toBe(201)
    }
    expect(await roundTrips(`/projects/${project.id}/variables`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/variables/B`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/protected_branches`, { token })).toEqual({ status: 200, trips: 1 })
  })
})

describe('D1 round trips of the pipeline reads and triggers', () => {
  it('triggers, a pipeline\'s variables and its test report are one round trip; the latest pipeline two (its ref\'s head comes from the repository object)', async () => {
    const { project, pipelineId } = await world()
    const token = project.owner.token
    const trigger = await roundTrips(`/projects/${project.id}/triggers`, { method: 'POST', token, json: { description: 'x' } })
    expect(trigger.status).toBe(201)
    expect(await roundTrips(`/projects/${project.id}/triggers?per_page=5`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/pipelines/${pipelineId}/variables`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/pipelines/${pipelineId}/test_report`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/pipelines/${pipelineId}/test_report_summary`, { token })).toEqual({ status: 200, trips: 1 })
    expect(await roundTrips(`/projects/${project.id}/pipelines/latest`, { token })).toEqual({ status: 200, trips: 2 })
  })
})
