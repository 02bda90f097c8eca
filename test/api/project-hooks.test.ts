import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { eventually, jobsByName, runJob } from '../job-driver'
import { addMember, apiJson, createPipelineFrom, createProject, createUser, ROOT_TOKEN } from '../world'

/**
 * Project webhooks through the API. GitLab sources: lib/api/project_hooks.rb and
 * lib/api/helpers/web_hooks_helpers.rb (CRUD, "Invalid url given", "Invalid branch filter
 * given", "No parameters provided"), lib/api/entities/hook.rb + project_hook.rb (shape, no
 * token), lib/api/hooks/events.rb + WebHooks::WebHookLogsFinder (status filter, per_page 1..20),
 * lib/api/hooks/resend_hook.rb + WebHooks::Events::ResendService, lib/api/hooks/trigger_test.rb,
 * app/services/web_hook_service.rb (headers, logging), WebHooks::AutoDisabling, and
 * Gitlab::DataBuilder::Build / ::Pipeline for the payloads. Receivers are http://hooks.test/<status>
 * (vitest.config.ts answers them).
 */

const CI = 'build:\n  stage: build\n  script: make\ntest:\n  stage: test\n  script: make test\n'

async function setLocalRequests(allowed: boolean) {
  const res = await apiJson('PUT', '/application/settings', { token: ROOT_TOKEN, body: { allow_local_requests_from_web_hooks_and_services: allowed } })
  expect(res.status).toBe(200)
  expect(res.body.allow_local_requests_from_web_hooks_and_services).toBe(allowed)
}

async function addHook(project: { id: number; owner: { token: string } }, body: Record<string, unknown>) {
  const res = await apiJson('POST', `/projects/${project.id}/hooks`, { token: project.owner.token, body })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body
}

async function hookEvents(project: { id: number; owner: { token: string } }, hookId: number, query = '') {
  const res = await apiJson('GET', `/projects/${project.id}/hooks/${hookId}/events${query}`, { token: project.owner.token })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res
}

