import { describe, expect, it } from 'vitest'
import { addMember, api, apiJson, createProject, createUser, deadToken, encodedPath, unique } from '../world'

const EXTERNAL = 'https://gitlab.example.com'
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

describe('POST /projects', () => {
  it('creates a private project in the caller\'s namespace with GitLab\'s defaults', async () => {
    const owner = await createUser()
    const name = unique('Proj ')
    const res = await apiJson('POST', '/projects', { token: owner.token, body: { name, description: 'd' } })
    expect(res.status).toBe(201)
    const path = name.toLowerCase().replace(/ /g, '-')
    expect(res.body).toMatchObject({
      name,
      path,
      path_with_namespace: `${owner.username}/${path}`,
      name_with_namespace: `${owner.username} / ${name}`,
      description: 'd',
      visibility: 'private',
      public_jobs: true,
      jobs_enabled: true,
      build_timeout: 3600,
      ci_config_path: null,
      creator_id: owner.id,
      web_url: `${EXTERNAL}/${owner.username}/${path}`,
      namespace: { path: owner.username, full_path: owner.username },
    })
    expect(res.body.id).toEqual(expect.any(Number))
    expect(res.body.created_at).toMatch(ISO_MS)
    expect(res.headers.get('Content-Type')).toBe('application/json')
  })

  it('makes the creator its owner', async () => {
    const project = await createProject()
    const members = await apiJson('GET', `/projects/${project.id}/members/all`, { token: project.owner.token })
    expect(members.body).toEqual([expect.objectContaining({ id: project.owner.id, access_level: 50 })])
  })

  it('takes the name from the path when only the path is given', async () => {
    const owner = await createUser()
    const path = unique('p-')
    const res = await apiJson('POST', '/projects', { token: owner.token, body: { path } })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ name: path, path })
  })

  it.each(['private', 'internal', 'public'] as const)('stores visibility %s', async (visibility) => {
    const owner = await createUser()
    const res = await apiJson('POST', '/projects', { token: owner.token, body: { name: unique('v'), visibility } })
    expect(res.status).toBe(201)
    expect(res.body.visibility).toBe(visibility)
    expect((await apiJson('GET', `/projects/${res.body.id}`, { token: owner.token })).body.visibility).toBe(visibility)
  })

  it('accepts public_jobs and its old name public_builds, as JSON or form values', async () => {
    const owner = await createUser()
    const off = await apiJson('POST', '/projects', { token: owner.token, body: { name: unique('j'), public_jobs: false } })
    expect(off.body.public_jobs).toBe(false)
    const old = await apiJson('POST', '/projects', { token: owner.token, body: { name: unique('j'), public_builds: 'false' } })
    expect(old.body.public_jobs).toBe(false)
    const form = await apiJson('POST', '/projects', { token: owner.token, form: { name: unique('j'), public_jobs: 'true', visibility: 'internal' } })
    expect(form.status).toBe(201)
    expect(form.body).toMatchObject({ public_jobs: true, visibility: 'internal' })
  })

  it.each([
    [600, 201],
    [3600, 201],
    [2_629_745, 201],
    [599, 400],
    [0, 400],
    [-1, 400],
    [2_629_746, 400],   // 1.month is excluded (less_than: 1.month)
  ])('build_timeout %i → %i', async (timeout, status) => {
    const owner = await createUser()
    const res = await apiJson('POST', '/projects', { token: owner.token, body: { name: unique('t'), build_timeout: timeout } })
    expect(res.status).toBe(status)
    if (status === 201) expect(res.body.build_timeout).toBe(timeout)
    else expect(res.body).toEqual({ message: { build_timeout: ['needs to be between 10 minutes and 1 month'] } })
  })

  it('refuses a path already taken in the namespace', async () => {
    const owner = await createUser()
    const path = unique('dup')
    expect((await api('POST', '/projects', { token: owner.token, body: { path } })).status).toBe(201)
    const again = await apiJson('POST', '/projects', { token: owner.token, body: { path } })
    expect(again.status).toBe(400)
    expect(again.body.message.path).toEqual(['has already been taken'])
    const upper = await apiJson('POST', '/projects', { token: owner.token, body: { path: path.toUpperCase() } })
    expect(upper.status).toBe(400)
    // Another user may use the same path in their own namespace.
    const other = await createUser()
    expect((await api('POST', '/projects', { token: other.token, body: { path } })).status).toBe(201)
  })

  it.each([
    [{}, { error: 'name, path are missing, at least one parameter must be provided' }],
    [{ name: 'x', visibility: 'secret' }, { error: 'visibility does not have a valid value' }],
    [{ name: 'x', public_jobs: 'maybe' }, { error: 'public_jobs is invalid' }],
    [{ name: 'x', build_timeout: 'long' }, { error: 'build_timeout is invalid' }],
    [{ name: 'x', build_timeout: 3600.5 }, { error: 'build_timeout is invalid' }],
    [{ name: { a: 1 } }, { error: 'name is invalid' }],
    [{ name: ['a'] }, { error: 'name is invalid' }],
  ])('rejects %j with 400', async (body, expected) => {
    const owner = await createUser()
    const res = await apiJson('POST', '/projects', { token: owner.token, body })
    expect(res.status).toBe(400)
    expect(res.body).toEqual(expected)
  })

  it('rejects a path with characters GitLab does not allow', async () => {
    const owner = await createUser()
    for (const path of ['-lead', 'a b', 'x.git', 'x.atom', 'sl/ash']) {
      const res = await apiJson('POST', '/projects', { token: owner.token, body: { path } })
      expect(res.status, path).toBe(400)
      expect(res.body.message.path, path).toBeDefined()
    }
  })

  it('needs a valid token', async () => {
    const user = await createUser()
    for (const token of [null, 'glpat-wrong', await deadToken(user, 'expired'), await deadToken(user, 'revoked')]) {
      const res = await apiJson('POST', '/projects', { token, body: { name: unique('x') } })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
  })
})

