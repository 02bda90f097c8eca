import { describe, expect, it } from 'vitest'
import { SimulatedRunner } from '../runner-client'
import { addMember, apiJson, createProject, createUser } from '../world'

describe('POST /user/runners', () => {
  it('creates a project runner for a maintainer: 201 with a glrt- token shown once', async () => {
    const project = await createProject()
    const maintainer = await createUser()
    await addMember(project, maintainer, 40)
    const res = await apiJson('POST', '/user/runners', {
      token: maintainer.token,
      body: { runner_type: 'project_type', project_id: project.id, description: 'mine', tag_list: 'docker, linux,docker' },
    })
    expect(res.status).toBe(201)
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(Object.keys(res.body)).toEqual(['id', 'token', 'token_expires_at'])
    expect(res.body.token).toMatch(/^glrt-[A-Za-z0-9_-]{26}$/)
    expect(res.body.token_expires_at).toBeNull()
  })

  it('refuses a developer (403), a missing project_id (400) and an instance runner for a non-admin (403)', async () => {
    const project = await createProject()
    const developer = await createUser()
    await addMember(project, developer, 30)
    const asDeveloper = await apiJson('POST', '/user/runners', { token: developer.token, body: { runner_type: 'project_type', project_id: project.id } })
    expect(asDeveloper.status).toBe(403)
    const missing = await apiJson('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'project_type' } })
    expect(missing).toMatchObject({ status: 400, body: { error: 'project_id is missing' } })
    const instance = await apiJson('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'instance_type' } })
    expect(instance.status).toBe(403)
    const badType = await apiJson('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'cloud' } })
    expect(badType).toMatchObject({ status: 400, body: { error: 'runner_type does not have a valid value' } })
    const anonymous = await apiJson('POST', '/user/runners', { token: null, body: { runner_type: 'instance_type' } })
    expect(anonymous.status).toBe(401)
  })

  it('lets an admin create an instance runner and validates maximum_timeout', async () => {
    const created = await apiJson('POST', '/user/runners', { body: { runner_type: 'instance_type', run_untagged: false, tag_list: ['x'] } })
    expect(created.status).toBe(201)
    const short = await apiJson('POST', '/user/runners', { body: { runner_type: 'instance_type', maximum_timeout: 60 } })
    expect(short).toMatchObject({ status: 400, body: { message: { maximum_timeout: ['needs to be at least 10 minutes'] } } })
  })
})

describe('POST /runners/verify', () => {
  it('answers 200 JSON {id, token, token_expires_at} for a valid token and 403 otherwise', async () => {
    const project = await createProject()
    const created = await apiJson('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'project_type', project_id: project.id } })
    const runner = new SimulatedRunner(created.body.token)
    const verified = await runner.verify()
    expect(verified.status).toBe(200)
    expect(verified.headers.get('Content-Type')).toBe('application/json')
    expect(await verified.json()).toEqual({ id: created.body.id, token: created.body.token, token_expires_at: null })
    expect((await new SimulatedRunner('glrt-not-a-real-token-000000000').verify()).status).toBe(403)
  })
})

describe('unregistering', () => {
  it('DELETE /runners/managers removes one machine (204, then 404); DELETE /runners removes the runner (204, then 403)', async () => {
    const project = await createProject()
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    expect((await runner.unregisterManager()).status).toBe(204)
    expect((await runner.unregisterManager()).status).toBe(404)
    // The runner itself survives its machines.
    expect((await runner.verify()).status).toBe(200)
    expect((await runner.unregister()).status).toBe(204)
    expect((await runner.verify()).status).toBe(403)
    expect((await runner.unregister()).status).toBe(403)
  })
})

describe('legacy registration with a project registration token', () => {
  it('resets the token (maintainer+), registers with it (201) and refuses a bad one (403)', async () => {
    const project = await createProject()
    const developer = await createUser()
    await addMember(project, developer, 30)
    const path = `/projects/${project.id}/runners/reset_registration_token`
    expect((await apiJson('POST', path, { token: developer.token })).status).toBe(403)
    const reset = await apiJson('POST', path, { token: project.owner.token })
    expect(reset.status).toBe(201)
    expect(reset.body.token).toMatch(/^GR1348941/)
    const registered = await apiJson('POST', '/runners', {
      token: null,
      body: { token: reset.body.token, description: 'legacy', tag_list: 'a,b', run_untagged: false, info: { version: '19.4.0' } },
    })
    expect(registered.status).toBe(201)
    expect(registered.body.token).not.toMatch(/^glrt-/)
    expect((await new SimulatedRunner(registered.body.token).verify()).status).toBe(200)
    expect((await apiJson('POST', '/runners', { token: null, body: { token: 'GR1348941wrong' } })).status).toBe(403)
    // A second reset invalidates the first token.
    await apiJson('POST', path, { token: project.owner.token })
    expect((await apiJson('POST', '/runners', { token: null, body: { token: reset.body.token } })).status).toBe(403)
  })
})

describe('POST /runners/reset_authentication_token', () => {
  it('issues a new glrt- token (201) and the old one stops working', async () => {
    const project = await createProject()
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    const reset = await apiJson('POST', '/runners/reset_authentication_token', { token: null, body: { token: runner.token } })
    expect(reset.status).toBe(201)
    expect(reset.body).toEqual({ token: expect.stringMatching(/^glrt-/), token_expires_at: null })
    expect((await runner.verify()).status).toBe(403)
    expect((await new SimulatedRunner(reset.body.token).verify()).status).toBe(200)
  })
})
