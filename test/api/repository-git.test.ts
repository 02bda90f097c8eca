import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { changedPathsBetween, readFileAtCommit } from '../../src/services/repository'
import { api, apiJson, commitFile, createProject, createUser, addMember } from '../world'

const EXTERNAL = 'https://gitlab.example.com'

describe('repository reads over the git store', () => {
  it('lists branches with their head commit (GitLab Branch entity), one branch, 404 for unknown', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'a')
    await commitFile(project, 'b.txt', 'b', 'feature')
    const list = await apiJson('GET', `/projects/${project.id}/repository/branches`, { token: project.owner.token })
    expect(list.status).toBe(200)
    expect(list.headers.get('X-Total')).toBe('2')
    expect(list.body.map((b: any) => b.name)).toEqual(['feature', 'main'])
    const main = list.body[1]
    expect(main).toMatchObject({ name: 'main', merged: false, protected: false, default: true, can_push: true, web_url: `${EXTERNAL}/${project.path_with_namespace}/-/tree/main` })
    expect(main.commit).toMatchObject({ title: 'Add a.txt', parent_ids: [] })
    expect(main.commit.id).toMatch(/^[0-9a-f]{40}$/)
    const short = await apiJson('GET', `/projects/${project.id}/repository/commits/${main.commit.id.slice(0, 8)}`, { token: project.owner.token })
    expect(short.body.id).toBe(main.commit.id)
    const feature = await apiJson('GET', `/projects/${project.id}/repository/branches/feature`, { token: project.owner.token })
    expect(feature.body.commit.parent_ids).toEqual([main.commit.id])
    expect(feature.body.default).toBe(false)
    expect((await apiJson('GET', `/projects/${project.id}/repository/branches/nope`, { token: project.owner.token })).body).toEqual({ message: '404 Branch Not Found' })
    await commitFile(project, 'c.txt', 'c', 'feature/x')
    const slashed = await apiJson('GET', `/projects/${project.id}/repository/branches/${encodeURIComponent('feature/x')}`, { token: project.owner.token })
    expect(slashed.body.name).toBe('feature/x')
  })

  it('lists the tree (path, recursive, pagination) and commits (ref_name, pagination)', async () => {
    const project = await createProject()
    await commitFile(project, 'README.md', '# r')
    await commitFile(project, 'src/lib/x.ts', 'x')
    await commitFile(project, 'src/y.ts', 'y')
    const top = await apiJson('GET', `/projects/${project.id}/repository/tree`, { token: project.owner.token })
    expect(top.body.map((e: any) => [e.type, e.path, e.mode])).toEqual([['blob', 'README.md', '100644'], ['tree', 'src', '040000']])
    const sub = await apiJson('GET', `/projects/${project.id}/repository/tree?path=src&recursive=true`, { token: project.owner.token })
    expect(sub.body.map((e: any) => e.path)).toEqual(['src/lib', 'src/lib/x.ts', 'src/y.ts'])
    const page = await apiJson('GET', `/projects/${project.id}/repository/tree?recursive=true&per_page=2&page=2`, { token: project.owner.token })
    expect(page.body.map((e: any) => e.path)).toEqual(['src/lib', 'src/lib/x.ts'])
    expect(page.headers.get('X-Total')).toBe('5')
    expect((await apiJson('GET', `/projects/${project.id}/repository/tree?path=nope`, { token: project.owner.token })).status).toBe(404)

    const commits = await apiJson('GET', `/projects/${project.id}/repository/commits?per_page=2`, { token: project.owner.token })
    expect(commits.body.map((c: any) => c.title)).toEqual(['Add src/y.ts', 'Add src/lib/x.ts'])
    expect(commits.headers.get('X-Next-Page')).toBe('2')
    const last = await apiJson('GET', `/projects/${project.id}/repository/commits?ref_name=main&per_page=2&page=2`, { token: project.owner.token })
    expect(last.body.map((c: any) => c.title)).toEqual(['Add README.md'])
    expect(last.headers.get('X-Next-Page')).toBe('')
    const unknown = await apiJson('GET', `/projects/${project.id}/repository/commits?ref_name=nope`, { token: project.owner.token })
    expect(unknown.status).toBe(200)
    expect(unknown.body).toEqual([])
  })

  it('stores binary files byte for byte (base64 in, raw bytes out)', async () => {
    const project = await createProject()
    const bytes = new Uint8Array(1000).map((_, i) => (i * 37) % 256)
    const res = await apiJson('POST', `/projects/${project.id}/repository/files/logo.png`, {
      token: project.owner.token, body: { branch: 'main', commit_message: 'logo', encoding: 'base64', content: btoa(String.fromCharCode(...bytes)) },
    })
    expect(res.status).toBe(201)
    const raw = await api('GET', `/projects/${project.id}/repository/files/logo.png/raw?ref=main`, { token: project.owner.token })
    expect(raw.headers.get('Content-Type')).toBe('application/octet-stream')
    expect(new Uint8Array(await raw.arrayBuffer())).toEqual(bytes)
  })

  it('reads a file at a commit and lists changed paths for other services', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'one')
    const first = (await apiJson('GET', `/projects/${project.id}/repository/commits/main`, { token: project.owner.token })).body.id
    await commitFile(project, 'dir/b.txt', 'two')
    await commitFile(project, 'a.txt', 'three', 'main', 'PUT')
    const head = (await apiJson('GET', `/projects/${project.id}/repository/commits/main`, { token: project.owner.token })).body.id
    expect(new TextDecoder().decode((await readFileAtCommit(env, project.id, first, 'a.txt'))!)).toBe('one')
    expect(new TextDecoder().decode((await readFileAtCommit(env, project.id, 'main', 'a.txt'))!)).toBe('three')
    expect(await readFileAtCommit(env, project.id, first, 'dir/b.txt')).toBeNull()
    expect(await changedPathsBetween(env, project.id, first, head)).toEqual(['a.txt', 'dir/b.txt'])
    expect(await changedPathsBetween(env, project.id, '0'.repeat(40), first)).toEqual(['a.txt'])
  })

  it('hides the repository from outsiders of a private project and refuses guests writes', async () => {
    const project = await createProject()
    await commitFile(project, 'a.txt', 'a')
    const outsider = await createUser()
    expect((await apiJson('GET', `/projects/${project.id}/repository/branches`, { token: outsider.token })).status).toBe(404)
    expect((await apiJson('GET', `/projects/${project.id}/repository/tree`, { token: null })).status).toBe(404)
    const guest = await createUser()
    await addMember(project, guest, 10)
    const write = await apiJson('POST', `/projects/${project.id}/repository/files/b.txt`, { token: guest.token, body: { branch: 'main', content: 'b', commit_message: 'b' } })
    expect(write.status).toBe(403)
  })
})

describe('PUT /projects/:id ci_default_git_depth', () => {
  it('defaults to 20, accepts 0..1000 and refuses other values', async () => {
    const project = await createProject()
    expect((await apiJson('GET', `/projects/${project.id}`, { token: project.owner.token })).body.ci_default_git_depth).toBe(20)
    const set = await apiJson('PUT', `/projects/${project.id}`, { token: project.owner.token, body: { ci_default_git_depth: 0 } })
    expect(set.status).toBe(200)
    expect(set.body.ci_default_git_depth).toBe(0)
    expect((await apiJson('GET', `/projects/${project.id}`, { token: project.owner.token })).body.ci_default_git_depth).toBe(0)
    for (const bad of [-1, 1001]) {
      expect((await apiJson('PUT', `/projects/${project.id}`, { token: project.owner.token, body: { ci_default_git_depth: bad } })).status).toBe(400)
    }
  })
})