describe('GET /projects/:id', () => {
  it('finds a project by numeric id and by URL-encoded full path', async () => {
    const project = await createProject()
    const byId = await apiJson('GET', `/projects/${project.id}`, { token: project.owner.token })
    expect(byId.status).toBe(200)
    expect(byId.body.path_with_namespace).toBe(project.path_with_namespace)
    const byPath = await apiJson('GET', `/projects/${encodedPath(project)}`, { token: project.owner.token })
    expect(byPath.status).toBe(200)
    expect(byPath.body).toEqual(byId.body)
    const upper = await apiJson('GET', `/projects/${encodeURIComponent(project.path_with_namespace.toUpperCase())}`, { token: project.owner.token })
    expect(upper.body.id).toBe(project.id)
  })

  it('hides a private project from non-members and anonymous callers behind a 404', async () => {
    const project = await createProject({ visibility: 'private' })
    const stranger = await createUser()
    for (const token of [stranger.token, null]) {
      for (const id of [String(project.id), encodedPath(project)]) {
        const res = await apiJson('GET', `/projects/${id}`, { token })
        expect(res.status).toBe(404)
        expect(res.body).toEqual({ message: '404 Project Not Found' })
      }
    }
  })

  it('shows a private project to any member, a guest included', async () => {
    const project = await createProject({ visibility: 'private' })
    const guest = await createUser()
    await addMember(project, guest, 10)
    expect((await api('GET', `/projects/${project.id}`, { token: guest.token })).status).toBe(200)
  })

  it('shows an internal project to any signed-in user but not to anonymous callers', async () => {
    const project = await createProject({ visibility: 'internal' })
    const stranger = await createUser()
    expect((await api('GET', `/projects/${project.id}`, { token: stranger.token })).status).toBe(200)
    const anonymous = await apiJson('GET', `/projects/${project.id}`, { token: null })
    expect(anonymous.status).toBe(404)
    expect(anonymous.body).toEqual({ message: '404 Project Not Found' })
  })

  it('shows a public project to everyone', async () => {
    const project = await createProject({ visibility: 'public' })
    const res = await apiJson('GET', `/projects/${encodedPath(project)}`, { token: null })
    expect(res.status).toBe(200)
    expect(res.body.visibility).toBe('public')
  })

  it('answers 404 for unknown ids and paths', async () => {
    for (const id of ['999999999', 'nobody%2Fnothing', 'no-slash', '0']) {
      const res = await apiJson('GET', `/projects/${id}`)
      expect(res.status, id).toBe(404)
      expect(res.body).toEqual({ message: '404 Project Not Found' })
    }
  })

  it('answers 401 for a bad, expired or revoked token even on a public project', async () => {
    const project = await createProject({ visibility: 'public' })
    const user = await createUser()
    for (const token of ['glpat-wrong', await deadToken(user, 'expired'), await deadToken(user, 'revoked')]) {
      const res = await apiJson('GET', `/projects/${project.id}`, { token })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
  })
})

describe('PUT /projects/:id', () => {
  it('lets the owner change visibility, public_jobs and CI settings', async () => {
    const project = await createProject()
    const res = await apiJson('PUT', `/projects/${project.id}`, {
      token: project.owner.token,
      body: { visibility: 'public', public_jobs: false, build_timeout: 7200, ci_config_path: 'ci/main.yml', description: 'new', name: 'Renamed' },
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ visibility: 'public', public_jobs: false, build_timeout: 7200, ci_config_path: 'ci/main.yml', description: 'new', name: 'Renamed' })
    expect(res.body.path_with_namespace).toBe(project.path_with_namespace) // renaming keeps the path
    const shown = await apiJson('GET', `/projects/${project.id}`, { token: null })
    expect(shown.status).toBe(200)
    expect(shown.body.public_jobs).toBe(false)
  })

  it('finds the project by its URL-encoded path and accepts form bodies', async () => {
    const project = await createProject()
    const res = await apiJson('PUT', `/projects/${encodedPath(project)}`, { token: project.owner.token, form: { public_builds: 'false', visibility: 'internal' } })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ id: project.id, public_jobs: false, visibility: 'internal' })
  })

  it('lets a maintainer change CI settings but not the name or visibility', async () => {
    const project = await createProject()
    const maintainer = await createUser()
    await addMember(project, maintainer, 40)
    const ok = await apiJson('PUT', `/projects/${project.id}`, { token: maintainer.token, body: { public_jobs: false, build_timeout: 900 } })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ public_jobs: false, build_timeout: 900 })
    for (const body of [{ visibility: 'public' }, { name: 'Mine now' }]) {
      const res = await apiJson('PUT', `/projects/${project.id}`, { token: maintainer.token, body })
      expect(res.status).toBe(403)
      expect(res.body).toEqual({ message: '403 Forbidden' })
    }
    expect((await apiJson('GET', `/projects/${project.id}`, { token: maintainer.token })).body.visibility).toBe('private')
  })

  it('is forbidden to developers and hidden from strangers', async () => {
    const project = await createProject()
    const developer = await createUser()
    await addMember(project, developer, 30)
    const forbidden = await apiJson('PUT', `/projects/${project.id}`, { token: developer.token, body: { public_jobs: false } })
    expect(forbidden.status).toBe(403)
    expect(forbidden.body).toEqual({ message: '403 Forbidden' })
    const stranger = await createUser()
    const hidden = await apiJson('PUT', `/projects/${project.id}`, { token: stranger.token, body: { public_jobs: false } })
    expect(hidden.status).toBe(404)
    expect(hidden.body).toEqual({ message: '404 Project Not Found' })
    expect((await apiJson('PUT', `/projects/${project.id}`, { token: null, body: { public_jobs: false } })).status).toBe(401)
    expect((await apiJson('PUT', `/projects/${project.id}`, { token: null, body: { build_timeout: 'x' } })).status).toBe(401)
    const expired = await deadToken(project.owner, 'expired')
    expect((await apiJson('PUT', `/projects/${project.id}`, { token: expired, body: { public_jobs: false } })).status).toBe(401)
  })

  it('rejects bad values and changes nothing', async () => {
    const project = await createProject()
    const cases: Array<[unknown, unknown]> = [
      [{ build_timeout: 10 }, { message: { build_timeout: ['needs to be between 10 minutes and 1 month'] } }],
      [{ build_timeout: 'x' }, { error: 'build_timeout is invalid' }],
      [{ visibility: 'hidden' }, { error: 'visibility does not have a valid value' }],
      [{ public_jobs: 'perhaps' }, { error: 'public_jobs is invalid' }],
      [{ builds_access_level: 'sometimes' }, { error: 'builds_access_level does not have a valid value' }],
    ]
    for (const [body, expected] of cases) {
      const res = await apiJson('PUT', `/projects/${project.id}`, { token: project.owner.token, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body).toEqual(expected)
    }
    const shown = await apiJson('GET', `/projects/${project.id}`, { token: project.owner.token })
    expect(shown.body).toMatchObject({ build_timeout: 3600, visibility: 'private', public_jobs: true })
  })

  it('needs at least one setting', async () => {
    const project = await createProject()
    const res = await apiJson('PUT', `/projects/${project.id}`, { token: project.owner.token, body: {} })
    expect(res.status).toBe(400)
    expect(res.body.error).toMatch(/are missing, at least one parameter must be provided$/)
  })

  it('answers 404 for an unknown project', async () => {
    const res = await apiJson('PUT', '/projects/999999999', { body: { public_jobs: false } })
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Project Not Found' })
  })
})

