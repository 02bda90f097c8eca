import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { finishJob, jobsByName, runJob, startJob } from '../job-driver'
import { addMember, api, apiJson, createPipelineFrom, createProject, createUser, type TestProject, type TestUser } from '../world'
import { jobStub } from '../stubs'

/** GET /projects/:id/jobs/:job_id/trace (gitlab-behavior.md §3.7; lib/api/ci/jobs.rb). */

function jobObject(jobId: number) {
  return jobStub(jobId)
}

/** Appends bytes to the live log at its current end, as the runner's PATCH /jobs/:id/trace does. */
async function append(jobId: number, bytes: Uint8Array | string): Promise<void> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes
  const stub = jobObject(jobId)
  const result = await stub.appendTrace(jobId, await stub.traceLength(), data)
  if (!result.ok) throw new Error('append failed')
}

async function newJob(project: TestProject, name = 'job'): Promise<any> {
  const pipeline = await createPipelineFrom(project, `${name}:\n  script: x\n`)
  return (await jobsByName(project, pipeline.id))[name]
}

const LOG = 'line one\nline two\nline three\n'
// Not valid UTF-8 on purpose: the log is served byte for byte.
const BINARY = new Uint8Array([0x00, 0xff, 0xfe, 0x41, 0x0a, 0xc3, 0x28, 0x80])

