import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { finishJob, jobsByName, startJob } from '../job-driver'
import { addMember, api, createPipelineFrom, createProject, createToken, createUser } from '../world'
import { jobStub } from '../stubs'

/**
 * Issue #9, holes 4 and 5: the live log's Server-Sent Events must reach an EventSource
 * byte-exact whatever line ends the log holds, no log text may start a field or an event, and
 * an open stream must end when its credentials stop working.
 */
function append(jobId: number, start: number, text: string) {
  const stub = jobStub(jobId)
  return stub.appendTrace(jobId, start, new TextEncoder().encode(text))
}

interface SseEvent {
  event: string
  data: string
  id: string
}

/**
 * The WHATWG EventSource parser (HTML § 9.2.6): lines end at CRLF, LF or CR; `data` lines are
 * joined with LF; a blank line dispatches. What a browser's EventSource would hand the page.
 */
function parseEventStream(text: string): SseEvent[] {
  const events: SseEvent[] = []
  let data: string[] = []
  let event = ''
  let id = ''
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n'), id })
      data = []
      event = ''
      continue
    }
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'data') data.push(value)
    if (field === 'event') event = value
    if (field === 'id') id = value
  }
  return events
}

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, done: (text: string) => boolean, timeoutMs = 8000): Promise<{ text: string; ended: boolean }> {
  const decoder = new TextDecoder()
  let text = ''
  const deadline = Date.now() + timeoutMs
  while (!done(text)) {
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(text)}`)
    const chunk = await Promise.race([reader.read(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(text)}`)), left))])
    if (chunk.done) return { text, ended: true }
    text += decoder.decode(chunk.value, { stream: true })
  }
  return { text, ended: false }
}

const HOSTILE_LOG =
  'section_start:1700000000:step_script\r\x1b[0K\x1b[32;1mExecuting\x1b[0;m\r\n' +
  'progress 10%\rprogress 100%\n' +
  'event: end\ndata: forged\n\n' +
  'id: 999999\r\rretry: 1\r\n\r\n' +
  ': comment\n' +
  'unicode \u2028 \u2029 é 漢字 🙂\n' +
  'section_end:1700000001:step_script\r\x1b[0K'

describe('live log framing', () => {
  it('delivers every byte of a log with \\r, \\r\\n and \\n line ends and lets no log text forge an event', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'live:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.live.id)
    const half = Math.floor(HOSTILE_LOG.length / 2)
    const first = HOSTILE_LOG.slice(0, half)
    await append(jobs.live.id, 0, first)
    const res = await api('GET', `/projects/${project.id}/jobs/${jobs.live.id}/trace`, { token: project.owner.token, headers: { Accept: 'text/event-stream' } })
    const reader = res.body!.getReader()
    const firstBytes = new TextEncoder().encode(first).byteLength
    const before = await readUntil(reader, (text) => text.includes(`id: ${firstBytes}\n`))
    await append(jobs.live.id, firstBytes, HOSTILE_LOG.slice(half))
    await finishJob(jobs.live.id, 'success')
    const after = await readUntil(reader, (t) => /event: end\n[^]*\n\n$/.test(t))
    const events = parseEventStream(before.text + after.text)
    expect(events.map((e) => e.event).filter((name) => name !== 'log')).toEqual(['end'])
    expect(events.at(-1)!.event).toBe('end')
    const log = events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data) as string).join('')
    expect(log).toBe(HOSTILE_LOG)
    expect(Number(events.at(-1)!.id)).toBe(new TextEncoder().encode(HOSTILE_LOG).byteLength)
  })

  it('replays an archived log with the same framing', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'done:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.done.id)
    await append(jobs.done.id, 0, HOSTILE_LOG)
    await finishJob(jobs.done.id, 'success')
    const res = await api('GET', `/projects/${project.id}/jobs/${jobs.done.id}/trace`, { token: project.owner.token, headers: { Accept: 'text/event-stream' } })
    const events = parseEventStream(await res.text())
    expect(events.map((e) => e.event)).toEqual(['log', 'end'])
    expect(JSON.parse(events[0].data)).toBe(HOSTILE_LOG)
  })
})

describe('an open live log stream and its credentials', () => {
  async function openStream(token: string) {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'live:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.live.id)
    await append(jobs.live.id, 0, 'hello\n')
    return { project, jobId: jobs.live.id, open: (t = token) => api('GET', `/projects/${project.id}/jobs/${jobs.live.id}/trace`, { token: t, headers: { Accept: 'text/event-stream' } }) }
  }

  it('ends within the recheck interval after the token is revoked', async () => {
    const user = await createUser()
    const extra = await createToken(user)
    const project = await createProject({ owner: user })
    const pipeline = await createPipelineFrom(project, 'live:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await startJob(jobs.live.id)
    await append(jobs.live.id, 0, 'hello\n')
    const res = await api('GET', `/projects/${project.id}/jobs/${jobs.live.id}/trace`, { token: extra.token, headers: { Accept: 'text/event-stream' } })
    const reader = res.body!.getReader()
    await readUntil(reader, (text) => text.includes('hello'))
    expect((await api('DELETE', `/personal_access_tokens/${extra.id}`, { token: user.token })).status).toBe(204)
    const revokedAt = Date.now()
    // LIVE_LOG_RECHECK_SECONDS is 1 in the tests: the stream ends with an error event, then closes.
    const { text, ended } = await readUntil(reader, () => false, 8000).catch((error) => ({ text: String(error), ended: false }))
    expect(ended).toBe(true)
    // One recheck interval (1 s) plus a D1 round trip; the slack is for a loaded machine.
    expect(Date.now() - revokedAt).toBeLessThan(6000)
    const events = parseEventStream(text)
    expect(events.at(-1)).toMatchObject({ event: 'error', data: '{"message":"401 Unauthorized"}' })
    expect(events.some((e) => e.event === 'end')).toBe(false)
  })

  it('ends after the member is removed from a private project', async () => {
    const bob = await createUser()
    const { project, open } = await openStream(bob.token)
    await addMember(project, bob, 30)
    const res = await open()
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    await readUntil(reader, (text) => text.includes('hello'))
    // There is no members DELETE endpoint yet: remove the membership row as such an endpoint would.
    await env.DB.prepare('DELETE FROM project_members WHERE project_id = ? AND user_id = ?').bind(project.id, bob.id).run()
    const { ended } = await readUntil(reader, () => false, 8000).catch(() => ({ ended: false }))
    expect(ended).toBe(true)
  })

  it('keeps streaming while access lasts', async () => {
    const { project, jobId, open } = await openStream('')
    const res = await open(project.owner.token)
    const reader = res.body!.getReader()
    await readUntil(reader, (text) => text.includes('hello'))
    await new Promise((resolve) => setTimeout(resolve, 2500)) // more than two recheck intervals
    await append(jobId, 6, 'still here\n')
    const { text } = await readUntil(reader, (t) => t.includes('still here'))
    expect(parseEventStream(text).some((e) => e.event === 'error')).toBe(false)
    await reader.cancel()
  })
})
