import { describe, expect, it } from 'vitest'
import { addMember, api, apiJson, createProject, createUser, deadToken, encodedPath } from '../world'

const EXTERNAL = 'https://gitlab.example.com'

describe('POST /projects/:id/members', () => {
  it.each([10, 20, 30, 40, 50])('adds a member with access level %i', async (level) => {
    const project = await createProject()
    const user = await createUser()
    const res = await apiJson('POST', `/projects/${project.id}/members`, { token: project.owner.token, body: { user_id: user.id, access_level: level } })
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      id: user.id,
      username: user.username,
      name: `User ${user.username}`,
      state: 'active',
      locked: false,
      avatar_url: null,
      web_url: `${EXTERNAL}/${user.username}`,
      access_level: level,
      created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      expires_at: null,
    })
  })

  it('accepts form values and the URL-encoded project path', async () => {
    const project = await createProject()
    const user = await createUser()
    const res = await apiJson('POST', `/projects/${encodedPath(project)}/members`, {
      token: project.owner.token,
      form: { user_id: String(user.id), access_level: '30' },
    })
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ id: user.id, access_level: 30 })
  })

  it.each([0, 5, 15, 25, 60, -10])('rejects access level %i with 400', async (level) => {
    const project = await createProject()
    const user = await createUser()
    const res = await apiJson('POST', `/projects/${project.id}/members`, { token: project.owner.token, body: { user_id: user.id, access_level: level } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'access_level does not have a valid value' })
  })

  it('rejects missing and mistyped params with 400', async () => {
    const project = await createProject()
    const user = await createUser()
    const cases: Array<[unknown, unknown]> = [
      [{}, { error: 'access_level is missing, user_id is missing' }],
      [{ user_id: user.id }, { error: 'access_level is missing' }],
      [{ access_level: 30 }, { error: 'user_id is missing' }],
      [{ user_id: user.id, access_level: 'developer' }, { error: 'access_level is invalid' }],
      [{ user_id: user.id, access_level: 30.5 }, { error: 'access_level is invalid' }],
      [{ user_id: { id: user.id }, access_level: 30 }, { error: 'user_id is invalid' }],
    ]
    for (const [body, expected] of cases) {
      const res = await apiJson('POST', `/projects/${project.id}/members`, { token: project.owner.token, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body).toEqual(expected)
    }
  })

  it('answers 409 when the user is already a member, and keeps the old level', async () => {
    const project = await createProject()
    const user = await createUser()
    await addMember(project, user, 20)
    const res = await apiJson('POST', `/projects/${project.id}/members`, { token: project.owner.token, body: { user_id: user.id, access_level: 40 } })
    expect(res.status).toBe(409)
    expect(res.body).toEqual({ message: 'Member already exists' })
    const owner = await apiJson('POST', `/projects/${project.id}/members`, { token: project.owner.token, body: { user_id: project.owner.id, access_level: 10 } })
    expect(owner.status).toBe(409)
    const members = await apiJson('GET', `/projects/${project.id}/members/all`, { token: project.owner.token })
    expect(members.body.find((m: any) => m.id === user.id).access_level).toBe(20)
  })

  it('answers 404 User Not Found for an unknown user', async () => {
    const project = await createProject()
    for (const userId of [999999999, 'nobody']) {
      const res = await apiJson('POST', `/projects/${project.id}/members`, { token: project.owner.token, body: { user_id: userId, access_level: 30 } })
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ message: '404 User Not Found' })
    }
  })

  it('is forbidden below maintainer; maintainers may not grant owner', async () => {
    const project = await createProject()
    const newcomer = await createUser()
    for (const level of [10, 20, 30]) {
      const member = await createUser()
      await addMember(project, member, level)
      const res = await apiJson('POST', `/projects/${project.id}/members`, { token: member.token, body: { user_id: newcomer.id, access_level: 10 } })
      expect(res.status, `level ${level}`).toBe(403)
      expect(res.body).toEqual({ message: '403 Forbidden' })
    }
    const maintainer = await createUser()
    await addMember(project, maintainer, 40)
    const owner = await apiJson('POST', `/projects/${project.id}/members`, { token: maintainer.token, body: { user_id: newcomer.id, access_level: 50 } })
    expect(owner.status).toBe(403)
    const ok = await apiJson('POST', `/projects/${project.id}/members`, { token: maintainer.token, body: { user_id: newcomer.id, access_level: 40 } })
    expect(ok.status).toBe(201)
  })

  it('hides private projects from strangers; on a public project a stranger is forbidden', async () => {
    const secret = await createProject({ visibility: 'private' })
    const open = await createProject({ visibility: 'public' })
    const stranger = await createUser()
    const hidden = await apiJson('POST', `/projects/${secret.id}/members`, { token: stranger.token, body: { user_id: stranger.id, access_level: 50 } })
    expect(hidden.status).toBe(404)
    expect(hidden.body).toEqual({ message: '404 Project Not Found' })
    const forbidden = await apiJson('POST', `/projects/${open.id}/members`, { token: stranger.token, body: { user_id: stranger.id, access_level: 50 } })
    expect(forbidden.status).toBe(403)
  })

  it('answers 401 without a valid token and 404 for an unknown project', async () => {
    const project = await createProject({ visibility: 'public' })
    const user = await createUser()
    for (const token of [null, 'glpat-wrong', await deadToken(project.owner, 'expired'), await deadToken(project.owner, 'revoked')]) {
      const res = await apiJson('POST', `/projects/${project.id}/members`, { token, body: { user_id: user.id, access_level: 30 } })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
    // authenticate! runs before parameter validation.
    const anonymousBad = await apiJson('POST', `/projects/${project.id}/members`, { token: null, body: { access_level: 'x' } })
    expect(anonymousBad.status).toBe(401)
    const unknown = await apiJson('POST', '/projects/999999999/members', { body: { user_id: user.id, access_level: 30 } })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toEqual({ message: '404 Project Not Found' })
  })

  it('lets an admin add members to any project', async () => {
    const project = await createProject()
    const user = await createUser()
    const res = await apiJson('POST', `/projects/${project.id}/members`, { body: { user_id: user.id, access_level: 50 } }) // root
    expect(res.status).toBe(201)
  })
})

