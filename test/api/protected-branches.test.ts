import { describe, expect, it } from 'vitest'
import { addMember, api, apiJson, commitFile, createProject, createUser } from '../world'
import { startRunningJob } from '../runner-client'

/**
 * Protected tags (lib/api/protected_tags.rb, Entities::ProtectedTag) are at the end.
 *
 * Protected branches (lib/api/protected_branches.rb, ProtectedBranchPolicy, Entities::ProtectedBranch,
 * ProtectedRefAccess) and what they refuse through the files API (Commits::CreateService
 * #validate_permissions!). Pushes with git itself: test/git-cli/push.test.mjs.
 */

describe('Protected branches API', () => {
  it('protects, lists, shows, updates and unprotects with GitLab shapes', async () => {
    const project = await createProject()
    const token = project.owner.token
    const created = await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main', push_access_level: 30 } })
    expect(created.status).toBe(201)
    expect(created.body).toEqual({
      id: expect.any(Number),
      name: 'main',
      push_access_levels: [{ id: expect.any(Number), access_level: 30, access_level_description: 'Developers + Maintainers', deploy_key_id: null }],
      merge_access_levels: [{ id: expect.any(Number), access_level: 40, access_level_description: 'Maintainers' }],
      allow_force_push: false,
    })
    const wildcard = await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, form: { name: 'release/*', push_access_level: '0', merge_access_level: '60', allow_force_push: 'true' } })
    expect(wildcard).toMatchObject({
      status: 201,
      body: { name: 'release/*', push_access_levels: [{ access_level: 0, access_level_description: 'No one' }], merge_access_levels: [{ access_level: 60, access_level_description: 'Admins' }], allow_force_push: true },
    })
    expect(await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main' } })).toEqual(expect.objectContaining({ status: 409, body: { message: "Protected branch 'main' already exists" } }))

    const list = await apiJson('GET', `/projects/${project.id}/protected_branches?per_page=1`, { token })
    expect(list.body.map((item: any) => item.name)).toEqual(['main'])
    expect([list.headers.get('X-Total'), list.headers.get('X-Next-Page')]).toEqual(['2', '2'])
    const encoded = encodeURIComponent('release/*')
    expect(await apiJson('GET', `/projects/${project.id}/protected_branches/${encoded}`, { token })).toMatchObject({ status: 200, body: { name: 'release/*' } })
    expect(await apiJson('GET', `/projects/${project.id}/protected_branches/nope`, { token })).toEqual(expect.objectContaining({ status: 404, body: { message: '404 Not found' } }))

    expect(await apiJson('PATCH', `/projects/${project.id}/protected_branches/main`, { token, body: { allow_force_push: true } })).toMatchObject({ status: 200, body: { name: 'main', allow_force_push: true } })
    expect(await apiJson('PATCH', `/projects/${project.id}/protected_branches/main`, { token, body: { allow_force_push: null } })).toMatchObject({ status: 200, body: { allow_force_push: true } })
    expect(await apiJson('PATCH', `/projects/${project.id}/protected_branches/nope`, { token, body: { allow_force_push: true } })).toMatchObject({ status: 404 })

    expect((await api('DELETE', `/projects/${project.id}/protected_branches/${encoded}`, { token })).status).toBe(204)
    expect((await api('DELETE', `/projects/${project.id}/protected_branches/${encoded}`, { token })).status).toBe(404)
    expect((await apiJson('GET', `/projects/${project.id}/protected_branches`, { token })).body.map((item: any) => item.name)).toEqual(['main'])
  })

  it('validates as Grape and ProtectedBranch do, writing nothing on failure', async () => {
    const project = await createProject()
    const token = project.owner.token
    const post = (body: Record<string, unknown>) => apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body })
    expect(await post({})).toMatchObject({ status: 400, body: { error: 'name is missing' } })
    expect(await post({ name: 'x', push_access_level: 20 })).toEqual(expect.objectContaining({ status: 400, body: { error: 'push_access_level does not have a valid value' } }))
    expect(await post({ name: 'x', merge_access_level: 'high' })).toMatchObject({ status: 400, body: { error: 'merge_access_level is invalid' } })
    expect(await post({ name: 'x', allow_force_push: 'perhaps' })).toMatchObject({ status: 400, body: { error: 'allow_force_push is invalid' } })
    expect(await post({ name: ' ' })).toEqual(expect.objectContaining({ status: 422, body: { message: ["Name can't be blank"] } }))
    expect(await post({ name: 'x', push_access_level: null, merge_access_level: null })).toMatchObject({ status: 201, body: { push_access_levels: [{ access_level: 40 }] } })
    expect((await apiJson('GET', `/projects/${project.id}/protected_branches`, { token })).body.length).toBe(1)
  })

  it('is for maintainers (admin_project); developers 403, outsiders of a private project 404, job tokens 401', async () => {
    const project = await createProject()
    const [developer, maintainer, outsider] = await Promise.all([createUser(), createUser(), createUser()])
    await addMember(project, developer, 30)
    await addMember(project, maintainer, 40)
    const path = `/projects/${project.id}/protected_branches`
    expect(await apiJson('GET', path, { token: developer.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect(await apiJson('POST', path, { token: developer.token, body: { name: 'main' } })).toMatchObject({ status: 403 })
    expect(await apiJson('GET', path, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await apiJson('GET', path, { token: null })).status).toBe(401)
    expect(await apiJson('POST', path, { token: maintainer.token, body: { name: 'main' } })).toMatchObject({ status: 201 })
    expect(await apiJson('DELETE', `${path}/main`, { token: developer.token })).toMatchObject({ status: 403 })
    const { project: ciProject, job } = await startRunningJob('build: {script: [x]}\n')
    expect((await api('GET', `/projects/${ciProject.id}/protected_branches`, { token: null, headers: { 'JOB-TOKEN': job.token } })).status).toBe(401)
  })

  it('keeps developers from committing to a protected branch through the files API; the branch entity shows it', async () => {
    const project = await createProject()
    await commitFile(project, 'README.md', '# r')
    const developer = await createUser()
    await addMember(project, developer, 30)
    const token = project.owner.token
    await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main' } })
    const commit = (who: string, branch: string) =>
      apiJson('POST', `/projects/${project.id}/repository/files/dev.txt`, { token: who, body: { branch, content: 'x', commit_message: 'dev', start_branch: 'main' } })
    expect(await commit(developer.token, 'main')).toEqual(expect.objectContaining({ status: 400, body: { message: 'You are not allowed to push into this branch' } }))
    expect((await commit(developer.token, 'feature')).status).toBe(201)
    expect((await apiJson('POST', `/projects/${project.id}/repository/files/owner.txt`, { token, body: { branch: 'main', content: 'x', commit_message: 'owner' } })).status).toBe(201)

    const asDeveloper = await apiJson('GET', `/projects/${project.id}/repository/branches/main`, { token: developer.token })
    expect(asDeveloper.body).toMatchObject({ protected: true, developers_can_push: false, can_push: false })
    expect((await apiJson('GET', `/projects/${project.id}/repository/branches/main`, { token })).body.can_push).toBe(true)
    // Push level "developers": they may commit again.
    await api('DELETE', `/projects/${project.id}/protected_branches/main`, { token })
    await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'ma*', push_access_level: 30 } })
    expect((await commit(developer.token, 'main')).status).toBe(201)
    expect((await apiJson('GET', `/projects/${project.id}/repository/branches`, { token: developer.token })).body.find((b: any) => b.name === 'main'))
      .toMatchObject({ protected: true, developers_can_push: true, can_push: true })
  })
})

