import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { runnerListStatements, STALE_TIMEOUT_MS, type RunnerViewRow } from '../../src/db/runner-lists'
import { runnerOfView } from '../../src/present/runner'
import { linksOf } from '../link-header'
import { SimulatedRunner } from '../runner-client'
import { addMember, api, apiJson, createPipelineFrom, createProject, createUser, type TestProject } from '../world'

/**
 * The runners API for users (lib/api/ci/runners.rb: GET /runners, /runners/all, /runners/:id,
 * PUT and DELETE /runners/:id, /runners/:id/jobs, /runners/:id/managers, /projects/:id/runners;
 * Entities::Ci::Runner, RunnerDetails, JobBasicWithProject; Ci::RunnerPolicy; Ci::Runner
 * validations and HasRunnerStatus scopes, ONLINE_CONTACT_TIMEOUT 2 h, STALE_TIMEOUT 7 days).
 */
async function projectRunner(project: TestProject, body: Record<string, unknown> = {}, verify = true) {
  const created = await apiJson('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'project_type', project_id: project.id, ...body } })
  expect(created.status).toBe(201)
  const runner = new SimulatedRunner(created.body.token)
  if (verify) expect((await runner.verify()).status).toBe(200)
  return { id: created.body.id as number, runner }
}

describe('GET /runners, /runners/all, /projects/:id/runners', () => {
  it('lists the runners of projects the caller maintains, with GitLab\'s filters', async () => {
    const project = await createProject()
    const maintainer = await createUser()
    const developer = await createUser()
    await addMember(project, maintainer, 40)
    await addMember(project, developer, 30)
    const online = await projectRunner(project, { description: 'online', tag_list: 'docker,linux' })
    const never = await projectRunner(project, { description: 'never', paused: true }, false)
    const list = async (query: string, token = maintainer.token) => (await apiJson('GET', `/runners?${query}`, { token })).body.map((r: any) => r.id)
    const all = await apiJson('GET', '/runners', { token: maintainer.token })
    expect(all.status).toBe(200)
    expect(all.body).toEqual([
      { id: online.id, description: 'online', ip_address: null, active: true, paused: false, is_shared: false, runner_type: 'project_type', name: null, online: true,
        created_by: expect.objectContaining({ id: project.owner.id }), created_at: expect.any(String), status: 'online', job_execution_status: 'idle' },
      expect.objectContaining({ id: never.id, paused: true, active: false, online: false, status: 'never_contacted' }),
    ])
    expect(all.headers.get('X-Total')).toBe('2')
    expect(await list('', developer.token)).toEqual([])
    expect(await list('status=online')).toEqual([online.id])
    expect(await list('status=never_contacted')).toEqual([never.id])
    expect(await list('paused=true')).toEqual([never.id])
    expect(await list('paused=false')).toEqual([online.id])
    expect(await list('scope=paused')).toEqual([never.id])
    expect(await list('type=instance_type')).toEqual([])
    expect(await list('tag_list=docker')).toEqual([online.id])
    expect(await list('tag_list=docker,windows')).toEqual([])
    expect(await list('version_prefix=19.')).toEqual([online.id])
    expect(await list('version_prefix=18')).toEqual([])
    const paged = await apiJson('GET', '/runners?per_page=1', { token: maintainer.token })
    expect(paged.body.map((r: any) => r.id)).toEqual([online.id])
    expect(linksOf(paged.headers).next).toContain('page=2')
    // A declared scope this endpoint does not take, and undeclared values.
    expect(await apiJson('GET', '/runners?scope=shared', { token: maintainer.token })).toMatchObject({ status: 400, body: { message: 'Scope contains invalid value' } })
    expect(await apiJson('GET', '/runners?scope=nope', { token: maintainer.token })).toMatchObject({ status: 400, body: { error: 'scope does not have a valid value' } })
    expect(await apiJson('GET', '/runners?status=gone', { token: maintainer.token })).toMatchObject({ status: 400, body: { error: 'status does not have a valid value' } })
    expect(await apiJson('GET', '/runners?type=cloud', { token: maintainer.token })).toMatchObject({ status: 400, body: { error: 'type does not have a valid value' } })
    expect(await apiJson('GET', '/runners?version_prefix=abc', { token: maintainer.token })).toMatchObject({ status: 400, body: { error: 'version_prefix is invalid' } })
    expect(await apiJson('GET', '/runners', { token: null })).toMatchObject({ status: 401 })
    // Job tokens are no credential here.
    await createPipelineFrom(project, 'j:\n  script: x\n')
    const job = (await online.runner.requestJob())!
    expect((await job.accept()).status).toBe(200)
    for (const path of ['/runners', `/runners/${online.id}`, `/projects/${project.id}/runners`]) {
      expect((await apiJson('GET', path, { token: null, headers: { 'JOB-TOKEN': job.token } })).status, path).toBe(401)
    }
  })

  it('/runners/all is admins\'; /projects/:id/runners is the project\'s and the instance\'s for maintainers', async () => {
    const project = await createProject()
    const own = await projectRunner(project)
    const instance = await apiJson('POST', '/user/runners', { body: { runner_type: 'instance_type', description: 'shared one' } })
    const maintainer = await createUser()
    const developer = await createUser()
    await addMember(project, maintainer, 40)
    await addMember(project, developer, 30)
    expect(await apiJson('GET', '/runners/all', { token: maintainer.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    const all = (await apiJson('GET', '/runners/all?per_page=100')).body.map((r: any) => r.id)
    expect(all).toEqual(expect.arrayContaining([own.id, instance.body.id]))
    expect((await apiJson('GET', '/runners/all?scope=shared&per_page=100')).body.map((r: any) => r.id)).not.toContain(own.id)
    expect((await apiJson('GET', '/runners/all?scope=specific&per_page=100')).body.map((r: any) => r.id)).not.toContain(instance.body.id)
    const mine = (await apiJson('GET', `/projects/${project.id}/runners?per_page=100`, { token: maintainer.token })).body.map((r: any) => r.id)
    expect(mine).toEqual(expect.arrayContaining([own.id, instance.body.id]))
    expect((await apiJson('GET', `/projects/${project.id}/runners?type=project_type`, { token: maintainer.token })).body.map((r: any) => r.id)).toEqual([own.id])
    expect(await apiJson('GET', `/projects/${project.id}/runners`, { token: developer.token })).toMatchObject({ status: 403 })
    expect(await apiJson('GET', `/projects/${project.id}/runners`, { token: (await createUser()).token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
  })

  it('stale and offline follow the clock (2 hours online, 7 days stale)', async () => {
    const project = await createProject()
    const { id } = await projectRunner(project)
    const view = async (now: number) => {
      const [rows] = await env.DB.batch(runnerListStatements(env.DB, { scopes: [], project: { sql: '?', value: project.id }, now }, { limit: 100, offset: 0 }, 100))
      return (rows.results as RunnerViewRow[]).find((row) => row.id === id)!
    }
    const ids = async (scope: 'online' | 'offline' | 'stale', now: number) => {
      const [rows] = await env.DB.batch(runnerListStatements(env.DB, { scopes: [scope, 'project_type'], project: { sql: '?', value: project.id }, now }, { limit: 100, offset: 0 }, 100))
      return rows.results.map((row: any) => row.id)
    }
    const now = Date.now()
    const later = now + 3 * 60 * 60 * 1000
    const muchLater = now + STALE_TIMEOUT_MS + 1000
    expect(runnerOfView(await view(now), now, '').status).toBe('online')
    expect(runnerOfView(await view(later), later, '')).toMatchObject({ status: 'offline', online: false })
    expect(runnerOfView(await view(muchLater), muchLater, '').status).toBe('stale')
    expect(await ids('online', now)).toEqual([id])
    expect(await ids('offline', later)).toEqual([id])
    expect(await ids('stale', later)).toEqual([])
    expect(await ids('stale', muchLater)).toEqual([id])
  })
})

describe('GET, PUT, DELETE /runners/:id', () => {
  it('shows RunnerDetails to maintainers and admins; instance runners to anyone; others 403', async () => {
    const project = await createProject()
    const { id } = await projectRunner(project, { description: 'd', tag_list: ['b', 'a'], maximum_timeout: 3600, maintenance_note: 'note', access_level: 'ref_protected' })
    const details = await apiJson('GET', `/runners/${id}`, { token: project.owner.token })
    expect(details.status).toBe(200)
    expect(details.body).toMatchObject({
      id, description: 'd', tag_list: ['b', 'a'], run_untagged: true, locked: false, maximum_timeout: 3600, access_level: 'ref_protected',
      version: '19.4.0', revision: 'abcdef12', platform: 'linux', architecture: 'amd64', contacted_at: expect.any(String), maintenance_note: 'note',
      projects: [expect.objectContaining({ id: project.id, path_with_namespace: project.path_with_namespace })], groups: [],
    })
    const developer = await createUser()
    await addMember(project, developer, 30)
    expect(await apiJson('GET', `/runners/${id}`, { token: developer.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden - No access granted' } })
    expect((await apiJson('GET', `/runners/${id}`)).body.projects).toHaveLength(1)
    const instance = await apiJson('POST', '/user/runners', { body: { runner_type: 'instance_type', maintenance_note: 'admins only' } })
    const seen = await apiJson('GET', `/runners/${instance.body.id}`, { token: developer.token })
    expect(seen).toMatchObject({ status: 200, body: { id: instance.body.id, is_shared: true, maintenance_note: null, projects: [] } })
    expect(await apiJson('GET', '/runners/999999999', { token: developer.token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    expect(await apiJson('GET', '/runners/abc', { token: developer.token })).toMatchObject({ status: 400, body: { error: 'id is invalid' } })
    const managers = await apiJson('GET', `/runners/${id}/managers`, { token: project.owner.token })
    expect(managers).toMatchObject({ status: 200, body: [{ system_id: expect.any(String), version: '19.4.0', status: 'online', job_execution_status: 'idle' }] })
    expect((await apiJson('GET', `/runners/${id}/managers`, { token: developer.token })).status).toBe(403)
  })

  it('PUT updates with GitLab\'s validation; pausing stops the runner getting jobs', async () => {
    const project = await createProject()
    const { id, runner } = await projectRunner(project)
    const put = (body: unknown, token = project.owner.token) => apiJson('PUT', `/runners/${id}`, { token, body })
    expect(await put({ description: 'new', tag_list: 'x, y', run_untagged: false, locked: true, maximum_timeout: 700, access_level: 'not_protected', maintenance_note: 'm' }))
      .toMatchObject({ status: 200, body: { id, description: 'new', tag_list: ['x', 'y'], run_untagged: false, locked: true, maximum_timeout: 700, maintenance_note: 'm' } })
    expect(await put({})).toMatchObject({ status: 400, body: { error: 'description, active, paused, tag_list, run_untagged, locked, access_level, maximum_timeout, maintenance_note are missing, at least one parameter must be provided' } })
    expect(await put({ active: true, paused: true })).toMatchObject({ status: 400, body: { error: 'active, paused are mutually exclusive' } })
    expect(await put({ maximum_timeout: 599 })).toMatchObject({ status: 400, body: { message: { maximum_timeout: ['needs to be at least 10 minutes'] } } })
    expect(await put({ tag_list: [] })).toMatchObject({ status: 400, body: { message: { tags_list: ['can not be empty when runner is not allowed to pick untagged jobs'] } } })
    expect(await put({ tag_list: Array.from({ length: 51 }, (_, i) => `t${i}`), run_untagged: true })).toMatchObject({ status: 400, body: { message: { tags_list: ['Too many tags specified. Please limit the number of tags to 50'] } } })
    expect(await put({ access_level: 'everyone' })).toMatchObject({ status: 400, body: { error: 'access_level does not have a valid value' } })
    expect(await put({ paused: 'maybe' })).toMatchObject({ status: 400, body: { error: 'paused is invalid' } })
    // Nothing of the refused updates was written.
    expect((await apiJson('GET', `/runners/${id}`, { token: project.owner.token })).body).toMatchObject({ tag_list: ['x', 'y'], maximum_timeout: 700, access_level: 'not_protected' })
    expect(await put({ description: null, run_untagged: true })).toMatchObject({ status: 200, body: { description: 'new', run_untagged: true } })

    await createPipelineFrom(project, 'job:\n  script: x\n')
    expect(await put({ paused: true })).toMatchObject({ status: 200, body: { paused: true, active: false, status: 'paused' } })
    expect((await runner.poll()).status).toBe(204)
    expect(await put({ active: true })).toMatchObject({ status: 200, body: { paused: false, active: true } })
    expect(await runner.requestJob()).not.toBeNull()

    const developer = await createUser()
    await addMember(project, developer, 30)
    expect(await put({ description: 'x' }, developer.token)).toMatchObject({ status: 403, body: { message: '403 Forbidden - No access granted' } })
    const instance = await apiJson('POST', '/user/runners', { body: { runner_type: 'instance_type' } })
    expect(await apiJson('PUT', `/runners/${instance.body.id}`, { token: project.owner.token, body: { description: 'x' } })).toMatchObject({ status: 403 })
    expect(await apiJson('PUT', `/runners/${instance.body.id}`, { body: { description: 'by admin' } })).toMatchObject({ status: 200, body: { description: 'by admin' } })
  })

  it('a ref_protected runner takes jobs of protected branches only', async () => {
    const project = await createProject()
    const { id, runner } = await projectRunner(project)
    expect(await apiJson('PUT', `/runners/${id}`, { token: project.owner.token, body: { access_level: 'ref_protected' } })).toMatchObject({ status: 200, body: { access_level: 'ref_protected' } })
    await createPipelineFrom(project, 'job:\n  script: x\n')
    expect((await runner.poll()).status).toBe(204)
    // No protected-branches API here yet: the row POST /projects/:id/protected_branches writes.
    await env.DB.prepare("INSERT INTO protected_branches (project_id, name, created_at) VALUES (?, 'main', 0)").bind(project.id).run()
    expect((await runner.requestJob())?.payload.git_info.protected).toBe(true)
  })

  it('POST /runners/:id/reset_authentication_token gives a new token (201); the old one stops working', async () => {
    const project = await createProject()
    const { id, runner } = await projectRunner(project)
    const developer = await createUser()
    await addMember(project, developer, 30)
    expect(await apiJson('POST', `/runners/${id}/reset_authentication_token`, { token: developer.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden - No access granted' } })
    const reset = await apiJson('POST', `/runners/${id}/reset_authentication_token`, { token: project.owner.token })
    expect(reset).toMatchObject({ status: 201, body: { token: expect.stringMatching(/^glrt-/), token_expires_at: null } })
    expect((await runner.poll()).status).toBe(403)
    expect((await new SimulatedRunner(reset.body.token).verify()).status).toBe(200)
  })

  it('DELETE removes the runner (204; 412 when changed since; 403 for others)', async () => {
    const project = await createProject()
    const { id, runner } = await projectRunner(project)
    const developer = await createUser()
    await addMember(project, developer, 30)
    expect(await apiJson('DELETE', `/runners/${id}`, { token: developer.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden - No access granted' } })
    expect(await apiJson('DELETE', `/runners/${id}`, { token: project.owner.token, headers: { 'If-Unmodified-Since': 'Thu, 01 Jan 2000 00:00:00 GMT' } })).toMatchObject({ status: 412 })
    expect((await api('DELETE', `/runners/${id}`, { token: project.owner.token })).status).toBe(204)
    expect(await apiJson('GET', `/runners/${id}`, { token: project.owner.token })).toMatchObject({ status: 404 })
    expect((await runner.poll()).status).toBe(403)
  })

  it('GET /runners/:id/jobs lists its jobs as JobBasicWithProject, with status, sort and paging', async () => {
    const project = await createProject()
    const { id, runner } = await projectRunner(project)
    await createPipelineFrom(project, 'a:\n  script: x\nb:\n  script: y\n')
    const first = (await runner.requestJob())!
    expect((await first.accept()).status).toBe(200)
    expect((await first.finish('success')).status).toBe(200)
    const second = (await runner.requestJob())!
    expect((await second.accept()).status).toBe(200)
    const jobs = await apiJson('GET', `/runners/${id}/jobs`, { token: project.owner.token })
    expect(jobs.status).toBe(200)
    expect(jobs.body.map((j: any) => j.id)).toEqual([second.id, first.id])
    expect(jobs.body[0]).toMatchObject({ id: second.id, status: 'running', project: { id: project.id, path_with_namespace: project.path_with_namespace, name: expect.any(String) } })
    expect(jobs.headers.get('X-Total')).toBe('2')
    expect((await apiJson('GET', `/runners/${id}/jobs?status=success`, { token: project.owner.token })).body.map((j: any) => j.id)).toEqual([first.id])
    expect((await apiJson('GET', `/runners/${id}/jobs?sort=asc&per_page=1`, { token: project.owner.token })).body.map((j: any) => j.id)).toEqual([first.id])
    expect((await apiJson('GET', `/runners/${id}`, { token: project.owner.token })).body.job_execution_status).toBe('active')
    expect(await apiJson('GET', `/runners/${id}/jobs?status=done`, { token: project.owner.token })).toMatchObject({ status: 400, body: { error: 'status does not have a valid value' } })
    expect(await apiJson('GET', `/runners/${id}/jobs?order_by=name`, { token: project.owner.token })).toMatchObject({ status: 400, body: { error: 'order_by does not have a valid value' } })
    const reporter = await createUser()
    await addMember(project, reporter, 20)
    expect(await apiJson('GET', `/runners/${id}/jobs`, { token: reporter.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden - No access granted' } })
    const withSystem = await apiJson('GET', `/runners/${id}/jobs?system_id=${runner.systemId}`, { token: project.owner.token })
    expect(withSystem.body).toHaveLength(2)
    expect(withSystem.headers.get('X-Total')).toBeNull()
  })
})