describe('GET /projects/:id/members/all', () => {
  async function projectWithMembers(count: number) {
    const project = await createProject()
    const users = []
    for (let i = 0; i < count; i++) {
      const user = await createUser()
      await addMember(project, user, 30)
      users.push(user)
    }
    return { project, users }
  }

  it('lists members with pagination headers', async () => {
    const { project, users } = await projectWithMembers(4) // 5 members with the owner
    const first = await apiJson('GET', `/projects/${project.id}/members/all?per_page=2`, { token: project.owner.token })
    expect(first.status).toBe(200)
    expect(first.body).toHaveLength(2)
    expect(first.headers.get('X-Total')).toBe('5')
    expect(first.headers.get('X-Total-Pages')).toBe('3')
    expect(first.headers.get('X-Per-Page')).toBe('2')
    expect(first.headers.get('X-Page')).toBe('1')
    expect(first.headers.get('X-Next-Page')).toBe('2')
    expect(first.headers.get('X-Prev-Page')).toBe('')
    const base = `${EXTERNAL}/api/v4/projects/${project.id}/members/all`
    expect(first.headers.get('Link')).toBe(
      `<${base}?page=2&per_page=2>; rel="next", <${base}?page=1&per_page=2>; rel="first", <${base}?page=3&per_page=2>; rel="last"`,
    )

    const last = await apiJson('GET', `/projects/${project.id}/members/all?per_page=2&page=3`, { token: project.owner.token })
    expect(last.body).toHaveLength(1)
    expect(last.headers.get('X-Next-Page')).toBe('')
    expect(last.headers.get('X-Prev-Page')).toBe('2')

    const all = await apiJson('GET', `/projects/${project.id}/members/all`, { token: project.owner.token })
    expect(all.body.map((m: any) => m.id).sort()).toEqual([project.owner.id, ...users.map((u) => u.id)].sort())
    expect(all.headers.get('X-Per-Page')).toBe('20')
    // Pages do not overlap and cover every member.
    const pages = [first.body, (await apiJson('GET', `/projects/${project.id}/members/all?per_page=2&page=2`, { token: project.owner.token })).body, last.body]
    expect(pages.flat().map((m: any) => m.id)).toEqual(all.body.map((m: any) => m.id))
  })

  it('beyond the last page answers an empty list', async () => {
    const { project } = await projectWithMembers(0)
    const res = await apiJson('GET', `/projects/${project.id}/members/all?page=5`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(res.body).toEqual([])
    expect(res.headers.get('X-Total')).toBe('1')
  })

  it('rejects bad pagination params', async () => {
    const { project } = await projectWithMembers(0)
    const zero = await apiJson('GET', `/projects/${project.id}/members/all?per_page=0`, { token: project.owner.token })
    expect(zero.status).toBe(400)
    expect(zero.body).toEqual({ error: 'per_page has a value not allowed' })
    const word = await apiJson('GET', `/projects/${project.id}/members/all?page=two`, { token: project.owner.token })
    expect(word.body).toEqual({ error: 'page is invalid' })
  })

  it('is visible to guests and, on public and internal projects, to any signed-in user', async () => {
    const secret = await createProject({ visibility: 'private' })
    const guest = await createUser()
    await addMember(secret, guest, 10)
    expect((await api('GET', `/projects/${secret.id}/members/all`, { token: guest.token })).status).toBe(200)
    const stranger = await createUser()
    const hidden = await apiJson('GET', `/projects/${secret.id}/members/all`, { token: stranger.token })
    expect(hidden.status).toBe(404)
    expect(hidden.body).toEqual({ message: '404 Project Not Found' })
    for (const visibility of ['internal', 'public'] as const) {
      const project = await createProject({ visibility })
      expect((await api('GET', `/projects/${project.id}/members/all`, { token: stranger.token })).status).toBe(200)
    }
  })

  it('needs authentication, even on a public project (members API: authenticate!)', async () => {
    const project = await createProject({ visibility: 'public' })
    for (const token of [null, await deadToken(project.owner, 'revoked')]) {
      const res = await apiJson('GET', `/projects/${project.id}/members/all?per_page=0`, { token })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
  })
})
