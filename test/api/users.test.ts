import { describe, expect, it } from 'vitest'
import { api, apiJson, createUser, ROOT_TOKEN, unique } from '../world'

describe('authentication', () => {
  it('root exists on first start with INITIAL_ROOT_TOKEN as its token', async () => {
    const res = await apiJson('GET', '/user')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ username: 'root', is_admin: true })
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff')
  })

  it.each([
    ['PRIVATE-TOKEN header', (t: string) => api('GET', '/user', { token: t })],
    ['private_token query', (t: string) => api('GET', `/user?private_token=${t}`, { token: null })],
    ['Authorization: Bearer', (t: string) => api('GET', '/user', { token: null, headers: { Authorization: `Bearer ${t}` } })],
  ])('reads a personal access token from the %s', async (_name, call) => {
    const res = await call(ROOT_TOKEN)
    expect(res.status).toBe(200)
  })

  it('answers 401 without credentials or with a bad token', async () => {
    for (const token of [null, 'glpat-nope', '']) {
      const res = await apiJson('GET', '/user', { token })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
  })

  it('refuses expired and revoked tokens', async () => {
    const user = await createUser()
    const expired = await apiJson('POST', `/users/${user.id}/personal_access_tokens`, {
      body: { name: 'old', scopes: ['api'], expires_at: new Date().toISOString().slice(0, 10) },
    })
    expect(expired.status).toBe(201)
    expect((await api('GET', '/user', { token: expired.body.token })).status).toBe(401)

    const ok = await apiJson('POST', `/users/${user.id}/personal_access_tokens`, { body: { name: 'soon', scopes: ['api'] } })
    expect((await api('GET', '/user', { token: ok.body.token })).status).toBe(200)
    expect((await api('DELETE', `/personal_access_tokens/${ok.body.id}`, { token: user.token })).status).toBe(204)
    expect((await api('GET', '/user', { token: ok.body.token })).status).toBe(401)
  })

  it('stores tokens only as digests', async () => {
    const user = await createUser()
    const { env } = await import('cloudflare:workers')
    const rows = await env.DB.prepare('SELECT token_digest FROM personal_access_tokens WHERE user_id = ?').bind(user.id).all<{ token_digest: string }>()
    expect(rows.results).toHaveLength(1)
    expect(rows.results[0].token_digest).toMatch(/^[0-9a-f]{64}$/)
    expect(rows.results[0].token_digest).not.toContain(user.token)
    expect(user.token).toMatch(/^glpat-[A-Za-z0-9_-]{26}$/)
  })
})

describe('admin user endpoints', () => {
  it('creates a user and shows it', async () => {
    const username = unique('u')
    const created = await apiJson('POST', '/users', { body: { username, name: 'N', email: `${username}@x.io` } })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ username, name: 'N', state: 'active', is_admin: false })
    const shown = await apiJson('GET', `/users/${created.body.id}`)
    expect(shown.body.username).toBe(username)
  })

  it('rejects missing params, bad types and duplicates with GitLab bodies', async () => {
    const missing = await apiJson('POST', '/users', { body: { name: 'x' } })
    expect(missing.status).toBe(400)
    expect(missing.body).toEqual({ error: 'username is missing, email is missing' })

    const user = await createUser()
    const dup = await apiJson('POST', '/users', { body: { username: user.username, name: 'x', email: `${unique('e')}@x.io` } })
    expect(dup.status).toBe(409)
    expect(dup.body).toEqual({ message: 'Username has already been taken' })

    const badAdmin = await apiJson('POST', '/users', { body: { username: unique('u'), name: 'x', email: `${unique('e')}@x.io`, admin: 'maybe' } })
    expect(badAdmin.body).toEqual({ error: 'admin is invalid' })

    expect((await apiJson('GET', '/users/abc')).body).toEqual({ error: 'id is invalid' })
    expect((await apiJson('GET', '/users/999999999')).body).toEqual({ message: '404 User Not Found' })
  })

  it('is forbidden to non-admins', async () => {
    const user = await createUser()
    const res = await apiJson('POST', '/users', { token: user.token, body: { username: unique('u'), name: 'x', email: 'a@b.c' } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ message: '403 Forbidden' })
    expect((await api('GET', `/users/${user.id}`, { token: user.token })).status).toBe(403)
  })

  it('validates personal access token params', async () => {
    const user = await createUser()
    const noScopes = await apiJson('POST', `/users/${user.id}/personal_access_tokens`, { body: { name: 't' } })
    expect(noScopes.body).toEqual({ error: 'scopes is missing' })
    const badScope = await apiJson('POST', `/users/${user.id}/personal_access_tokens`, { body: { name: 't', scopes: ['root'] } })
    expect(badScope.body).toEqual({ error: 'scopes does not have a valid value' })
    const badDate = await apiJson('POST', `/users/${user.id}/personal_access_tokens`, { body: { name: 't', scopes: ['api'], expires_at: 'soon' } })
    expect(badDate.body).toEqual({ error: 'expires_at is invalid' })
    const unknown = await apiJson('POST', '/users/999999999/personal_access_tokens', { body: { name: 't', scopes: ['api'] } })
    expect(unknown.status).toBe(404)
  })
})

describe('the error model', () => {
  it('answers unknown routes with 404', async () => {
    const res = await apiJson('GET', '/nothing/here')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Not found' })
  })

  it('answers malformed JSON with 400 and writes nothing', async () => {
    const res = await apiJson('POST', '/users', { raw: '{"username": ', headers: { 'Content-Type': 'application/json' } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ message: '400 Bad request - Malformed JSON body' })
  })

  it('answers a huge body with 413', async () => {
    const res = await apiJson('POST', '/users', { raw: 'x='.padEnd(5 * 1024 * 1024, 'a'), headers: { 'Content-Type': 'application/x-www-form-urlencoded' } })
    expect(res.status).toBe(413)
  })

  it('accepts form-encoded bodies', async () => {
    const username = unique('f')
    const res = await apiJson('POST', '/users', { form: { username, name: 'F', email: `${username}@x.io` } })
    expect(res.status).toBe(201)
  })
})
