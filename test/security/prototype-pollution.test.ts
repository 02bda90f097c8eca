import { afterEach, describe, expect, it } from 'vitest'
import { parseNestedPairs } from '../../src/http/nested-params'
import { SimulatedRunner } from '../runner-client'
import { SELF } from 'cloudflare:test'
import { api, apiJson, BASE, createPipelineFrom, createProject } from '../world'

/**
 * Issue #9, hole 1: `__proto__[zz]=1` in any params (query, form, JSON, multipart) must never
 * reach Object.prototype. On the old code one anonymous request broke every later request.
 */
const POLLUTED = ['zz', 'status', 'polluted']

afterEach(() => {
  // Keep one failure from cascading into the rest of the run (on the old code).
  for (const key of POLLUTED) delete (Object.prototype as Record<string, unknown>)[key]
})

function prototypeIsClean(): void {
  for (const key of POLLUTED) expect(Object.hasOwn(Object.prototype, key), `Object.prototype.${key}`).toBe(false)
}

describe('params never reach a prototype', () => {
  it('parses __proto__, constructor and prototype segments into nothing', () => {
    const params = parseNestedPairs(new URLSearchParams('__proto__[zz]=1&a[__proto__][zz]=2&constructor[prototype][zz]=3&b[constructor]=4&ok=1').entries())
    prototypeIsClean()
    expect(Object.getPrototypeOf(params)).toBe(null)
    expect(Object.keys(params)).toEqual(['ok']) // a key with any such segment is dropped whole
  })

  it.each([
    ['query', () => api('GET', '/user?__proto__[zz]=1&__proto__[status]=299', { token: null })],
    ['form body', () => api('POST', '/projects', { token: null, form: { '__proto__[zz]': '1', 'constructor[prototype][polluted]': '1' } })],
    ['JSON body', () => api('POST', '/projects', { token: null, raw: '{"__proto__":{"zz":1},"constructor":{"prototype":{"polluted":1}}}', headers: { 'Content-Type': 'application/json' } })],
  ])('an anonymous request with a polluting %s leaves the API working', async (_kind, send) => {
    const res = await send()
    expect(res.status).toBeLessThan(500)
    await res.body?.cancel()
    prototypeIsClean()
    // Every endpoint still validates and answers: a user read, a write with a schema, a runner call.
    expect((await apiJson('GET', '/user')).status).toBe(200)
    const project = await createProject()
    await createPipelineFrom(project, 'job:\n  script: x\n')
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    const job = (await runner.requestJob())!
    expect((await job.update('running')).status).toBe(200)
    expect((await job.patch('log\n')).status).toBe(202)
    // A response built without a status keeps its 200.
    expect((await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token: project.owner.token })).status).toBe(200)
  })

  it('ignores multipart fields named __proto__ or constructor', async () => {
    const project = await createProject()
    await createPipelineFrom(project, 'job:\n  script: x\n')
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    const job = (await runner.requestJob())!
    await job.update('running')
    const boundary = 'XyZ'
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="__proto__"\r\n\r\nzz\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="constructor"\r\n\r\nx\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="artifact_type"\r\n\r\narchive\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\nContent-Type: application/zip\r\n\r\nPK\r\n`,
      `--${boundary}--\r\n`,
    ].join('')
    const res = await SELF.fetch(`${BASE}/jobs/${job.id}/artifacts`, {
      method: 'POST',
      headers: { 'JOB-TOKEN': job.token, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body,
    })
    expect(res.status).toBe(201)
    prototypeIsClean()
  })

  it('a file named like a prototype key is an ordinary file', async () => {
    const project = await createProject()
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      const path = `/projects/${project.id}/repository/files/${name}`
      const created = await apiJson('POST', path, { token: project.owner.token, body: { branch: 'main', content: name, commit_message: name } })
      expect(created.status, name).toBe(201)
      const raw = await api('GET', `${path}/raw?ref=main`, { token: project.owner.token })
      expect(await raw.text()).toBe(name)
    }
    const missing = await api('GET', `/projects/${project.id}/repository/files/valueOf/raw?ref=main`, { token: project.owner.token })
    expect(missing.status).toBe(404)
  })
})
