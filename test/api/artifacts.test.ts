import { env } from 'cloudflare:workers'
import { createExecutionContext, createScheduledController, SELF, waitOnExecutionContext } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { bytesOf, multipartStream, startRunningJob } from '../runner-client'
import { addMember, api, apiJson, BASE, createUser, type TestProject } from '../world'

const TWO_STAGES = `
stages: [build, test]
build:
  stage: build
  script: make
unit:
  stage: test
  script: make test
`

function runningJob(ci = TWO_STAGES) {
  return startRunningJob(ci)
}

function showJob(project: TestProject, jobId: number, token = project.owner.token) {
  return apiJson('GET', `/projects/${project.id}/jobs/${jobId}`, { token })
}

async function storedObjects(jobId: number): Promise<string[]> {
  const listed = await env.BLOBS.list({ prefix: `jobs/${jobId}/artifacts/` })
  return listed.objects.map((object) => object.key)
}

function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = []
  for (let at = 0; at < data.byteLength; at += size) out.push(data.subarray(at, at + size))
  return out
}

async function sha256(data: Uint8Array): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', data))
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('')
}

async function withSettings<T>(settings: Record<string, number>, run: () => Promise<T>): Promise<T> {
  expect((await apiJson('PUT', '/application/settings', { body: settings })).status).toBe(200)
  try {
    return await run()
  } finally {
    await apiJson('PUT', '/application/settings', { body: { max_artifacts_size: 100, ci_jobs_trace_size_limit: 100 } })
  }
}

