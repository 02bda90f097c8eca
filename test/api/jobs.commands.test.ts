import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { finishJob, jobsByName, runJob, startJob } from '../job-driver'
import { addMember, api, apiJson, createPipelineFrom, createProject, createUser, type TestProject, type TestUser } from '../world'
import { jobStub } from '../stubs'
import { openList } from '../../src/auth/secret-box'

const CI = `
stages: [build, deploy]
build:
  stage: build
  script: make
other:
  stage: build
  script: make other
deploy:
  stage: deploy
  script: deploy
  when: manual
`

async function withRoles(): Promise<{ project: TestProject; developer: TestUser; reporter: TestUser; maintainer: TestUser; outsider: TestUser }> {
  const project = await createProject()
  const [developer, reporter, maintainer, outsider] = await Promise.all([createUser(), createUser(), createUser(), createUser()])
  await addMember(project, developer, 30)
  await addMember(project, reporter, 20)
  await addMember(project, maintainer, 40)
  return { project, developer, reporter, maintainer, outsider }
}

async function appendLog(jobId: number, text: string): Promise<void> {
  const stub = jobStub(jobId)
  const length = await stub.traceLength()
  await stub.appendTrace(jobId, length, new TextEncoder().encode(text))
}

describe('POST /projects/:id/jobs/:job_id/cancel', () => {
  it('cancels a pending job (201) and leaves finished jobs unchanged (still 201)', async () => {
    const { project, developer } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    const res = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel`, { token: developer.token })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ id: jobs.build.id, status: 'canceled' })
    expect(res.body.finished_at).not.toBeNull()
    await runJob(jobs.other.id, 'success')
    const done = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.other.id}/cancel`, { token: developer.token })
    expect(done).toMatchObject({ status: 201, body: { status: 'success' } })
  })

  it('cancels a running job whose runner cannot cancel gracefully straight to canceled', async () => {
    const { project, developer } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.build.id)
    const res = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel`, { token: developer.token })
    expect(res.body.status).toBe('canceled')
  })

  it('force-cancel needs a maintainer and moves only canceling jobs', async () => {
    const { project, developer, maintainer } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.build.id)
    const denied = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel`, { token: developer.token, body: { force: true } })
    expect(denied).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    // Force does not fall back to a normal cancel.
    const forced = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel?force=true`, { token: maintainer.token })
    expect(forced).toMatchObject({ status: 201, body: { status: 'running' } })
  })

  it('answers reporters 403, outsiders 404, anonymous 401, bad ids 400/404', async () => {
    const { project, reporter, outsider } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    const path = `/projects/${project.id}/jobs/${jobs.build.id}/cancel`
    expect(await apiJson('POST', path, { token: reporter.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect(await apiJson('POST', path, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect(await apiJson('POST', path, { token: null })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } })
    expect(await apiJson('POST', `/projects/${project.id}/jobs/abc/cancel`, { token: project.owner.token })).toMatchObject({ status: 400, body: { error: 'job_id is invalid' } })
    expect(await apiJson('POST', `/projects/${project.id}/jobs/999999999/cancel`, { token: project.owner.token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    expect(await apiJson('POST', `${path}?force=maybe`, { token: project.owner.token })).toMatchObject({ status: 400, body: { error: 'force is invalid' } })
  })
})

describe('POST /projects/:id/jobs/:job_id/retry', () => {
  it('answers 201 with a NEW pending job; the old one keeps its status and is hidden from pipeline lists', async () => {
    const { project, developer } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.build.id, 'failed')
    const res = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/retry`, { token: developer.token })
    expect(res.status).toBe(201)
    expect(res.body.id).not.toBe(jobs.build.id)
    expect(res.body).toMatchObject({ name: 'build', stage: 'build', status: 'pending' })
    expect(res.body.user.username).toBe(developer.username)
    const old = await apiJson('GET', `/projects/${project.id}/jobs/${jobs.build.id}`, { token: developer.token })
    expect(old.body.status).toBe('failed')
    const latest = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/jobs`, { token: developer.token })
    expect(latest.body.map((j: any) => j.id)).not.toContain(jobs.build.id)
    const all = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/jobs?include_retried=true`, { token: developer.token })
    expect(all.body.map((j: any) => j.id)).toContain(jobs.build.id)
    // A retried job cannot be retried again.
    const again = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/retry`, { token: developer.token })
    expect(again).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not retryable' } })
  })

  it('refuses jobs that are not finished and reporters; ignores `inputs` (not a REST param)', async () => {
    const { project, reporter } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    const pending = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/retry`, { token: project.owner.token })
    expect(pending).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not retryable' } })
    expect(await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/retry`, { token: reporter.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    await runJob(jobs.build.id, 'success')
    // lib/api/ci/jobs.rb: retry declares only job_id (job inputs are GraphQL's), so Grape drops `inputs`.
    const inputs = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/retry`, { token: project.owner.token, body: { inputs: { x: 1 } } })
    expect(inputs).toMatchObject({ status: 201, body: { name: 'build', status: 'pending' } })
    const manual = await createPipelineFrom(project, 'deploy:\n  script: make\n  when: manual\n')
    const deploy = (await jobsByName(project, manual.id)).deploy
    const played = await apiJson('POST', `/projects/${project.id}/jobs/${deploy.id}/play`, { token: project.owner.token, body: { job_inputs: { x: 1 }, inputs: { y: 2 } } })
    expect(played).toMatchObject({ status: 200, body: { status: 'pending' } })
  })

  it('retries bridges too', async () => {
    const project = await createProject()
    const { commitFile } = await import('../world')
    await commitFile(project, 'child.yml', 'c:\n  script: x\n')
    const pipeline = await createPipelineFrom(project, 'kid:\n  trigger:\n    include: child.yml\n')
    // The downstream pipeline is made after the response (CreateDownstreamPipelineWorker): wait for it.
    let bridge: any
    for (let tries = 0; tries < 100; tries++) {
      const bridges = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/bridges`, { token: project.owner.token })
      bridge = bridges.body[0]
      if (bridge.status !== 'pending' && bridge.status !== 'created') break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(bridge.status).toBe('success')
    const res = await apiJson('POST', `/projects/${project.id}/jobs/${bridge.id}/retry`, { token: project.owner.token })
    expect(res.status).toBe(201)
    expect(res.body.name).toBe('kid')
    expect(res.body).not.toHaveProperty('runner_manager')
  })
})

describe('POST /projects/:id/jobs/:job_id/erase', () => {
  it('erases a finished job with a log: 201, erased_at and an empty trace', async () => {
    const { project, maintainer } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.build.id)
    await appendLog(jobs.build.id, 'hello\n')
    await finishJob(jobs.build.id, 'success')
    const before = await api('GET', `/projects/${project.id}/jobs/${jobs.build.id}/trace`, { token: maintainer.token })
    expect(await before.text()).toBe('hello\n')
    const res = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/erase`, { token: maintainer.token })
    expect(res.status).toBe(201)
    expect(res.body.erased_at).not.toBeNull()
    expect(res.body.status).toBe('success')
    expect(res.body.artifacts).toEqual([])
    const after = await api('GET', `/projects/${project.id}/jobs/${jobs.build.id}/trace`, { token: maintainer.token })
    expect(after.status).toBe(200)
    expect(await after.text()).toBe('')
    expect(await env.BLOBS.get(`jobs/${jobs.build.id}/trace/job.log`)).toBeNull()
    const twice = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/erase`, { token: maintainer.token })
    expect(twice).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not erasable!' } })
  })

  it('lets a developer erase only jobs they triggered; unfinished or empty jobs are not erasable', async () => {
    const { project, developer } = await withRoles()
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    const running = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/erase`, { token: project.owner.token })
    expect(running).toMatchObject({ status: 403, body: { message: '403 Forbidden - Job is not erasable!' } })
    await runJob(jobs.build.id, 'success')
    // No log, no artifacts: nothing to erase.
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/erase`, { token: project.owner.token })).body).toEqual({ message: '403 Forbidden - Job is not erasable!' })
    // The owner triggered it: a developer may not erase it.
    expect(await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/erase`, { token: developer.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
  })
})