describe('Protected tags API', () => {
  it('protects, lists, shows and unprotects; 409 for a protected name, 404 for another; maintainers only', async () => {
    const project = await createProject()
    const token = project.owner.token
    const created = await apiJson('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'v*', create_access_level: 30 } })
    expect(created).toEqual(expect.objectContaining({
      status: 201, body: { name: 'v*', create_access_levels: [{ id: expect.any(Number), access_level: 30, access_level_description: 'Developers + Maintainers' }] },
    }))
    expect(await apiJson('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'v*' } })).toMatchObject({ status: 409, body: { message: "Protected tag 'v*' already exists" } })
    expect(await apiJson('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'x', create_access_level: 50 } })).toMatchObject({ status: 400, body: { error: 'create_access_level does not have a valid value' } })
    expect(await apiJson('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'release' } })).toMatchObject({ status: 201, body: { create_access_levels: [{ access_level: 40 }] } })
    const list = await apiJson('GET', `/projects/${project.id}/protected_tags?per_page=1&page=2`, { token })
    expect(list.body.map((tag: any) => tag.name)).toEqual(['release'])
    expect(list.headers.get('X-Total')).toBe('2')
    expect(await apiJson('GET', `/projects/${project.id}/protected_tags/${encodeURIComponent('v*')}`, { token })).toMatchObject({ status: 200, body: { name: 'v*' } })
    expect(await apiJson('GET', `/projects/${project.id}/protected_tags/nope`, { token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })

    const [developer, outsider] = await Promise.all([createUser(), createUser()])
    await addMember(project, developer, 30)
    expect(await apiJson('GET', `/projects/${project.id}/protected_tags`, { token: developer.token })).toMatchObject({ status: 403 })
    expect(await apiJson('POST', `/projects/${project.id}/protected_tags`, { token: outsider.token, body: {} })).toMatchObject({ status: 404 })
    expect((await api('DELETE', `/projects/${project.id}/protected_tags/release`, { token: developer.token })).status).toBe(403)
    expect((await api('DELETE', `/projects/${project.id}/protected_tags/release`, { token })).status).toBe(204)
    expect((await api('DELETE', `/projects/${project.id}/protected_tags/release`, { token })).status).toBe(404)
  })
})