describe('POST /jobs/:id/artifacts', () => {
  it('stores a streamed archive (201 "201"), one per type, and the Job shows it with its expiry', async () => {
    const { project, job } = await runningJob()
    const before = Date.now()
    const uploaded = await job.uploadArtifact([bytesOf(100), bytesOf(50, 3)], { filename: 'build.zip', query: { expire_in: '2 days' } })
    expect(uploaded.status).toBe(201)
    expect(await uploaded.text()).toBe('201')
    const again = await job.uploadArtifact([bytesOf(10)])
    expect(again.status).toBe(400)
    expect(await again.json()).toEqual({ message: 'another artifact of the same type already exists' })
    const junit = await job.uploadArtifact([bytesOf(20)], { filename: 'junit.xml.gz', query: { artifact_type: 'junit', artifact_format: 'gzip' } })
    expect(junit.status).toBe(201)
    const shown = await showJob(project, job.id)
    expect(shown.body.artifacts_file).toEqual({ filename: 'build.zip', size: 150 })
    expect(shown.body.artifacts).toEqual([
      { file_type: 'archive', size: 150, filename: 'build.zip', file_format: 'zip' },
      { file_type: 'junit', size: 20, filename: 'junit.xml.gz', file_format: 'gzip' },
    ])
    const expiresIn = Date.parse(shown.body.artifacts_expire_at) - before
    expect(expiresIn).toBeGreaterThan(2 * 86400_000 - 60_000)
    expect(expiresIn).toBeLessThan(2 * 86400_000 + 60_000)
  })

  it('streams an archive larger than one R2 part and serves it back byte for byte', async () => {
    const { project, job } = await runningJob()
    const data = bytesOf(12 * 1024 * 1024 + 123)
    expect((await job.uploadArtifact(chunks(data, 256 * 1024))).status).toBe(201)
    const download = await api('GET', `/projects/${project.id}/jobs/${job.id}/artifacts`, { token: project.owner.token })
    expect(download.status).toBe(200)
    expect(download.headers.get('Content-Disposition')).toBe(`attachment; filename="artifacts.zip"; filename*=UTF-8''artifacts.zip`)
    const received = new Uint8Array(await download.arrayBuffer())
    expect(received.byteLength).toBe(data.byteLength)
    expect(await sha256(received)).toBe(await sha256(data))
  })

  it('refuses an archive over max_artifacts_size with 413 and leaves nothing behind', async () => {
    const { project, job } = await runningJob()
    await withSettings({ max_artifacts_size: 6 }, async () => {
      // Past one 5 MiB R2 part: the multipart upload must be aborted.
      expect((await job.uploadArtifact(chunks(bytesOf(11 * 1024 * 1024), 512 * 1024))).status).toBe(413)
      expect(await storedObjects(job.id)).toEqual([])
      expect((await showJob(project, job.id)).body.artifacts).toEqual([])
      // Below one part: a single put that never happens.
      await apiJson('PUT', '/application/settings', { body: { max_artifacts_size: 1 } })
      expect((await job.uploadArtifact([bytesOf(2 * 1024 * 1024)])).status).toBe(413)
      expect(await storedObjects(job.id)).toEqual([])
    })
    // Nothing was recorded, so the job may still upload its archive.
    expect((await job.uploadArtifact([bytesOf(64)])).status).toBe(201)
    expect(await storedObjects(job.id)).toHaveLength(1)
  })

  it('refuses a wrong token (403), a body without a file (400), an unknown type (400) and a finished job (403)', async () => {
    const { project, job } = await runningJob()
    expect((await job.uploadArtifact([bytesOf(5)], { token: 'glcbt-wrong' })).status).toBe(403)
    const boundary = 'xyz'
    const noFile = await SELF.fetch(`${BASE}/jobs/${job.id}/artifacts`, {
      method: 'POST',
      headers: { 'JOB-TOKEN': job.token, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="expire_in"\r\n\r\n1 day\r\n--${boundary}--\r\n`,
    })
    expect(noFile.status).toBe(400)
    expect(await noFile.json()).toEqual({ error: 'file is missing' })
    expect((await job.uploadArtifact([bytesOf(5)], { query: { artifact_type: 'trace' } })).status).toBe(400)
    expect((await job.finish('success')).status).toBe(200)
    const late = await job.uploadArtifact([bytesOf(5)])
    expect(late.status).toBe(403)
    expect(late.headers.get('Job-Status')).toBe('success')
    expect(await storedObjects(job.id)).toEqual([])
    expect((await showJob(project, job.id)).body.artifacts.map((a: any) => a.file_type)).toEqual([])
  })

  it('reads form fields sent before the file part', async () => {
    const { project, job } = await runningJob()
    const boundary = 'b0undary'
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="expire_in"\r\n\r\nnever\r\n`
    const body = new Blob([head, await new Response(multipartStream(boundary, 'résumé.zip', [bytesOf(9)])).arrayBuffer()])
    const res = await SELF.fetch(`${BASE}/jobs/${job.id}/artifacts`, {
      method: 'POST', headers: { 'JOB-TOKEN': job.token, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body,
    })
    expect(res.status).toBe(201)
    const shown = await showJob(project, job.id)
    expect(shown.body).toMatchObject({ artifacts_file: { filename: 'résumé.zip', size: 9 }, artifacts_expire_at: null })
    const download = await api('GET', `/projects/${project.id}/jobs/${job.id}/artifacts`, { token: project.owner.token })
    expect(download.headers.get('Content-Disposition')).toBe(`attachment; filename="resume.zip"; filename*=UTF-8''r%C3%A9sum%C3%A9.zip`)
  })
})

describe('the multipart reader', () => {
  it('finds boundaries split across tiny chunks and keeps look-alike bytes inside the file', async () => {
    const { project, job } = await runningJob()
    const boundary = 'AaB03x'
    // Data that contains CRLF, dashes and a prefix of the delimiter, but never the whole of it.
    const file = new TextEncoder().encode('zip\r\n--AaB03\r\n--AaB0\r\r\n-\r\n--AaB03y end')
    const head = `preamble to ignore\r\n--${boundary}\r\nContent-Disposition: form-data; name="artifact_type"\r\n\r\narchive\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="dir/odd.zip"\r\nContent-Type: application/zip\r\n\r\n`
    const all = new Uint8Array([...new TextEncoder().encode(head), ...file, ...new TextEncoder().encode(`\r\n--${boundary}--\r\n`)])
    let at = 0
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= all.byteLength) return controller.close()
        controller.enqueue(all.slice(at, at + 3))
        at += 3
      },
    })
    const res = await SELF.fetch(`${BASE}/jobs/${job.id}/artifacts`, {
      method: 'POST', headers: { 'JOB-TOKEN': job.token, 'Content-Type': `multipart/form-data; boundary="${boundary}"` }, body,
    })
    expect(res.status).toBe(201)
    const download = await api('GET', `/projects/${project.id}/jobs/${job.id}/artifacts`, { token: project.owner.token })
    expect(download.headers.get('Content-Disposition')).toBe(`attachment; filename="odd.zip"; filename*=UTF-8''odd.zip`)
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(file)
  })

  it('refuses a body that ends inside the file part (400) and stores nothing', async () => {
    const { job } = await runningJob()
    const res = await SELF.fetch(`${BASE}/jobs/${job.id}/artifacts`, {
      method: 'POST',
      headers: { 'JOB-TOKEN': job.token, 'Content-Type': 'multipart/form-data; boundary=zz' },
      body: '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n\r\ntruncated data',
    })
    expect(res.status).toBe(400)
    expect(await storedObjects(job.id)).toEqual([])
  })
})