describe('Project hooks API', () => {
  it('POST adds a hook with GitLab defaults and never shows the token; GET, PUT, DELETE', async () => {
    const project = await createProject()
    const token = project.owner.token
    const hook = await addHook(project, { url: 'https://hooks.example.com/a', token: 's3cret', job_events: true, name: 'CI' })
    expect(hook).toMatchObject({
      url: 'https://hooks.example.com/a', name: 'CI', description: null, project_id: project.id,
      push_events: true, tag_push_events: false, merge_requests_events: false, job_events: true, pipeline_events: false,
      enable_ssl_verification: true, alert_status: 'executable', disabled_until: null, push_events_branch_filter: null,
      branch_filter_strategy: 'wildcard', url_variables: [], custom_headers: [],
    })
    expect(hook.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(JSON.stringify(hook)).not.toContain('s3cret')
    // At rest the token is encrypted (GitLab's attr_encrypted), never the plaintext.
    const stored = await env.DB.prepare('SELECT token FROM web_hooks WHERE id = ?').bind(hook.id).first<{ token: string }>()
    expect(stored!.token).toMatch(/^enc:v1:/)
    expect(stored!.token).not.toContain('s3cret')

    const shown = await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}`, { token })
    expect(shown.body).toEqual(hook)
    const updated = await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token, body: { pipeline_events: 'true', push_events: false, push_events_branch_filter: 'release/*' } })
    expect(updated).toMatchObject({ status: 200, body: { pipeline_events: true, push_events: false, job_events: true, url: 'https://hooks.example.com/a', push_events_branch_filter: 'release/*' } })
    expect((await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token, body: {} })).body).toEqual({ error: 'No parameters provided' })

    expect((await apiJson('DELETE', `/projects/${project.id}/hooks/${hook.id}`, { token })).status).toBe(204)
    expect(await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}`, { token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
  })

  it('validates: url is required, any bad URL is "Invalid url given", a bad filter "Invalid branch filter given"', async () => {
    const project = await createProject()
    const token = project.owner.token
    const post = (body: Record<string, unknown>) => apiJson('POST', `/projects/${project.id}/hooks`, { token, body })
    expect(await post({})).toMatchObject({ status: 400, body: { error: 'url is missing' } })
    for (const url of ['', 'not a url', 'ftp://example.com/x', 'javascript:alert(1)', 'http://127.0.0.1:9000/x', 'http://localhost/x', 'http://10.0.0.5/x', 'http://[::1]/x']) {
      expect(await post({ url }), url).toMatchObject({ status: 422, body: { error: 'Invalid url given' } })
    }
    expect(await post({ url: 'https://hooks.example.com', push_events_branch_filter: 'a..b' })).toMatchObject({ status: 422, body: { error: 'Invalid branch filter given' } })
    expect(await post({ url: 'https://hooks.example.com', branch_filter_strategy: 'regex', push_events_branch_filter: '(' })).toMatchObject({ status: 422, body: { error: 'Invalid branch filter given' } })
    expect(await post({ url: 'https://hooks.example.com', branch_filter_strategy: 'glob' })).toMatchObject({ status: 400, body: { error: 'branch_filter_strategy does not have a valid value' } })
    expect(await post({ url: 'https://hooks.example.com', job_events: 'maybe' })).toMatchObject({ status: 400, body: { error: 'job_events is invalid' } })
    expect(await post({ url: 'https://hooks.example.com', name: 'n'.repeat(256) })).toMatchObject({ status: 422, body: { message: { name: ['is too long (maximum is 255 characters)'] } } })
    const list = await apiJson('GET', `/projects/${project.id}/hooks`, { token })
    expect(list.body).toEqual([]) // nothing half-written
  })

  it('a local URL is refused until the instance allows local requests from web hooks', async () => {
    const project = await createProject()
    const post = () => apiJson('POST', `/projects/${project.id}/hooks`, { token: project.owner.token, body: { url: 'http://127.0.0.1:8080/hook' } })
    expect((await post()).status).toBe(422)
    await setLocalRequests(true)
    try {
      expect((await post()).status).toBe(201)
    } finally {
      await setLocalRequests(false)
    }
  })

  it('maintainers only: developer 403, outsider of a private project 404, no token 401', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'https://hooks.example.com/b' })
    const developer = await createUser()
    const maintainer = await createUser()
    await addMember(project, developer, 30)
    await addMember(project, maintainer, 40)
    const outsider = await createUser()
    expect((await apiJson('GET', `/projects/${project.id}/hooks`, { token: developer.token })).status).toBe(403)
    expect((await apiJson('POST', `/projects/${project.id}/hooks`, { token: developer.token, body: { url: 'https://x.example.com' } })).status).toBe(403)
    expect((await apiJson('GET', `/projects/${project.id}/hooks`, { token: maintainer.token })).body.map((h: any) => h.id)).toEqual([hook.id])
    expect(await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}`, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await apiJson('GET', `/projects/${project.id}/hooks`, { token: null as unknown as string })).status).toBe(401)
    const publicProject = await createProject({ visibility: 'public' })
    expect((await apiJson('GET', `/projects/${publicProject.id}/hooks`, { token: outsider.token })).status).toBe(403)
  })

  it('lists with offset pagination headers', async () => {
    const project = await createProject()
    for (const n of [1, 2, 3]) await addHook(project, { url: `https://hooks.example.com/${n}` })
    const page = await apiJson('GET', `/projects/${project.id}/hooks?per_page=2&page=2`, { token: project.owner.token })
    expect(page.body.map((h: any) => h.url)).toEqual(['https://hooks.example.com/3'])
    expect(page.headers.get('X-Total')).toBe('3')
    expect(page.headers.get('X-Total-Pages')).toBe('2')
    expect(page.headers.get('X-Prev-Page')).toBe('1')
    expect(page.headers.get('X-Next-Page')).toBe('')
  })
})