describe('odd input never causes a 500', () => {
  it.each([
    ['GET', `/projects/${'9'.repeat(30)}`],
    ['GET', `/projects/${'1'.repeat(400)}`],
    ['GET', '/projects/%'],
    ['GET', '/projects/%E0%A4%A'],
    ['GET', '/projects/a%2F'],
    ['GET', '/projects/%2F%2F'],
    ['GET', `/projects/${encodeURIComponent('ü/ñ')}`],
    ['PUT', `/projects/${'9'.repeat(30)}`],
    ['POST', '/projects/1/members'],
    ['GET', '/projects/-1/members/all'],
  ])('%s %s', async (method, path) => {
    const res = await api(method, path, { body: method === 'GET' ? undefined : { public_jobs: true } })
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
  })

  it('rejects blank and ill-formed names', async () => {
    const owner = await createUser()
    for (const body of [{ name: '', path: unique('p') }, { name: '   ' }, { name: '!bang' }]) {
      const res = await apiJson('POST', '/projects', { token: owner.token, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
    }
    const project = await createProject({ owner })
    const res = await apiJson('PUT', `/projects/${project.id}`, { token: owner.token, body: { name: '' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ message: { name: ["can't be blank"] } })
  })

  it('survives bodies of the wrong shape', async () => {
    const owner = await createUser()
    for (const raw of ['[1,2]', '"text"', 'null', '{"name": ']) {
      const res = await apiJson('POST', '/projects', { token: owner.token, raw, headers: { 'Content-Type': 'application/json' } })
      expect(res.status, raw).toBe(400)
    }
    const nested = await apiJson('POST', '/projects', { token: owner.token, raw: 'name[x]=1&name[]=2', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
    expect(nested.status).toBe(400)
  })
})