describe('GET /projects/:id/jobs/:job_id/trace', () => {
  let project: TestProject
  const trace = (jobId: number | string, query = '', token: string | null = project.owner.token) =>
    api('GET', `/projects/${project.id}/jobs/${jobId}/trace${query}`, { token })

  beforeAll(async () => {
    project = await createProject()
  })

  it('serves text/plain with Content-Disposition infile', async () => {
    const job = await newJob(project)
    const res = await trace(job.id)
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/plain')
    expect(res.headers.get('Content-Disposition')).toBe(`infile; filename="${job.id}.log"`)
    expect(res.headers.get('X-Frame-Options')).toBe('SAMEORIGIN')
  })

  it('a job without a log → 200 with an empty body', async () => {
    const job = await newJob(project)
    const res = await trace(job.id)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    const sliced = await trace(job.id, '?byte_offset=0&byte_limit=10')
    expect(sliced.status).toBe(200)
    expect(await sliced.text()).toBe('')
  })

  describe('live log of a running job', () => {
    let jobId: number

    beforeAll(async () => {
      jobId = (await newJob(project, 'live')).id
      await startJob(jobId)
      await append(jobId, 'line one\n')
      await append(jobId, 'line two\nline three\n')
    })

    it('returns what has been written so far', async () => {
      expect(await (await trace(jobId)).text()).toBe(LOG)
      await append(jobId, 'more\n')
      expect(await (await trace(jobId)).text()).toBe(`${LOG}more\n`)
    })

    it.each([
      ['?byte_offset=0&byte_limit=5', 0, 5],
      ['?byte_offset=5&byte_limit=7', 5, 12],
      ['?byte_offset=9', 9, undefined],
      ['?byte_limit=4', 0, 4],
      ['?byte_offset=8&byte_limit=1', 8, 9],
      ['?byte_offset=3&byte_limit=512000', 3, undefined],
    ])('slices %s', async (query, from, to) => {
      const full = await (await trace(jobId)).text()
      const res = await trace(jobId, query)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(full.slice(from, to))
    })

    it('an offset at or past the end gives an empty body', async () => {
      const full = await (await trace(jobId)).text()
      expect(await (await trace(jobId, `?byte_offset=${full.length}`)).text()).toBe('')
      expect(await (await trace(jobId, '?byte_offset=999999&byte_limit=10')).text()).toBe('')
    })
  })

  describe('archived log of a finished job (R2)', () => {
    let jobId: number

    beforeAll(async () => {
      jobId = (await newJob(project, 'archived')).id
      await startJob(jobId)
      await append(jobId, LOG)
      await finishJob(jobId, 'success')
    })

    it('is archived to R2 and served from there', async () => {
      expect(await jobObject(jobId).traceLength()).toBe(0)
      const object = await env.BLOBS.get(`jobs/${jobId}/trace/job.log`)
      expect(await object!.text()).toBe(LOG)
      const res = await trace(jobId)
      expect(res.status).toBe(200)
      expect(res.headers.get('Content-Type')).toBe('text/plain')
      expect(await res.text()).toBe(LOG)
    })

    it.each([
      ['?byte_offset=0&byte_limit=5', 0, 5],
      ['?byte_offset=5&byte_limit=7', 5, 12],
      ['?byte_offset=9', 9, undefined],
      ['?byte_limit=4', 0, 4],
      [`?byte_offset=${LOG.length - 1}`, LOG.length - 1, undefined],
      ['?byte_offset=0&byte_limit=512000', 0, undefined],
    ])('slices %s', async (query, from, to) => {
      const res = await trace(jobId, query)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(LOG.slice(from, to))
    })

    it('an offset at or past the end gives an empty body', async () => {
      expect(await (await trace(jobId, `?byte_offset=${LOG.length}`)).text()).toBe('')
      expect(await (await trace(jobId, '?byte_offset=999999&byte_limit=10')).text()).toBe('')
    })

    it('the job lists its log as a trace artifact', async () => {
      const job = await apiJson('GET', `/projects/${project.id}/jobs/${jobId}`, { token: project.owner.token })
      expect(job.body.artifacts).toEqual([{ file_type: 'trace', size: LOG.length, filename: 'job.log', file_format: 'raw' }])
    })
  })

  it('is binary-safe, live and archived, and slices bytes not characters', async () => {
    const jobId = (await newJob(project, 'binary')).id
    await startJob(jobId)
    await append(jobId, BINARY)
    const live = new Uint8Array(await (await trace(jobId)).arrayBuffer())
    expect([...live]).toEqual([...BINARY])
    expect([...new Uint8Array(await (await trace(jobId, '?byte_offset=5&byte_limit=2')).arrayBuffer())]).toEqual([0xc3, 0x28])
    await finishJob(jobId, 'failed')
    const archived = new Uint8Array(await (await trace(jobId)).arrayBuffer())
    expect([...archived]).toEqual([...BINARY])
    expect([...new Uint8Array(await (await trace(jobId, '?byte_offset=1&byte_limit=3')).arrayBuffer())]).toEqual([0xff, 0xfe, 0x41])
  })

  it('slices multi-byte characters by bytes', async () => {
    const jobId = (await newJob(project, 'utf8')).id
    await startJob(jobId)
    await append(jobId, 'héllo ✓\n')
    const bytes = new TextEncoder().encode('héllo ✓\n')
    const res = await trace(jobId, '?byte_offset=1&byte_limit=2')
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([...bytes.slice(1, 3)])
  })

  it('an erased job → 200 with an empty body', async () => {
    const jobId = (await newJob(project, 'erased')).id
    await startJob(jobId)
    await append(jobId, LOG)
    await finishJob(jobId, 'success')
    const erased = await apiJson('POST', `/projects/${project.id}/jobs/${jobId}/erase`, { token: project.owner.token })
    expect(erased.status).toBe(201)
    const res = await trace(jobId)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('')
    expect(await (await trace(jobId, '?byte_offset=0&byte_limit=5')).text()).toBe('')
  })

  it.each([
    ['?byte_offset=-1', 'byte_offset does not have a valid value'],
    ['?byte_offset=-1&byte_limit=10', 'byte_offset does not have a valid value'],
    ['?byte_limit=0', 'byte_limit does not have a valid value'],
    ['?byte_offset=0&byte_limit=0', 'byte_limit does not have a valid value'],
    ['?byte_limit=512001', 'byte_limit does not have a valid value'],
    ['?byte_limit=-3', 'byte_limit does not have a valid value'],
    ['?byte_offset=abc', 'byte_offset is invalid'],
    ['?byte_limit=1.5', 'byte_limit is invalid'],
  ])('%s → 400 %s', async (query, message) => {
    const job = await newJob(project)
    const res = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}/trace${query}`, { token: project.owner.token })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: message })
  })

  it('job_id=abc → 400 job_id is invalid', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs/abc/trace`, { token: project.owner.token })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'job_id is invalid' })
  })

  it('unknown job, bridge, or another project\'s job → 404 Not found', async () => {
    const bridgePipeline = await createPipelineFrom(project, 'b:\n  trigger:\n    project: nowhere/at-all\n')
    const bridgeRes = await apiJson('GET', `/projects/${project.id}/pipelines/${bridgePipeline.id}/bridges`, { token: project.owner.token })
    const other = await createProject({ owner: project.owner })
    const foreign = await newJob(other)
    for (const id of [99999999, bridgeRes.body[0].id, foreign.id]) {
      const res = await apiJson('GET', `/projects/${project.id}/jobs/${id}/trace`, { token: project.owner.token })
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ message: '404 Not found' })
    }
  })

  it('anonymous → 401, even with invalid params; job tokens are not accepted', async () => {
    const job = await newJob(project)
    for (const query of ['', '?byte_limit=0', '?byte_offset=x']) {
      const res = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}/trace${query}`, { token: null })
      expect(res.status).toBe(401)
      expect(res.body).toEqual({ message: '401 Unauthorized' })
    }
    const running = await newJob(project, 'tokened')
    const token = await startJob(running.id)
    const res = await api('GET', `/projects/${project.id}/jobs/${running.id}/trace`, { token: null, headers: { 'JOB-TOKEN': token } })
    expect(res.status).toBe(401)
  })
})

describe('trace of a job in debug mode (read_build_trace)', () => {
  let project: TestProject
  let guest: TestUser
  let reporter: TestUser
  let developer: TestUser

  beforeAll(async () => {
    project = await createProject({ visibility: 'private', public_jobs: true })
    guest = await createUser()
    reporter = await createUser()
    developer = await createUser()
    await addMember(project, guest, 10)
    await addMember(project, reporter, 20)
    await addMember(project, developer, 30)
  })

  async function debugJob(ci: string, variables?: Array<{ key: string; value: string }>): Promise<number> {
    const pipeline = await createPipelineFrom(project, ci, { variables })
    const job = Object.values(await jobsByName(project, pipeline.id))[0]
    await runJob(job.id, 'success')
    return job.id
  }

  const status = async (jobId: number, user: TestUser) =>
    (await api('GET', `/projects/${project.id}/jobs/${jobId}/trace`, { token: user.token })).status

  it.each([
    ['CI_DEBUG_TRACE in the job variables', 'j:\n  script: x\n  variables:\n    CI_DEBUG_TRACE: "true"\n', undefined],
    ['CI_DEBUG_SERVICES in the global variables', 'variables:\n  CI_DEBUG_SERVICES: "true"\nj:\n  script: x\n', undefined],
    ['CI_DEBUG_TRACE as a pipeline variable', 'j:\n  script: x\n', [{ key: 'CI_DEBUG_TRACE', value: 'true' }]],
    ['CI_DEBUG_TRACE=TRUE (any case)', 'j:\n  script: x\n  variables:\n    CI_DEBUG_TRACE: "TRUE"\n', undefined],
    ['CI_DEBUG_TRACE=1', 'j:\n  script: x\n  variables:\n    CI_DEBUG_TRACE: "1"\n', undefined],
  ])('%s: only users who may update builds read the log', async (_name, ci, variables) => {
    const jobId = await debugJob(ci, variables)
    expect(await status(jobId, guest)).toBe(403)
    expect(await status(jobId, reporter)).toBe(403)
    expect(await status(jobId, developer)).toBe(200)
    expect(await status(jobId, project.owner)).toBe(200)
    // The job itself stays readable.
    expect((await api('GET', `/projects/${project.id}/jobs/${jobId}`, { token: guest.token })).status).toBe(200)
  })

  it.each([
    ['CI_DEBUG_TRACE=false', 'j:\n  script: x\n  variables:\n    CI_DEBUG_TRACE: "false"\n', undefined],
    ['a pipeline variable overriding the YAML one with false', 'j:\n  script: x\n  variables:\n    CI_DEBUG_TRACE: "true"\n', [{ key: 'CI_DEBUG_TRACE', value: 'false' }]],
    ['an unrelated variable', 'j:\n  script: x\n  variables:\n    DEBUG: "true"\n', undefined],
  ])('%s: not debug mode, guests with public jobs read the log', async (_name, ci, variables) => {
    const jobId = await debugJob(ci, variables)
    expect(await status(jobId, guest)).toBe(200)
    expect(await status(jobId, reporter)).toBe(200)
  })

  it('the 403 body is the plain Forbidden message', async () => {
    const jobId = await debugJob('j:\n  script: x\n  variables:\n    CI_DEBUG_TRACE: "true"\n')
    const res = await apiJson('GET', `/projects/${project.id}/jobs/${jobId}/trace`, { token: guest.token })
    expect(res.body).toEqual({ message: '403 Forbidden' })
  })
})
