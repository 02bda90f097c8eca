import { describe, expect, it } from 'vitest'
import { linksOf } from '../link-header'
import { addMember, api, apiJson, createProject, createUser, unique, ROOT_TOKEN } from '../world'

/**
 * GET /projects, following lib/api/projects.rb (present_projects, reorder_projects), ProjectsFinder
 * (who sees what, owned / membership / min_access_level), Entities::BasicProjectDetails and
 * ProjectWithAccess, and Gitlab::Pagination::Keyset (order_by=id only, id_before/id_after links).
 */
async function projectNamed(owner: Awaited<ReturnType<typeof createUser>>, name: string, visibility: 'private' | 'internal' | 'public') {
  const res = await apiJson('POST', '/projects', { token: owner.token, body: { name, visibility } })
  expect(res.status).toBe(201)
  return res.body
}

async function world() {
  const owner = await createUser()
  const tag = unique('lst')
  const priv = await projectNamed(owner, `${tag}-private`, 'private')
  const internal = await projectNamed(owner, `${tag}-internal`, 'internal')
  const pub = await projectNamed(owner, `${tag}-public`, 'public')
  return { owner, tag, priv, internal, pub }
}

const ids = (body: any[]) => body.map((p) => p.id)

describe('GET /projects', () => {
  it('anonymous sees public projects only, as BasicProjectDetails', async () => {
    const { tag, pub } = await world()
    const res = await apiJson('GET', `/projects?search=${tag}`, { token: null })
    expect(res.status).toBe(200)
    expect(ids(res.body)).toEqual([pub.id])
    const [entry] = res.body
    expect(entry).toMatchObject({
      id: pub.id, name: pub.name, path_with_namespace: pub.path_with_namespace, tag_list: [], topics: [], star_count: 0, forks_count: 0,
      http_url_to_repo: `https://gitlab.example.com/${pub.path_with_namespace}.git`, namespace: { kind: 'user', full_path: pub.namespace.full_path },
    })
    expect(entry).not.toHaveProperty('permissions')
    expect(entry).not.toHaveProperty('visibility')
  })

  it('a user sees public, internal and their member projects; an outsider not the private one; admin all', async () => {
    const { owner, tag, priv, internal, pub } = await world()
    const outsider = await createUser()
    const reporter = await createUser()
    await addMember({ id: priv.id, path_with_namespace: priv.path_with_namespace, owner }, reporter, 20)
    expect(ids((await apiJson('GET', `/projects?search=${tag}`, { token: outsider.token })).body)).toEqual([pub.id, internal.id])
    expect(ids((await apiJson('GET', `/projects?search=${tag}`, { token: reporter.token })).body)).toEqual([pub.id, internal.id, priv.id])
    expect(ids((await apiJson('GET', `/projects?search=${tag}`, { token: owner.token })).body)).toEqual([pub.id, internal.id, priv.id])
    expect(ids((await apiJson('GET', `/projects?search=${tag}`, { token: ROOT_TOKEN })).body)).toEqual([pub.id, internal.id, priv.id])
    // The private project is invisible to the outsider whatever the filter.
    expect((await apiJson('GET', `/projects?search=${tag}&visibility=private`, { token: outsider.token })).body).toEqual([])
    expect((await apiJson('GET', `/projects?id_after=${priv.id - 1}&id_before=${priv.id + 1}`, { token: outsider.token })).body).toEqual([])
  })

  it('ProjectWithAccess carries the caller\'s permissions; simple=true gives the basic entity', async () => {
    const { owner, tag, pub } = await world()
    const developer = await createUser()
    await addMember({ id: pub.id, path_with_namespace: pub.path_with_namespace, owner }, developer, 30)
    const mine = await apiJson('GET', `/projects?search=${tag}-public`, { token: developer.token })
    expect(mine.body[0]).toMatchObject({ id: pub.id, visibility: 'public', archived: false, permissions: { project_access: { access_level: 30, notification_level: 3 }, group_access: null } })
    const other = await createUser()
    expect((await apiJson('GET', `/projects?search=${tag}-public`, { token: other.token })).body[0].permissions).toEqual({ project_access: null, group_access: null })
    const simple = await apiJson('GET', `/projects?search=${tag}-public&simple=true`, { token: developer.token })
    expect(simple.body[0]).not.toHaveProperty('permissions')
    expect(simple.body[0]).toHaveProperty('ssh_url_to_repo')
  })

  it('membership, owned, min_access_level and visibility narrow the list', async () => {
    const { owner, tag, priv, internal, pub } = await world()
    const maintainer = await createUser()
    await addMember({ id: internal.id, path_with_namespace: internal.path_with_namespace, owner }, maintainer, 40)
    await addMember({ id: pub.id, path_with_namespace: pub.path_with_namespace, owner }, maintainer, 20)
    const list = async (query: string, token = maintainer.token) => ids((await apiJson('GET', `/projects?search=${tag}&${query}`, { token })).body)
    expect(await list('membership=true')).toEqual([pub.id, internal.id])
    expect(await list('min_access_level=40')).toEqual([internal.id])
    expect(await list('owned=true')).toEqual([])
    expect(await list('owned=true', owner.token)).toEqual([pub.id, internal.id, priv.id])
    expect(await list('visibility=internal', owner.token)).toEqual([internal.id])
    expect(await list('archived=true', owner.token)).toEqual([])
    expect(await list('archived=false', owner.token)).toEqual([pub.id, internal.id, priv.id])
    expect(await list('starred=true', owner.token)).toEqual([])
    expect(await list('owned=true', '')).toEqual([])
    expect(await list('last_activity_after=2000-01-01T00:00:00Z', owner.token)).toEqual([pub.id, internal.id, priv.id])
    expect(await list('last_activity_before=2000-01-01', owner.token)).toEqual([])
    expect(await list('updated_after=2000-01-01&order_by=updated_at', owner.token)).toEqual([pub.id, internal.id, priv.id])
    expect(await apiJson('GET', `/projects?updated_after=2000-01-01`, { token: owner.token }))
      .toMatchObject({ status: 400, body: { message: '400 Bad request - `updated_at` filter and `updated_at` sorting must be paired' } })
    expect(await apiJson('GET', `/projects?last_activity_after=yesterday`, { token: owner.token })).toMatchObject({ status: 400, body: { error: 'last_activity_after is invalid' } })
  })

  it('orders by the asked column and direction (created_at desc by default)', async () => {
    const { owner, tag, priv, internal, pub } = await world()
    const list = async (query: string) => ids((await apiJson('GET', `/projects?search=${tag}&${query}`, { token: owner.token })).body)
    expect(await list('order_by=id&sort=asc')).toEqual([priv.id, internal.id, pub.id])
    expect(await list('order_by=name&sort=asc')).toEqual([internal.id, priv.id, pub.id])
    expect(await list('order_by=path&sort=desc')).toEqual([pub.id, priv.id, internal.id])
    expect(await list('order_by=similarity')).toHaveLength(3)
    expect(await list('search_namespaces=true')).toEqual([pub.id, internal.id, priv.id])
  })

  it('searches name and path: short terms match whole values, longer ones substrings, namespaces only when asked', async () => {
    const owner = await createUser()
    const tag = unique('srch')
    const a = await projectNamed(owner, `${tag}alpha`, 'private')
    const list = async (query: string) => ids((await apiJson('GET', `/projects?${query}`, { token: owner.token })).body)
    expect(await list(`search=${tag}alp`)).toEqual([a.id])
    expect(await list(`search=${tag.toUpperCase()}ALPHA`)).toEqual([a.id])
    expect(await list(`search=${encodeURIComponent(owner.username)}`)).toEqual([])
    expect(await list(`search=${encodeURIComponent(owner.username)}&search_namespaces=true`)).toEqual([a.id])
    expect(await list('search=%25&owned=true')).toEqual([])
  })

  it('offset pagination: X-Total, X-Page, X-Next-Page and Link', async () => {
    const { owner, tag, priv, internal, pub } = await world()
    const first = await apiJson('GET', `/projects?search=${tag}&per_page=2&order_by=id&sort=asc`, { token: owner.token })
    expect(ids(first.body)).toEqual([priv.id, internal.id])
    expect(first.headers.get('X-Total')).toBe('3')
    expect(first.headers.get('X-Total-Pages')).toBe('2')
    expect(first.headers.get('X-Page')).toBe('1')
    expect(first.headers.get('X-Per-Page')).toBe('2')
    expect(first.headers.get('X-Next-Page')).toBe('2')
    const links = linksOf(first.headers)
    const next = await apiJson('GET', links.next!.replace('https://gitlab.example.com/api/v4', ''), { token: owner.token })
    expect(ids(next.body)).toEqual([pub.id])
    expect(next.headers.get('X-Next-Page')).toBe('')
    expect(next.headers.get('X-Prev-Page')).toBe('1')
  })

  it('keyset pagination: order_by=id only, next link through id_before / id_after, no totals', async () => {
    const { owner, tag, priv, internal, pub } = await world()
    const first = await apiJson('GET', `/projects?search=${tag}&pagination=keyset&order_by=id&per_page=2`, { token: owner.token })
    expect(first.status).toBe(200)
    expect(ids(first.body)).toEqual([pub.id, internal.id])
    expect(first.headers.get('X-Total')).toBeNull()
    expect(first.headers.get('X-Page')).toBeNull()
    const next = linksOf(first.headers).next!
    expect(new URL(next).searchParams.get('id_before')).toBe(String(internal.id))
    expect(new URL(next).searchParams.get('search')).toBe(tag)
    const second = await apiJson('GET', next.replace('https://gitlab.example.com/api/v4', ''), { token: owner.token })
    expect(ids(second.body)).toEqual([priv.id])
    // Keyset::Pager links on from any page with rows; the empty page after the last has none.
    const third = await apiJson('GET', linksOf(second.headers).next!.replace('https://gitlab.example.com/api/v4', ''), { token: owner.token })
    expect(third.body).toEqual([])
    expect(third.headers.get('Link')).toBeNull()

    const asc = await apiJson('GET', `/projects?search=${tag}&pagination=keyset&order_by=id&sort=asc&per_page=2`, { token: owner.token })
    expect(ids(asc.body)).toEqual([priv.id, internal.id])
    expect(new URL(linksOf(asc.headers).next!).searchParams.get('id_after')).toBe(String(internal.id))

    for (const query of ['pagination=keyset', 'pagination=keyset&order_by=name']) {
      expect(await apiJson('GET', `/projects?${query}`, { token: owner.token }))
        .toMatchObject({ status: 405, body: { error: 'Keyset pagination is not yet available for this type of request' } })
    }
  })

  it('rejects invalid params with Grape errors; null optional params are absent', async () => {
    const owner = await createUser()
    for (const [query, error] of [
      ['order_by=stars', 'order_by does not have a valid value'],
      ['sort=up', 'sort does not have a valid value'],
      ['visibility=secret', 'visibility does not have a valid value'],
      ['min_access_level=15', 'min_access_level does not have a valid value'],
      ['owned=maybe', 'owned is invalid'],
      ['id_after=x', 'id_after is invalid'],
      ['per_page=0', 'per_page has a value not allowed'],
    ]) {
      expect(await apiJson('GET', `/projects?${query}`, { token: owner.token })).toMatchObject({ status: 400, body: { error } })
    }
    const res = await api('GET', '/projects', { token: owner.token, headers: { 'Content-Type': 'application/json' } })
    expect(res.status).toBe(200)
    expect(await apiJson('GET', '/projects', { token: 'glpat-nope' })).toMatchObject({ status: 401 })
  })
})