describe('Job and Pipeline Hooks', () => {
  it('each job transition delivers a Job Hook (headers, payload of Gitlab::DataBuilder::Build), logged in the events API', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'http://hooks.test/200', job_events: true, push_events: false, token: 'tok-1' })
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.build.id, 'success')

    const logs = await eventually(async () => {
      const res = await hookEvents(project, hook.id)
      const statuses = res.body.filter((log: any) => log.request_data.build_id === jobs.build.id).map((log: any) => log.request_data.build_status)
      expect(statuses.sort()).toEqual(['pending', 'running', 'success'])
      return res.body
    }, 10_000)
    const success = logs.find((log: any) => log.request_data.build_id === jobs.build.id && log.request_data.build_status === 'success')
    expect(success).toMatchObject({ trigger: 'job_hooks', url: 'http://hooks.test/200', response_status: '200', response_body: 'ok' })
    expect(success.response_headers).toMatchObject({ 'Content-Type': 'text/plain', 'X-Receiver': 'hooks.test' })
    expect(success.request_headers).toMatchObject({
      'Content-Type': 'application/json', 'X-Gitlab-Event': 'Job Hook', 'X-Gitlab-Token': '[REDACTED]',
      'X-Gitlab-Instance': 'https://gitlab.example.com', 'User-Agent': expect.stringMatching(/^GitLab\/\d+\.\d+\.\d+$/),
    })
    expect(success.request_headers['X-Gitlab-Event-UUID']).toMatch(/^[0-9a-f-]{36}$/)
    expect(success.request_headers['X-Gitlab-Webhook-UUID']).toMatch(/^[0-9a-f-]{36}$/)
    expect(success.request_headers['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
    const data = success.request_data
    expect(Object.keys(data)).toEqual([
      'object_kind', 'ref', 'tag', 'before_sha', 'sha', 'retries_count', 'build_id', 'build_name', 'build_stage', 'build_status',
      'build_created_at', 'build_started_at', 'build_finished_at', 'build_created_at_iso', 'build_started_at_iso', 'build_finished_at_iso',
      'build_duration', 'build_queued_duration', 'build_allow_failure', 'build_failure_reason', 'pipeline_id', 'runner', 'project_id',
      'project_name', 'user', 'commit', 'repository', 'project', 'environment',
    ])
    expect(data).toMatchObject({
      object_kind: 'build', ref: 'main', tag: false, sha: pipeline.sha, retries_count: 0, build_name: 'build', build_stage: 'build',
      build_allow_failure: false, build_failure_reason: 'unknown_failure', pipeline_id: pipeline.id, project_id: project.id,
      user: { id: project.owner.id, username: project.owner.username, email: '[REDACTED]', avatar_url: null },
      commit: { id: pipeline.id, sha: pipeline.sha, status: expect.any(String), author_url: expect.any(String) },
      repository: { homepage: `https://gitlab.example.com/${project.path_with_namespace}`, visibility_level: 0 },
      project: { id: project.id, path_with_namespace: project.path_with_namespace, git_http_url: `https://gitlab.example.com/${project.path_with_namespace}.git`, git_ssh_url: `git@gitlab.example.com:${project.path_with_namespace}.git` },
      environment: null,
    })
    expect(data.build_created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/)
    expect(data.build_finished_at_iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(typeof data.build_duration).toBe('number')
    expect(data.project).not.toHaveProperty('homepage') // hook_attrs(backward: false)
  })

  it('pipeline status changes deliver Pipeline Hooks with object_attributes and builds', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'http://hooks.test/204', pipeline_events: true, push_events: false })
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.build.id, 'success')
    const logs = await eventually(async () => {
      const res = await hookEvents(project, hook.id)
      expect(res.body.map((log: any) => log.request_data.object_attributes.status)).toContain('running')
      return res.body
    }, 10_000)
    const running = logs.find((log: any) => log.request_data.object_attributes.status === 'running')
    expect(running.request_headers['X-Gitlab-Event']).toBe('Pipeline Hook')
    const data = running.request_data
    expect(Object.keys(data)).toEqual(['object_kind', 'object_attributes', 'merge_request', 'user', 'project', 'commit', 'builds'])
    expect(data.object_attributes).toMatchObject({
      id: pipeline.id, iid: pipeline.iid, ref: 'main', tag: false, sha: pipeline.sha, source: 'api', status: 'running', detailed_status: 'running',
      stages: ['build', 'test'], protected_ref: false, variables: [], url: `https://gitlab.example.com/${project.path_with_namespace}/-/pipelines/${pipeline.id}`,
    })
    expect(data.commit).toMatchObject({ id: pipeline.sha, url: `https://gitlab.example.com/${project.path_with_namespace}/-/commit/${pipeline.sha}` })
    expect(data.builds.map((b: any) => b.name).sort()).toEqual(['build', 'test'])
    expect(data.builds[0]).toMatchObject({ when: 'on_success', manual: false, artifacts_file: { filename: null, size: null }, environment: null })
  })

  it('a failing receiver gets retries, each logged; the events API filters by status; resend delivers again', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'http://hooks.test/500', pipeline_events: true, push_events: false })
    await createPipelineFrom(project, 'only:\n  script: x\n')
    // created → pending: one event, tried three times (two retries).
    const logs = await eventually(async () => {
      const res = await hookEvents(project, hook.id)
      expect(res.body).toHaveLength(3)
      return res.body
    }, 15_000)
    expect(logs.every((log: any) => log.response_status === '500' && log.response_body === 'receiver failed')).toBe(true)
    expect(new Set(logs.map((log: any) => log.request_headers['Idempotency-Key'])).size).toBe(1)
    const shown = await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}`, { token: project.owner.token })
    expect(shown.body.alert_status).toBe('executable') // three failures: still in the grace period

    expect((await hookEvents(project, hook.id, '?status=successful')).body).toEqual([])
    expect((await hookEvents(project, hook.id, '?status=server_failure')).body).toHaveLength(3)
    expect((await hookEvents(project, hook.id, '?status=500,404')).body).toHaveLength(3)
    const paged = await hookEvents(project, hook.id, '?per_page=2')
    expect(paged.body).toHaveLength(2)
    expect(paged.headers.get('X-Total')).toBe('3')
    expect((await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}/events?status=teapot`, { token: project.owner.token })).body).toEqual({ error: 'status does not have a valid value' })
    expect((await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}/events?per_page=21`, { token: project.owner.token })).body).toEqual({ error: 'per_page does not have a valid value' })

    // The receiver is fixed: point the hook at it... the URL changed, so the old log cannot be resent.
    await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token: project.owner.token, body: { url: 'http://hooks.test/200' } })
    const refused = await apiJson('POST', `/projects/${project.id}/hooks/${hook.id}/events/${logs[0].id}/resend`, { token: project.owner.token })
    expect(refused).toMatchObject({ status: 422, body: { message: 'The hook URL has changed, and this log entry cannot be retried' } })
    await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token: project.owner.token, body: { url: 'http://hooks.test/500' } })
    const resent = await apiJson('POST', `/projects/${project.id}/hooks/${hook.id}/events/${logs[0].id}/resend`, { token: project.owner.token })
    expect(resent).toMatchObject({ status: 201, body: { response_status: 500 } })
    const after = await hookEvents(project, hook.id)
    expect(after.body).toHaveLength(4)
    expect(after.body[0].request_data).toEqual(logs[0].request_data)
    expect((await apiJson('POST', `/projects/${project.id}/hooks/${hook.id}/events/999999/resend`, { token: project.owner.token })).status).toBe(404)
  })

  it('WebHooks::AutoDisabling: the fourth failure disables the hook for a minute; a success enables it again', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'http://hooks.test/503', job_events: true, push_events: false })
    const pipeline = await createPipelineFrom(project, 'only:\n  script: x\n')
    const jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.only.id, 'success')
    const disabled = await eventually(async () => {
      const shown = await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}`, { token: project.owner.token })
      expect(shown.body.alert_status).toBe('temporarily_disabled')
      return shown.body
    }, 15_000)
    const until = Date.parse(disabled.disabled_until)
    expect(until - Date.now()).toBeGreaterThan(30_000)
    expect(until - Date.now()).toBeLessThanOrEqual(60_000)
    // A test is forced through even now; a 2xx enables the hook.
    await apiJson('PUT', `/projects/${project.id}/hooks/${hook.id}`, { token: project.owner.token, body: { url: 'http://hooks.test/201' } })
    const tested = await apiJson('POST', `/projects/${project.id}/hooks/${hook.id}/test/job_events`, { token: project.owner.token })
    expect(tested).toMatchObject({ status: 201, body: { message: '201 Created' } })
    const shown = await apiJson('GET', `/projects/${project.id}/hooks/${hook.id}`, { token: project.owner.token })
    expect(shown.body).toMatchObject({ alert_status: 'executable', disabled_until: null })
  })

  it('test/:trigger: 422 with the receiver body or a missing sample, 400 for an unknown trigger', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'http://hooks.test/404' })
    const trigger = (name: string) => apiJson('POST', `/projects/${project.id}/hooks/${hook.id}/test/${name}`, { token: project.owner.token })
    expect(await trigger('job_events')).toMatchObject({ status: 422, body: { message: 'Ensure the project has CI jobs.' } })
    expect(await trigger('pipeline_events')).toMatchObject({ status: 422, body: { message: 'Ensure the project has CI pipelines.' } })
    expect(await trigger('issues_events')).toMatchObject({ status: 422, body: { message: 'Ensure the project has issues.' } })
    expect(await trigger('nothing')).toMatchObject({ status: 400, body: { error: 'trigger does not have a valid value' } })
    await createPipelineFrom(project, 'only:\n  script: x\n')
    expect(await trigger('pipeline_events')).toMatchObject({ status: 422, body: { message: 'receiver failed' } })
    expect(await trigger('push_events')).toMatchObject({ status: 422, body: { message: 'receiver failed' } })
    const logs = await hookEvents(project, hook.id)
    const push = logs.body.find((log: any) => log.trigger === 'push_hooks')
    expect(push.request_headers['X-Gitlab-Event']).toBe('Push Hook')
    expect(push.request_data).toMatchObject({ object_kind: 'push', event_name: 'push', ref: 'refs/heads/main', project_id: project.id, total_commits_count: 1 })
    expect(push.request_data.commits[0]).toMatchObject({ added: ['.gitlab-ci.yml'], modified: [], removed: [] })
  })
})

