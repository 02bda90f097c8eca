import { describe, expect, it } from 'vitest'
import { startJob } from '../job-driver'
import { apiJson, commitFile, createPipelineFrom, createProject, createToken, createUser, type TestProject } from '../world'
import { jobsByName } from '../job-driver'

/**
 * Issue #9, hole 3: personal access token scopes as GitLab enforces them (lib/api/api_guard.rb):
 * `api` everything, `read_api` GET/HEAD, `read_user` user reads, `read_repository` repository
 * file reads; other scopes none of the API. On the old code every scope could do everything.
 */
const DESCRIPTION = 'The request requires higher privileges than provided by the access token.'

function insufficient(scope: string) {
  return { error: 'insufficient_scope', error_description: DESCRIPTION, scope }
}

async function world(): Promise<{ project: TestProject; jobId: number; tokens: Record<string, string> }> {
  const project = await createProject()
  await commitFile(project, 'README.md', 'hello\n')
  const pipeline = await createPipelineFrom(project, 'job:\n  script: x\n')
  const jobs = await jobsByName(project, pipeline.id)
  await startJob(jobs.job.id)
  const tokens: Record<string, string> = {}
  for (const scope of ['api', 'read_api', 'read_user', 'read_repository', 'write_repository', 'read_registry', 'create_runner']) {
    tokens[scope] = (await createToken(project.owner, { scopes: [scope] })).token
  }
  return { project, jobId: jobs.job.id, tokens }
}

describe('personal access token scopes', () => {
  it('read_api reads but cannot cancel, create projects or pipelines, or commit', async () => {
    const { project, jobId, tokens } = await world()
    const token = tokens.read_api
    expect((await apiJson('GET', `/projects/${project.id}/jobs/${jobId}`, { token })).status).toBe(200)
    expect((await apiJson('GET', '/user', { token })).status).toBe(200)
    expect((await apiJson('GET', `/projects/${project.id}/repository/files/README.md/raw?ref=main`, { token })).status).toBe(200)
    for (const [method, path, body] of [
      ['POST', `/projects/${project.id}/jobs/${jobId}/cancel`, undefined],
      ['POST', '/projects', { name: 'nope' }],
      ['POST', `/projects/${project.id}/pipeline`, { ref: 'main' }],
      ['PUT', `/projects/${project.id}/repository/files/README.md`, { branch: 'main', content: 'x', commit_message: 'x' }],
      ['POST', `/projects/${project.id}/repository/files/new.md`, { branch: 'main', content: 'x', commit_message: 'x' }],
    ] as const) {
      const res = await apiJson(method, path, { token, body })
      expect(res.status, `${method} ${path}`).toBe(403)
      const scope = path.includes('/repository/files/') ? 'read_repository api read_api' : 'api read_api'
      expect(res.body, `${method} ${path}`).toEqual(insufficient(scope))
    }
    const job = await apiJson('GET', `/projects/${project.id}/jobs/${jobId}`, { token: tokens.api })
    expect(job.body.status).toBe('running') // the cancel did not happen
  })

  it('read_user reads /user and users, nothing else', async () => {
    const { project, jobId, tokens } = await world()
    const token = tokens.read_user
    const me = await apiJson('GET', '/user', { token })
    expect(me.status).toBe(200)
    expect(me.body.id).toBe(project.owner.id)
    expect((await apiJson('GET', `/projects/${project.id}/jobs/${jobId}`, { token })).body).toEqual(insufficient('api read_api'))
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${jobId}/cancel`, { token })).status).toBe(403)
    const tokenForMe = await apiJson('POST', `/users/${project.owner.id}/personal_access_tokens`, { token, body: { name: 'x', scopes: ['api'] } })
    expect(tokenForMe.status).toBe(403)
    expect(tokenForMe.body).toEqual(insufficient('read_user api read_api'))
  })

  it('read_repository reads repository files only; write_repository is for git, not the API', async () => {
    const { project, jobId, tokens } = await world()
    const raw = await apiJson('GET', `/projects/${project.id}/repository/files/README.md/raw?ref=main`, { token: tokens.read_repository })
    expect(raw.status).toBe(200)
    expect(raw.body).toBe('hello\n')
    const write = await apiJson('POST', `/projects/${project.id}/repository/files/other.md`, {
      token: tokens.read_repository,
      body: { branch: 'main', content: 'x', commit_message: 'x' },
    })
    expect(write.status).toBe(403)
    expect(write.body).toEqual(insufficient('read_repository api read_api'))
    expect((await apiJson('GET', `/projects/${project.id}/jobs/${jobId}`, { token: tokens.read_repository })).status).toBe(403)
    for (const method of ['GET', 'POST'] as const) {
      const path = method === 'GET' ? '/repository/files/README.md/raw?ref=main' : '/repository/files/w.md'
      const res = await apiJson(method, `/projects/${project.id}${path}`, {
        token: tokens.write_repository,
        body: method === 'POST' ? { branch: 'main', content: 'x', commit_message: 'x' } : undefined,
      })
      expect(res.status, method).toBe(403)
    }
  })

  it('read_registry and other scopes open none of the API; create_runner creates runners only', async () => {
    const { project, tokens } = await world()
    const me = await apiJson('GET', '/user', { token: tokens.read_registry })
    expect(me.status).toBe(403)
    expect(me.body).toEqual(insufficient('read_user api read_api'))
    expect((await apiJson('GET', `/projects/${project.id}`, { token: tokens.read_registry })).status).toBe(403)
    const runner = await apiJson('POST', '/user/runners', { token: tokens.create_runner, body: { runner_type: 'project_type', project_id: project.id } })
    expect(runner.status).toBe(201)
    expect((await apiJson('GET', `/projects/${project.id}`, { token: tokens.create_runner })).status).toBe(403)
    const other = await createUser()
    expect((await apiJson('GET', '/user', { token: other.token })).status).toBe(200) // api still does everything
  })

  it('a revoked or expired token is still 401, whatever its scopes', async () => {
    const { project } = await world()
    const expired = await createToken(project.owner, { scopes: ['read_registry'], expires_at: new Date().toISOString().slice(0, 10) })
    expect((await apiJson('GET', '/user', { token: expired.token })).status).toBe(401)
  })
})
