import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { finishJob, jobsByName, startJob } from '../job-driver'
import { SimulatedRunner } from '../runner-client'
import { api, createPipelineFrom, createProject } from '../world'
import { jobStub } from '../stubs'

function append(jobId: number, start: number, text: string) {
  const stub = jobStub(jobId)
  return stub.appendTrace(jobId, start, new TextEncoder().encode(text))
}

/** Reads SSE events until `until` is seen (or the stream ends). */
async function readEvents(reader: ReadableStreamDefaultReader<Uint8Array>, until: string, buffer: { text: string }) {
  const decoder = new TextDecoder()
  while (!buffer.text.includes(until)) {
    const { done, value } = await reader.read()
    if (done) break
    buffer.text += decoder.decode(value, { stream: true })
  }
  return buffer.text
}

describe('live log as Server-Sent Events (extension)', () => {
  it('streams new log bytes as they arrive and ends when the job finishes', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'live:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.live.id)
    await append(jobs.live.id, 0, 'first line\n')
    const res = await api('GET', `/projects/${project.id}/jobs/${jobs.live.id}/trace`, { token: project.owner.token, headers: { Accept: 'text/event-stream' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('Content-Type')).toBe('text/event-stream')
    const reader = res.body!.getReader()
    const buffer = { text: '' }
    await readEvents(reader, 'first line', buffer)
    expect(buffer.text).toContain('event: log\nid: 11\ndata: "first line\\n"\n\n')
    await append(jobs.live.id, 11, 'second\n')
    await readEvents(reader, 'second', buffer)
    await finishJob(jobs.live.id, 'success')
    const all = await readEvents(reader, 'event: end', buffer)
    expect(all).toContain('data: "second\\n"')
    expect(all).toMatch(/event: end\nid: 18\n/)
    await reader.cancel()
  })

  it('replays a finished job from the archive and honours Last-Event-ID', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'done:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.done.id)
    await append(jobs.done.id, 0, 'abc\ndef\n')
    await finishJob(jobs.done.id, 'success')
    const res = await api('GET', `/projects/${project.id}/jobs/${jobs.done.id}/trace`, {
      token: project.owner.token,
      headers: { Accept: 'text/event-stream', 'Last-Event-ID': '4' },
    })
    const text = await res.text()
    expect(text).toBe('event: log\nid: 8\ndata: "def\\n"\n\nevent: end\nid: 8\ndata: ""\n\n')
  })

  it('tells the runner to send its log every 3 s while someone follows it, else every 60 s', async () => {
    const project = await createProject()
    await createPipelineFrom(project, 'watched:\n  script: x\n')
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    const job = (await runner.requestJob())!
    await job.accept()
    expect((await job.patch('one\n')).interval).toBe('60')
    const res = await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token: project.owner.token, headers: { Accept: 'text/event-stream' } })
    const reader = res.body!.getReader()
    await readEvents(reader, 'one', { text: '' })
    expect((await job.patch('two\n')).interval).toBe('3')
    await reader.cancel()
  })
})

describe('a large live log', () => {
  it('is served whole, in slices from the job object, and sliced by byte_offset/byte_limit', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'big:\n  script: x\n')
    const { jobsByName } = await import('../job-driver')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.big.id)
    const chunk = (n: number) => new Uint8Array(1_000_000).fill(97 + n)
    const stub = jobStub(jobs.big.id)
    for (let i = 0; i < 3; i++) expect((await stub.appendTrace(jobs.big.id, i * 1_000_000, chunk(i))).ok).toBe(true)
    const whole = new Uint8Array(await (await api('GET', `/projects/${project.id}/jobs/${jobs.big.id}/trace`, { token: project.owner.token })).arrayBuffer())
    expect(whole.byteLength).toBe(3_000_000)
    expect([whole[0], whole[1_500_000], whole[2_999_999]]).toEqual([97, 98, 99])
    const slice = await api('GET', `/projects/${project.id}/jobs/${jobs.big.id}/trace?byte_offset=999990&byte_limit=20`, { token: project.owner.token })
    expect(await slice.text()).toBe('a'.repeat(10) + 'b'.repeat(10))
  })
})