describe('Push Hooks from the files API', () => {
  it('a commit is a push: the branch filter decides which hooks hear of it (wildcard, regex, all_branches)', async () => {
    const project = await createProject()
    const token = project.owner.token
    const mainOnly = await addHook(project, { url: 'http://hooks.test/200', push_events_branch_filter: 'main' })
    const releases = await addHook(project, { url: 'http://hooks.test/200', push_events_branch_filter: 'release/*' })
    const regex = await addHook(project, { url: 'http://hooks.test/200', branch_filter_strategy: 'regex', push_events_branch_filter: '^feat-\\d+$' })
    const tagsOnly = await addHook(project, { url: 'http://hooks.test/200', push_events: false, tag_push_events: true })
    const commit = (branch: string, path: string, start?: string) =>
      apiJson('POST', `/projects/${project.id}/repository/files/${path}`, { token, body: { branch, start_branch: start, content: 'x', commit_message: `add ${path}` } })
    expect((await commit('main', 'a.txt')).status).toBe(201)
    expect((await commit('release/1.0', 'b.txt', 'main')).status).toBe(201)
    expect((await commit('feat-12', 'c.txt', 'main')).status).toBe(201)
    const refsOf = async (hookId: number, count: number) =>
      eventually(async () => {
        const logs = (await hookEvents(project, hookId)).body
        expect(logs).toHaveLength(count)
        return logs.map((log: any) => log.request_data.ref)
      }, 10_000)
    expect(await refsOf(mainOnly.id, 1)).toEqual(['refs/heads/main'])
    expect(await refsOf(releases.id, 1)).toEqual(['refs/heads/release/1.0'])
    expect(await refsOf(regex.id, 1)).toEqual(['refs/heads/feat-12'])
    const release = (await hookEvents(project, releases.id)).body[0]
    expect(release.request_headers['X-Gitlab-Event']).toBe('Push Hook')
    // A new branch lists what the default branch does not have: the one commit made on it.
    expect(release.request_data).toMatchObject({ before: '0'.repeat(40), total_commits_count: 1, ref_protected: false, user_username: project.owner.username })
    expect(release.request_data.commits.map((c: any) => [c.title, c.added])).toEqual([['add b.txt', ['b.txt']]])
    expect(release.request_data.project).toMatchObject({ homepage: expect.any(String), http_url: expect.any(String) }) // backward attrs
    expect((await hookEvents(project, tagsOnly.id)).body).toEqual([])
  })
})

