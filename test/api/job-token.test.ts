import { describe, expect, it } from 'vitest'
import { SimulatedRunner, type RunnerJob } from '../runner-client'
import { addMember, apiJson, createPipelineFrom, createProject, createUser, type TestProject } from '../world'

const ONE_JOB = `
build:
  script: make
`

async function runningJob(project?: TestProject): Promise<{ project: TestProject; job: RunnerJob }> {
  const owner = project ?? (await createProject())
  await createPipelineFrom(owner, ONE_JOB)
  const runner = await SimulatedRunner.create(owner.owner.token, { runner_type: 'project_type', project_id: owner.id })
  const job = (await runner.requestJob())!
  expect((await job.accept()).status).toBe(200)
  return { project: owner, job }
}

describe('GET /job', () => {
  it('returns the Job entity for a running job token in the header, the query or a Bearer header', async () => {
    const { project, job } = await runningJob()
    const viaHeader = await apiJson('GET', '/job', { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(viaHeader.status).toBe(200)
    expect(viaHeader.body).toMatchObject({
      id: job.id, name: 'build', status: 'running', user: { username: project.owner.username },
      pipeline: { project_id: project.id }, artifacts: [], runner: { runner_type: 'project_type' },
    })
    expect((await apiJson('GET', `/job?job_token=${job.token}`, { token: null })).body.id).toBe(job.id)
    expect((await apiJson('GET', '/job', { token: null, headers: { Authorization: `Bearer ${job.token}` } })).body.id).toBe(job.id)
  })

  it('is 401 without credentials or with a bad or finished token, and 404 Job Not Found for a personal token', async () => {
    const { project, job } = await runningJob()
    expect((await apiJson('GET', '/job', { token: null })).status).toBe(401)
    expect(await apiJson('GET', '/job', { token: null, headers: { 'JOB-TOKEN': 'glcbt-nope' } })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } })
    expect(await apiJson('GET', '/job', { token: project.owner.token })).toMatchObject({ status: 404, body: { message: '404 Job Not Found' } })
    expect((await job.finish('success')).status).toBe(200)
    expect((await apiJson('GET', '/job', { token: null, headers: { 'JOB-TOKEN': job.token } })).status).toBe(401)
  })

  it('keeps working while the job is canceling', async () => {
    const { project, job } = await runningJob()
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${job.id}/cancel`, { token: project.owner.token })).body.status).toBe('canceling')
    const self = await apiJson('GET', '/job', { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(self).toMatchObject({ status: 200, body: { status: 'canceling' } })
  })
})

describe('GET /job/allowed_agents', () => {
  it('lists the agents registered in the job\'s project with job, pipeline, project and user roles', async () => {
    const project = await createProject()
    const developer = await createUser()
    await addMember(project, developer, 30)
    const agent = await apiJson('POST', `/projects/${project.id}/cluster_agents`, { token: project.owner.token, body: { name: 'prod-agent', configuration: { default_namespace: 'apps' } } })
    expect(agent.status).toBe(201)
    expect(agent.body).toMatchObject({ name: 'prod-agent', config_project: { id: project.id, path_with_namespace: project.path_with_namespace } })
    const { job } = await runningJob(project)
    const res = await apiJson('GET', '/job/allowed_agents', { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      allowed_agents: [{ id: agent.body.id, config_project: agent.body.config_project, configuration: { default_namespace: 'apps' } }],
      job: { id: job.id },
      pipeline: { id: expect.any(Number) },
      project: { id: project.id, groups: [] },
      user: { id: project.owner.id, username: project.owner.username, roles_in_project: ['guest', 'planner', 'reporter', 'developer', 'maintainer', 'owner', 'security_manager'] },
    })
    expect((await apiJson('GET', '/job/allowed_agents', { token: developer.token })).status).toBe(404)
    expect((await apiJson('GET', '/job/allowed_agents', { token: null })).status).toBe(401)
  })

  it('answers an empty list when the project has no agents', async () => {
    const { job } = await runningJob()
    const res = await apiJson('GET', '/job/allowed_agents', { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(res.body.allowed_agents).toEqual([])
  })
})

describe('POST /projects/:id/cluster_agents', () => {
  it('needs a maintainer, a valid name, and a name not yet taken', async () => {
    const project = await createProject()
    const developer = await createUser()
    await addMember(project, developer, 30)
    const path = `/projects/${project.id}/cluster_agents`
    expect((await apiJson('POST', path, { token: developer.token, body: { name: 'a1' } })).status).toBe(403)
    expect((await apiJson('POST', path, { token: project.owner.token, body: {} })).body).toEqual({ error: 'name is missing' })
    expect((await apiJson('POST', path, { token: project.owner.token, body: { name: 'Bad_Name' } })).status).toBe(400)
    expect((await apiJson('POST', path, { token: project.owner.token, body: { name: 'a1' } })).status).toBe(201)
    expect(await apiJson('POST', path, { token: project.owner.token, body: { name: 'a1' } })).toMatchObject({ status: 400, body: { message: { name: ['has already been taken'] } } })
  })
})

describe('job tokens on the jobs lists', () => {
  it('read their own project and are refused (403) on another project of the same user', async () => {
    const { project, job } = await runningJob()
    const own = await apiJson('GET', `/projects/${project.id}/jobs`, { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(own.status).toBe(200)
    expect(own.body.map((j: { id: number }) => j.id)).toContain(job.id)
    const other = await createProject({ owner: project.owner })
    const denied = await apiJson('GET', `/projects/${other.id}/jobs`, { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(denied).toMatchObject({
      status: 403,
      body: { message: `403 Forbidden - Authentication by CI/CD job token not allowed from ${project.path_with_namespace} to project #${other.id}.` },
    })
    // Routes without job-token support ignore the header: no user, 401.
    expect((await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: null, headers: { 'JOB-TOKEN': job.token } })).status).toBe(401)
  })
})