describe('GET /jobs/:id/artifacts (dependency download)', () => {
  // GitLab: lib/api/ci/runner.rb `get '/:id/artifacts'` → authenticate_job_via_dependent_job!
  // (lib/api/ci/helpers/runner.rb: authenticate! = 401 without a running job's token, then 403
  // without read_build), present_disk_file! (Content-Disposition, Content-Transfer-Encoding).
  it('serves the archive to a running job of the same project; a dead token 401, another project 403, no archive 404', async () => {
    const { project, runner, job } = await runningJob()
    const data = bytesOf(777)
    expect((await job.uploadArtifact([data])).status).toBe(201)
    expect((await job.finish('success')).status).toBe(200)
    const next = (await runner.requestJob())!
    const download = await next.downloadArtifacts(job.id)
    expect(download.status).toBe(200)
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(data)
    expect(download.headers.get('Content-Transfer-Encoding')).toBe('binary')
    expect(download.headers.get('Content-Disposition')).toBe(`attachment; filename="artifacts.zip"; filename*=UTF-8''artifacts.zip`)
    // The finished job's own token is gone: 401, as for an unknown or missing token.
    expect((await job.downloadArtifacts(job.id)).status).toBe(401)
    expect((await api('GET', `/jobs/${job.id}/artifacts`, { token: null, headers: { 'JOB-TOKEN': 'glcbt-unknown' } })).status).toBe(401)
    expect(await apiJson('GET', `/jobs/${job.id}/artifacts`, { token: null })).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } })
    // A valid token, but no such build: 403.
    expect((await next.downloadArtifacts(999999)).status).toBe(403)
    expect((await next.downloadArtifacts(next.id)).status).toBe(404)
    const other = await runningJob()
    expect((await other.job.downloadArtifacts(job.id)).status).toBe(403)
    expect(project.id).not.toBe(other.project.id)
  })
})

describe('user-facing artifacts endpoints', () => {
  it('download (read_build), keep (developer, 200 Job without expiry), delete (maintainer, 204)', async () => {
    const { project, job } = await runningJob()
    expect((await job.uploadArtifact([bytesOf(42)], { query: { expire_in: '1 week' } })).status).toBe(201)
    expect((await job.finish('success')).status).toBe(200)
    const [developer, stranger] = await Promise.all([createUser(), createUser()])
    await addMember(project, developer, 30)
    const path = `/projects/${project.id}/jobs/${job.id}/artifacts`
    expect((await api('GET', path, { token: stranger.token })).status).toBe(404)
    expect((await api('GET', path, { token: developer.token })).status).toBe(200)
    const kept = await apiJson('POST', `${path}/keep`, { token: developer.token })
    expect(kept.status).toBe(200)
    expect(kept.body).toMatchObject({ id: job.id, artifacts_expire_at: null, artifacts_file: { size: 42 } })
    expect((await api('DELETE', path, { token: developer.token })).status).toBe(403)
    expect((await api('DELETE', path, { token: project.owner.token })).status).toBe(204)
    expect(await storedObjects(job.id)).toEqual([])
    expect((await api('GET', path, { token: project.owner.token })).status).toBe(404)
    expect((await apiJson('POST', `${path}/keep`, { token: developer.token })).status).toBe(404)
    const shown = await showJob(project, job.id)
    expect(shown.body.artifacts_file).toBeUndefined()
    expect(shown.body.artifacts).toEqual([])
    expect((await api('GET', `/projects/${project.id}/jobs/999999999/artifacts`, { token: project.owner.token })).status).toBe(404)
  })
})

describe('the scheduled sweep', () => {
  it('deletes expired artifacts (R2 object and row) and keeps the log and unexpired artifacts', async () => {
    const { project, job } = await runningJob()
    expect((await job.patch('log line\n')).status).toBe(202)
    expect((await job.uploadArtifact([bytesOf(30)], { query: { expire_in: '1 sec' } })).status).toBe(201)
    expect((await job.uploadArtifact([bytesOf(30)], { query: { artifact_type: 'junit', artifact_format: 'gzip', expire_in: '1 day' } })).status).toBe(201)
    expect((await job.finish('success')).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController({ cron: '*/15 * * * *' }), env, ctx)
    await waitOnExecutionContext(ctx)
    const shown = await showJob(project, job.id)
    expect(shown.body.artifacts.map((a: any) => a.file_type)).toEqual(['junit', 'trace'])
    expect(shown.body.artifacts_file).toBeUndefined()
    expect(await storedObjects(job.id)).toHaveLength(1)
    expect(await (await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token: project.owner.token })).text()).toBe('log line\n')
  })
})