describe('Job Hook of a failed job', () => {
  it('carries the failure reason and the pipeline as commit', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'http://hooks.test/200', job_events: true, push_events: false })
    const pipeline = await createPipelineFrom(project, 'only:\n  script: x\n  allow_failure: true\n')
    const jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.only.id, 'failed', { failureReason: 'script_failure', exitCode: 1 })
    const failed = await eventually(async () => {
      const log = (await hookEvents(project, hook.id)).body.find((l: any) => l.request_data.build_status === 'failed')
      expect(log).toBeDefined()
      return log.request_data
    }, 10_000)
    expect(failed).toMatchObject({ build_failure_reason: 'script_failure', build_allow_failure: true, commit: { id: pipeline.id } })
  })
})

describe('A deleted project', () => {
  it('takes its hooks, their events and logs with it (Projects::DestroyService)', async () => {
    const project = await createProject()
    const hook = await addHook(project, { url: 'http://hooks.test/200', pipeline_events: true, push_events: false })
    await createPipelineFrom(project, 'only:\n  script: x\n')
    await eventually(async () => expect((await hookEvents(project, hook.id)).body.length).toBeGreaterThan(0), 10_000)
    expect((await apiJson('DELETE', `/projects/${project.id}`, { token: project.owner.token })).status).toBe(202)
    const counts = await env.DB.batch([
      env.DB.prepare('SELECT COUNT(*) AS n FROM web_hooks WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM web_hook_events WHERE hook_id = ?').bind(hook.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM web_hook_logs WHERE hook_id = ?').bind(hook.id),
    ])
    expect(counts.map((result) => (result.results[0] as { n: number }).n)).toEqual([0, 0, 0])
  })
})