describe('POST /projects/:id/jobs/:job_id/play', () => {
  async function manualJob() {
    const roles = await withRoles()
    const pipeline = await createPipelineFrom(roles.project, CI)
    let jobs = await jobsByName(roles.project, pipeline.id)
    await runJob(jobs.build.id, 'success')
    await runJob(jobs.other.id, 'success')
    jobs = await jobsByName(roles.project, pipeline.id)
    expect(jobs.deploy.status).toBe('manual')
    return { ...roles, pipeline, jobs }
  }

  it('plays a manual job: 200, pending, played by the caller, variables stored', async () => {
    const { project, developer, jobs } = await manualJob()
    const res = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, {
      token: developer.token,
      body: { job_variables_attributes: [{ key: 'TARGET', value: 'prod' }] },
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: jobs.deploy.id, status: 'pending' })
    expect(res.body.user.username).toBe(developer.username)
    const row = await env.DB.prepare('SELECT job_variables FROM jobs WHERE id = ?').bind(jobs.deploy.id).first<{ job_variables: string }>()
    // Stored encrypted (auth/secret-box.ts): the row holds no plaintext.
    expect(row!.job_variables).toMatch(/^enc:v1:/)
    expect(row!.job_variables).not.toContain('prod')
    expect(await openList(env, row!.job_variables)).toEqual([{ key: 'TARGET', value: 'prod' }])
  })

  it('validates variables before anything changes', async () => {
    const { project, jobs } = await manualJob()
    const missingKey = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, {
      token: project.owner.token,
      body: { job_variables_attributes: [{ value: 'x' }] },
    })
    expect(missingKey).toMatchObject({ status: 400, body: { error: 'job_variables_attributes[0][key] is missing' } })
    const missingValue = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, {
      token: project.owner.token,
      body: { job_variables_attributes: [{ key: 'A', value: '1' }, { key: 'B' }] },
    })
    expect(missingValue).toMatchObject({ status: 400, body: { error: 'job_variables_attributes[1][value] is missing' } })
    const form = await api('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, {
      token: project.owner.token,
      form: { 'job_variables_attributes[][value]': 'x' },
    })
    expect(await form.json()).toEqual({ error: 'job_variables_attributes[0][key] is missing' })
    const still = await apiJson('GET', `/projects/${project.id}/jobs/${jobs.deploy.id}`, { token: project.owner.token })
    expect(still.body.status).toBe('manual')
  })

  it('answers 400 Unplayable Job for non-manual jobs and 403 for reporters', async () => {
    const { project, reporter, jobs } = await manualJob()
    const notManual = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/play`, { token: project.owner.token })
    expect(notManual).toMatchObject({ status: 400, body: { message: '400 Bad request - Unplayable Job' } })
    expect(await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, { token: reporter.token })).toMatchObject({ status: 403 })
  })

  it('retries a finished manual job when played again', async () => {
    const { project, jobs } = await manualJob()
    await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, { token: project.owner.token })
    await runJob(jobs.deploy.id, 'success')
    const again = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, { token: project.owner.token })
    expect(again.status).toBe(200)
    expect(again.body.id).not.toBe(jobs.deploy.id)
    expect(again.body.status).toBe('pending')
  })
})
