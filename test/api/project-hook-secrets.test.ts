import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { apiJson, createPipelineFrom, createProject } from '../world'

/**
 * A webhook's secrets at rest. GitLab sources: app/models/hooks/web_hook.rb (attr_encrypted :token
 * and :url; `validates :token, format: { without: /\n/ }`; reset_token: a new URL without a new
 * token drops it), lib/api/helpers/web_hooks_helpers.rb (save_hook → render_validation_error!, 422),
 * app/services/web_hook_service.rb (X-Gitlab-Token sent, logged as [REDACTED]).
 */
const URL_SECRET = 'urlkey-9f8e7d'
const TOKEN = 'tok-secret-4c3b2a'
const VARIABLE = 'pipeline-var-secret-77'

async function rows(hookId: number) {
  const [hook, events, logs] = await env.DB.batch([
    env.DB.prepare('SELECT * FROM web_hooks WHERE id = ?').bind(hookId),
    env.DB.prepare('SELECT * FROM web_hook_events WHERE hook_id = ?').bind(hookId),
    env.DB.prepare('SELECT * FROM web_hook_logs WHERE hook_id = ?').bind(hookId),
  ])
  return { hook: hook.results[0] as Record<string, unknown>, events: events.results, logs: logs.results }
}

describe('webhook secrets at rest', () => {
  it('url, token, stored payloads and log URLs hold no plaintext in D1; the API still shows the URL and the payload', async () => {
    const project = await createProject()
    const token = project.owner.token
    const url = `http://hooks.test/200?key=${URL_SECRET}`
    const created = await apiJson('POST', `/projects/${project.id}/hooks`, { token, body: { url, token: TOKEN, pipeline_events: true } })
    expect(created.status).toBe(201)
    expect(created.body.url).toBe(url)
    expect((await apiJson('GET', `/projects/${project.id}/hooks/${created.body.id}`, { token })).body.url).toBe(url)
    expect((await apiJson('GET', `/projects/${project.id}/hooks`, { token })).body.map((hook: any) => hook.url)).toEqual([url])

    await createPipelineFrom(project, 'only:\n  script: x\n', { variables: [{ key: 'DEPLOY_KEY', value: VARIABLE }] })
    const tested = await apiJson('POST', `/projects/${project.id}/hooks/${created.body.id}/test/pipeline_events`, { token })
    expect(tested.status).toBe(201)
    const stored = await rows(created.body.id)
    expect(stored.events.length).toBeGreaterThan(0)
    expect(stored.logs.length).toBeGreaterThan(0)
    const dump = JSON.stringify(stored)
    for (const secret of [URL_SECRET, TOKEN, VARIABLE]) expect(dump).not.toContain(secret)
    expect(stored.hook.url).toMatch(/^enc:v1:/)
    expect(stored.hook.token).toMatch(/^enc:v1:/)

    const events = await apiJson('GET', `/projects/${project.id}/hooks/${created.body.id}/events`, { token })
    const [log] = events.body
    expect(log.url).toBe(url)
    expect(log.request_headers['X-Gitlab-Token']).toBe('[REDACTED]')
    expect(log.request_data.object_kind).toBe('pipeline')
    expect(log.request_data.object_attributes.variables).toEqual([{ key: 'DEPLOY_KEY', value: VARIABLE }])
    // Resending compares the log's URL with the hook's (both sealed, with different IVs).
    expect((await apiJson('POST', `/projects/${project.id}/hooks/${created.body.id}/events/${log.id}/resend`, { token })).status).toBe(201)
  })

  it('a token with a newline is 422 {"token": ["is invalid"]} on create and update, and nothing is written', async () => {
    const project = await createProject()
    const token = project.owner.token
    const refused = await apiJson('POST', `/projects/${project.id}/hooks`, { token, body: { url: 'http://hooks.test/200', token: 'abc\ndef' } })
    expect(refused).toMatchObject({ status: 422, body: { message: { token: ['is invalid'] } } })
    expect((await apiJson('GET', `/projects/${project.id}/hooks`, { token })).body).toEqual([])
    const hook = (await apiJson('POST', `/projects/${project.id}/hooks`, { token, body: { url: 'http://hooks.test/200', token: TOKEN } })).body
    const before = (await rows(hook.id)).hook.token
    expect(await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token, body: { token: 'x\n' } })).toMatchObject({ status: 422, body: { message: { token: ['is invalid'] } } })
    expect((await rows(hook.id)).hook.token).toBe(before)
  })

  it('a new URL without a new token drops the token (WebHook#reset_token); with one, keeps the new one', async () => {
    const project = await createProject()
    const token = project.owner.token
    const hook = (await apiJson('POST', `/projects/${project.id}/hooks`, { token, body: { url: 'http://hooks.test/200', token: TOKEN } })).body
    await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token, body: { name: 'renamed' } })
    expect((await rows(hook.id)).hook.token).toMatch(/^enc:v1:/)
    await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token, body: { url: 'http://hooks.test/201' } })
    expect((await rows(hook.id)).hook.token).toBeNull()
    await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token, body: { url: 'http://hooks.test/202', token: 'another-token' } })
    expect((await rows(hook.id)).hook.token).toMatch(/^enc:v1:/)
  })
})
