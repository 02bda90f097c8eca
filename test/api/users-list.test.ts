import { describe, expect, it } from 'vitest'
import { linksOf } from '../link-header'
import { apiJson, createToken, createUser, unique } from '../world'

/**
 * GET /users (lib/api/users.rb: read_users_list, anonymous only with `username`, UsersFinder
 * filters, UserBasic for users and UserWithAdmin for admins, non-admins' order dropped), and
 * GET /version, GET /metadata (lib/api/version.rb, lib/api/metadata.rb, Entities::Metadata).
 */
describe('GET /users', () => {
  it('a user gets UserBasic; an admin UserWithAdmin', async () => {
    const user = await createUser()
    const res = await apiJson('GET', `/users?username=${user.username}`, { token: user.token })
    expect(res.status).toBe(200)
    expect(res.body).toEqual([{ id: user.id, username: user.username, name: `User ${user.username}`, state: 'active', locked: false, avatar_url: null, web_url: `https://gitlab.example.com/${user.username}` }])
    const admin = await apiJson('GET', `/users?username=${user.username.toUpperCase()}`)
    expect(admin.body).toEqual([expect.objectContaining({ id: user.id, email: `${user.username}@example.com`, is_admin: false })])
  })

  it('anonymous callers need an exact username', async () => {
    const user = await createUser()
    expect(await apiJson('GET', '/users', { token: null })).toMatchObject({ status: 403, body: { message: '403 Forbidden - Not authorized to access /api/v4/users' } })
    expect((await apiJson('GET', `/users?username=${user.username}`, { token: null })).body).toEqual([expect.objectContaining({ id: user.id })])
    expect((await apiJson('GET', `/users?username=${user.username.slice(0, -1)}`, { token: null })).body).toEqual([])
  })

  it('search, active, blocked, external and paging; non-admins cannot reorder', async () => {
    const tag = unique('usr')
    const made = []
    for (const suffix of ['a', 'b', 'c']) {
      const created = await apiJson('POST', '/users', { body: { username: `${tag}${suffix}`, name: `N ${tag}${suffix}`, email: `${tag}${suffix}@example.com` } })
      made.push(created.body.id)
    }
    const user = await createUser()
    const page = await apiJson('GET', `/users?search=${tag}&per_page=2`, { token: user.token })
    expect(page.body.map((u: any) => u.id)).toEqual([made[2], made[1]])
    expect(page.headers.get('X-Total')).toBe('3')
    expect(linksOf(page.headers).next).toContain('page=2')
    expect((await apiJson('GET', `/users?search=${tag}&order_by=id&sort=asc`, { token: user.token })).body[0].id).toBe(made[2])
    expect((await apiJson('GET', `/users?search=${tag}&order_by=id&sort=asc`)).body[0].id).toBe(made[0])
    expect((await apiJson('GET', `/users?search=${tag}&active=true`, { token: user.token })).body).toHaveLength(3)
    expect((await apiJson('GET', `/users?search=${tag}&blocked=true`, { token: user.token })).body).toEqual([])
    expect((await apiJson('GET', `/users?search=${tag}&external=true`, { token: user.token })).body).toEqual([])
    // Emails are searched (exactly) by admins only.
    expect((await apiJson('GET', `/users?search=${tag}a@example.com`)).body.map((u: any) => u.id)).toEqual([made[0]])
    expect((await apiJson('GET', `/users?search=${tag}a@example.com`, { token: user.token })).body).toEqual([])
  })

  it('validates its params', async () => {
    const user = await createUser()
    expect(await apiJson('GET', '/users?active=perhaps', { token: user.token })).toMatchObject({ status: 400, body: { error: 'active is invalid' } })
    expect(await apiJson('GET', '/users?order_by=email')).toMatchObject({ status: 400, body: { error: 'order_by does not have a valid value' } })
    expect(await apiJson('GET', '/users?extern_uid=1')).toMatchObject({ status: 400, body: { error: 'extern_uid, provider provide all or none of parameters' } })
    expect(await apiJson('GET', '/users?extern_uid=1&provider=ldap', { token: user.token })).toMatchObject({ status: 403 })
    expect(await apiJson('GET', '/users?extern_uid=1&provider=ldap')).toMatchObject({ status: 200, body: [] })
    expect(await apiJson('GET', '/users?pagination=keyset', { token: user.token })).toMatchObject({ status: 405, body: { error: 'Keyset pagination is not yet available for this type of request' } })
  })
})

describe('GET /version and GET /metadata', () => {
  it('answer any signed-in user, read_user scope enough; anonymous 401', async () => {
    const user = await createUser()
    const readUser = await createToken(user, { scopes: ['read_user'] })
    for (const path of ['/version', '/metadata']) {
      const res = await apiJson('GET', path, { token: readUser.token })
      expect(res).toMatchObject({ status: 200, body: { version: expect.stringMatching(/^\d+\.\d+\.\d+/), revision: expect.any(String), enterprise: false, kas: { enabled: false, externalUrl: null, version: null } } })
      expect(await apiJson('GET', path, { token: null })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } })
    }
    const readRepository = await createToken(user, { scopes: ['read_repository'] })
    expect((await apiJson('GET', '/version', { token: readRepository.token })).status).toBe(403)
  })
})
