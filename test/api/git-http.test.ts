import { env } from 'cloudflare:workers'
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { serializeCommit } from '../../src/git/commit'
import { hashObject, type ObjectType } from '../../src/git/oid'
import { writePack } from '../../src/git/pack-writer'
import { FLUSH, pkt } from '../../src/git/pkt-line'
import { serializeTree } from '../../src/git/tree'
import { deflateBytes } from '../../src/git/zlib'
import { repoObject } from '../../src/objects/stubs'
import { createProject, type TestProject } from '../world'

const ZERO = '0'.repeat(40)
const enc = new TextEncoder()

function basic(project: TestProject): string {
  return `Basic ${btoa(`${project.owner.username}:${project.owner.token}`)}`
}

async function post(project: TestProject, service: string, body: BodyInit, auth = basic(project)) {
  return SELF.fetch(`https://gitlab.example.com/${project.path_with_namespace}.git/${service}`, {
    method: 'POST', headers: { 'Content-Type': `application/x-${service}-request`, Authorization: auth }, body,
  })
}

/** A commit with one file, as pack bytes (our own writer) and its id. */
async function commitPack(content: string) {
  const objects: Array<{ type: ObjectType; data: Uint8Array }> = []
  const add = async (type: ObjectType, data: Uint8Array) => {
    objects.push({ type, data })
    return hashObject(type, data)
  }
  const blob = await add('blob', enc.encode(content))
  const tree = await add('tree', serializeTree([{ mode: '100644', name: 'f.txt', oid: blob }]))
  const who = { name: 'T', email: 't@example.com', time: 1_700_000_000_000, timezone: '+0000' }
  const commit = await add('commit', serializeCommit({ tree, parents: [], author: who, committer: who, message: 'm\n' }))
  const parts: Uint8Array[] = []
  for await (const chunk of writePack(objects.length, async (i) => ({ type: objects[i].type, size: objects[i].data.length, compressed: deflateBytes(objects[i].data) }))) parts.push(chunk)
  return { commit, pack: new Uint8Array(await new Blob(parts).arrayBuffer()) }
}

function pushBody(command: string, pack: Uint8Array): Blob {
  return new Blob([pkt(`${command}\0 report-status side-band-64k`), FLUSH, pack])
}

describe('git smart HTTP (inside workerd)', () => {
  it('advertises with the content types git expects, refuses HEAD and the dumb protocol', async () => {
    const project = await createProject()
    const url = `https://gitlab.example.com/${project.path_with_namespace}.git/info/refs`
    const v0 = await SELF.fetch(`${url}?service=git-receive-pack`, { headers: { Authorization: basic(project) } })
    expect(v0.status).toBe(200)
    expect(v0.headers.get('Content-Type')).toBe('application/x-git-receive-pack-advertisement')
    expect(v0.headers.get('Cache-Control')).toBe('no-cache')
    const text = await v0.text()
    expect(text.startsWith('001f# service=git-receive-pack\n0000')).toBe(true)
    expect(text).toContain(`${ZERO} capabilities^{}\0report-status report-status-v2 delete-refs side-band-64k quiet atomic ofs-delta push-options`)
    const v2 = await SELF.fetch(`${url}?service=git-upload-pack`, { headers: { Authorization: basic(project), 'Git-Protocol': 'version=2' } })
    expect(await v2.text()).toContain('000eversion 2\n')
    expect((await SELF.fetch(`${url}?service=git-upload-pack`, { method: 'HEAD', headers: { Authorization: basic(project) } })).status).toBe(403)
    expect((await SELF.fetch(url, { headers: { Authorization: basic(project) } })).status).toBe(404)
    const anonymous = await SELF.fetch(`${url}?service=git-upload-pack`)
    expect(anonymous.status).toBe(401)
    expect(anonymous.headers.get('WWW-Authenticate')).toBe('Basic realm="GitLab"')
  })

  it('stores a good push, and nothing at all of truncated, corrupt or unconnected packs', async () => {
    const project = await createProject()
    const repo = repoObject(env, project.id)
    const { commit, pack } = await commitPack('hello')
    const bad = [
      pack.slice(0, pack.length - 7),
      pack.map((b, i) => (i === 20 ? b ^ 0x55 : b)),
      new Uint8Array([...pack.slice(0, 8), 0, 0, 0, 9, ...pack.slice(12)]), // claims 9 objects
    ]
    for (const bytes of bad) {
      const res = await post(project, 'git-receive-pack', pushBody(`${ZERO} ${commit} refs/heads/main`, bytes))
      expect(res.status).toBe(200)
      const body = new TextDecoder().decode(await res.arrayBuffer())
      expect(body).toMatch(/unpack (?!ok)/)
      expect(body).toContain('ng refs/heads/main unpacker error')
      expect(await repo.objectCount()).toBe(0)
    }
    const good = await post(project, 'git-receive-pack', pushBody(`${ZERO} ${commit} refs/heads/main`, pack))
    expect(new TextDecoder().decode(await good.arrayBuffer())).toContain('unpack ok\n')
    expect(await repo.objectCount()).toBe(3)
    expect(await repo.resolve('main')).toBe(commit)
  })

  it('has the repository object refuse a push that comes without valid ref rules (fail closed)', async () => {
    const project = await createProject()
    const repo = repoObject(env, project.id)
    const { commit, pack } = await commitPack('unruled')
    const limits = { 'x-max-push-bytes': String(1 << 20), 'x-max-object-bytes': String(1 << 20) }
    const push = (headers: Record<string, string>) =>
      repo.fetch('https://repo/receive-pack', { method: 'POST', body: pushBody(`${ZERO} ${commit} refs/heads/main`, pack), headers: { ...limits, ...headers } })
    for (const headers of [{} as Record<string, string>, { 'x-ref-rules': 'not json' }, { 'x-ref-rules': '{"branches":[]}' }, { 'x-ref-rules': 'null' }]) {
      const res = await push(headers)
      expect(res.status).toBe(403)
      await res.arrayBuffer()
      expect(await repo.commitAt('main')).toBeNull()
    }
    const allowed = await push({ 'x-ref-rules': JSON.stringify({ branches: [], tags: { adminTag: true, protected: [] } }) })
    expect(allowed.status).toBe(200)
    await allowed.arrayBuffer()
    expect((await repo.commitAt('main'))?.id).toBe(commit)
  })

  it('answers bogus request bodies with 400 or an ERR packet, never 500, and the probe with an empty 200', async () => {
    const project = await createProject()
    const bogus = await post(project, 'git-receive-pack', 'zzzz garbage')
    expect(bogus.status).toBe(400)
    expect(await bogus.text()).toMatch(/protocol error: bad line length character/)
    const probe = await post(project, 'git-receive-pack', '0000')
    expect(probe.status).toBe(200)
    expect((await probe.arrayBuffer()).byteLength).toBe(0)
    const fetch = await post(project, 'git-upload-pack', 'zzzz garbage')
    expect(fetch.status).toBe(200)
    expect(await fetch.text()).toMatch(/^[0-9a-f]{4}ERR protocol error/)
    const wrongType = await SELF.fetch(`https://gitlab.example.com/${project.path_with_namespace}.git/git-upload-pack`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain', Authorization: basic(project) }, body: '0000',
    })
    expect(wrongType.status).toBe(404)
  })
})
