import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually, finishJob, jobsByName, runJob, startJob } from '../job-driver'
import { api, apiJson, commitFile, createPipelineFrom, createProject, createUser, encodedPath, type TestProject } from '../world'
import { jobStub } from '../stubs'

/** GET /projects/:id/jobs/:job_id (gitlab-behavior.md §3.6, §2.1, §2.2). */

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe('GET /projects/:id/jobs/:job_id', () => {
  let project: TestProject
  let pipeline: any
  let jobs: Record<string, any>
  let bridge: any

  beforeAll(async () => {
    project = await createProject()
    await commitFile(project, 'child.yml', 'child_job:\n  script: echo child\n')
    pipeline = await createPipelineFrom(
      project,
      'stages: [build, deploy]\nok:\n  stage: build\n  script: a\nbad:\n  stage: build\n  script: b\n  allow_failure: true\nchild:\n  stage: deploy\n  trigger:\n    include: child.yml\n',
    )
    jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.ok.id, 'success')
    await runJob(jobs.bad.id, 'failed', { failureReason: 'runner_system_failure' })
    bridge = await eventually(async () => {
      const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/bridges`, { token: project.owner.token })
      expect(res.body[0].downstream_pipeline).not.toBeNull()
      return res.body[0]
    })
  })

  const show = (id: number | string, token: string | null = project.owner.token) => apiJson('GET', `/projects/${project.id}/jobs/${id}`, { token })

  it('returns the Job entity of a build', async () => {
    const res = await show(jobs.ok.id)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
    expect(res.body).toMatchObject({ id: jobs.ok.id, name: 'ok', stage: 'build', status: 'success', ref: 'main', tag: false })
    expect(res.body.pipeline).toMatchObject({ id: pipeline.id, project_id: project.id, ref: 'main', sha: pipeline.sha })
    expect(res.body.finished_at).toMatch(ISO_MS)
    expect(res.body.web_url).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/jobs/${jobs.ok.id}`)
    expect(res.body).toHaveProperty('runner_manager')
  })

  it('shows failure_reason on a failed job only', async () => {
    const failed = await show(jobs.bad.id)
    expect(failed.body).toMatchObject({ status: 'failed', failure_reason: 'runner_system_failure', allow_failure: true })
    expect((await show(jobs.ok.id)).body).not.toHaveProperty('failure_reason')
  })

  it('finds the project by its encoded path', async () => {
    const res = await apiJson('GET', `/projects/${encodedPath(project)}/jobs/${jobs.ok.id}`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(res.body.id).toBe(jobs.ok.id)
  })

  it('a bridge id → 404 Not found', async () => {
    const res = await show(bridge.id)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Not found' })
  })

  it('a job of another project → 404 Not found', async () => {
    const other = await createProject({ owner: project.owner })
    const foreign = await createPipelineFrom(other, 'x:\n  script: x\n')
    const foreignJob = (await jobsByName(other, foreign.id)).x
    const res = await show(foreignJob.id)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Not found' })
    // …while it is there in its own project.
    expect((await apiJson('GET', `/projects/${other.id}/jobs/${foreignJob.id}`, { token: project.owner.token })).status).toBe(200)
  })

  it('a child pipeline build of this project is found', async () => {
    const childJobs = await eventually(async () => {
      const res = await jobsByName(project, bridge.downstream_pipeline.id)
      expect(res.child_job).toBeDefined()
      return res
    })
    const res = await show(childJobs.child_job.id)
    expect(res.status).toBe(200)
    expect(res.body.pipeline.id).toBe(bridge.downstream_pipeline.id)
  })

  it('an unknown job id → 404 Not found', async () => {
    const res = await show(99999999)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Not found' })
  })

  it.each([['abc'], ['1.5'], ['12abc']])('job_id=%s → 400 job_id is invalid', async (id) => {
    const res = await show(id)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'job_id is invalid' })
  })

  it('an unknown project → 404 Project Not Found', async () => {
    const res = await apiJson('GET', `/projects/99999999/jobs/${jobs.ok.id}`)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Project Not Found' })
  })

  it('anonymous → 401, even with an invalid job_id', async () => {
    for (const id of [jobs.ok.id, 'abc']) {
      const res = await show(id, null)
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
  })

  it('an invalid token → 401, even with an invalid job_id', async () => {
    const res = await show('abc', 'glpat-nope')
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ message: '401 Unauthorized' })
  })

  it('job tokens are not accepted here → 401', async () => {
    const other = await createPipelineFrom(project, 'long:\n  script: sleep\n')
    const running = (await jobsByName(project, other.id)).long
    const token = await startJob(running.id)
    const res = await api('GET', `/projects/${project.id}/jobs/${running.id}`, { token: null, headers: { 'JOB-TOKEN': token } })
    expect(res.status).toBe(401)
    // The same token does list the project's jobs (job_token_allowed there).
    expect((await api('GET', `/projects/${project.id}/jobs`, { token: null, headers: { 'JOB-TOKEN': token } })).status).toBe(200)
  })

  it('a running job reports running, started_at and a growing duration', async () => {
    const other = await createPipelineFrom(project, 'busy:\n  script: sleep\n')
    const busy = (await jobsByName(project, other.id)).busy
    await startJob(busy.id)
    const first = (await show(busy.id)).body
    expect(first).toMatchObject({ status: 'running', finished_at: null })
    expect(first.started_at).toMatch(ISO_MS)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const second = (await show(busy.id)).body
    expect(second.duration).toBeGreaterThan(first.duration)
    // Once started, the queued time is fixed.
    expect(second.queued_duration).toBe(first.queued_duration)
  })

  it('a non-member of a private project → 404 Project Not Found', async () => {
    const stranger = await createUser()
    const res = await show(jobs.ok.id, stranger.token)
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Project Not Found' })
  })

  it('erased jobs show erased_at and keep their status', async () => {
    const other = await createPipelineFrom(project, 'logged:\n  script: x\n')
    const logged = (await jobsByName(project, other.id)).logged
    await startJob(logged.id)
    const stub = jobStub(logged.id)
    await stub.appendTrace(logged.id, 0, new TextEncoder().encode('log line\n'))
    await finishJob(logged.id, 'success')
    const erased = await apiJson('POST', `/projects/${project.id}/jobs/${logged.id}/erase`, { token: project.owner.token })
    expect(erased.status).toBe(201)
    const res = (await show(logged.id)).body
    expect(res.status).toBe('success')
    expect(res.erased_at).toMatch(ISO_MS)
    expect(res.artifacts).toEqual([])
    expect(res).not.toHaveProperty('artifacts_file')
  })
})
