// Webhooks delivered by the served Worker (wrangler dev, its queue consumer) to a real HTTP
// receiver on 127.0.0.1: a job's Job Hooks compared field for field with GitLab's (fixture from
// spec/lib/gitlab/data_builder/build_spec.rb and doc/user/project/integrations/webhook_events.md),
// retries of a failing receiver, the events API and resend, and a Push Hook from `git push`.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { API, BASE, ROOT_TOKEN, api, commitFile, createProject, git, gitOk, localRepo } from '../git-cli/harness.mjs'
import { startReceiver } from './receiver.mjs'

const FIXTURE = JSON.parse(readFileSync(new URL('./job-hook.fixture.json', import.meta.url), 'utf8'))
let receiver

/** Retries `check` until it passes (at most 10 s). */
async function until(check) {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

before(async () => {
  receiver = await startReceiver()
  // GitLab refuses hooks to local addresses unless the instance allows them.
  const settings = await api('PUT', '/application/settings', { token: ROOT_TOKEN, body: { allow_local_requests_from_web_hooks_and_services: true } })
  assert.equal(settings.status, 200, JSON.stringify(settings.body))
})
after(async () => {
  await api('PUT', '/application/settings', { token: ROOT_TOKEN, body: { allow_local_requests_from_web_hooks_and_services: false } })
  await receiver?.close()
})

async function addHook(project, body) {
  const res = await api('POST', `/projects/${project.id}/hooks`, { token: project.owner.token, body: { push_events: false, ...body } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

async function addCiFile(project, content) {
  const res = await api('POST', `/projects/${project.id}/repository/files/.gitlab-ci.yml`, {
    token: project.owner.token, body: { branch: 'main', content, commit_message: 'Add CI' },
  })
  assert.equal(res.status, 201, JSON.stringify(res.body))
}

async function createPipeline(project) {
  const res = await api('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body
}

/** The volatile values of a payload (ids, times, shas, names made per run) as the fixture's placeholders. */
function normalise(payload, project) {
  const [namespace] = project.path_with_namespace.split('/')
  let text = JSON.stringify(payload)
  const swap = (from, to) => (text = text.split(from).join(to))
  swap(BASE, '<external_url>')
  swap(`git@${new URL(BASE).hostname}:`, 'git@<host>:')
  swap(project.path_with_namespace, '<path>')
  swap(`"${project.name}"`, '"<project>"')
  swap(` / ${project.name}"`, ' / <project>"')
  swap(`User ${project.owner.username}`, '<user name>')
  swap(project.owner.username, '<username>')
  swap(`"namespace":"<username>"`, '"namespace":"<namespace>"')
  swap(`"project_name":"<username> /`, '"project_name":"<namespace> /')
  assert.equal(namespace, project.owner.username)
  const out = JSON.parse(text)
  const walk = (node, key) => {
    if (Array.isArray(node)) return node.map((item) => walk(item))
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]))
    if (key === 'id' || key?.endsWith('_id')) return typeof node === 'number' ? '<id>' : node
    if (typeof node === 'string' && /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/.test(node)) return '<time>'
    if (typeof node === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(node)) return '<iso>'
    if (typeof node === 'string' && /^[0-9a-f]{40}$/.test(node) && !/^0+$/.test(node)) return '<sha>'
    if (/duration$/.test(key ?? '') && typeof node === 'number') return '<seconds>'
    return node
  }
  const normal = walk(out)
  // The pipeline's own status moves on its own clock (processing after the job's transition).
  for (const key of ['status', 'duration', 'finished_at', 'finished_at_iso']) normal.commit[key] = '<volatile>'
  return normal
}

describe('webhooks to a real receiver', () => {
  it('a job going pending → running → success delivers Job Hooks matching GitLab field for field', async () => {
    const project = await createProject()
    await addHook(project, { url: receiver.url('/jobs'), job_events: true, token: 'hook-secret' })
    await addCiFile(project, 'test:\n  stage: test\n  script: make test\n')
    const runner = await api('POST', '/user/runners', {
      token: project.owner.token, body: { runner_type: 'project_type', project_id: project.id, run_untagged: true, description: 'webhook stage runner' },
    })
    assert.equal(runner.status, 201, JSON.stringify(runner.body))
    await createPipeline(project)
    const requested = await fetch(`${API}/jobs/request`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: runner.body.token, info: { features: { refspecs: true } } }),
    })
    assert.equal(requested.status, 201)
    const job = await requested.json()
    const finishedAt = Date.now()
    const finished = await fetch(`${API}/jobs/${job.id}`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json', 'JOB-TOKEN': job.token }, body: JSON.stringify({ state: 'success', exit_code: 0 }),
    })
    assert.equal(finished.status, 200)

    const hooks = await receiver.waitFor('/jobs', (list) => ['pending', 'running', 'success'].every((s) => list.some((r) => r.body.build_status === s)))
    for (const request of hooks) {
      assert.equal(request.method, 'POST')
      assert.equal(request.headers['content-type'], 'application/json')
      assert.equal(request.headers['x-gitlab-event'], 'Job Hook')
      assert.equal(request.headers['x-gitlab-token'], 'hook-secret')
      assert.equal(request.headers['x-gitlab-instance'], BASE)
      assert.match(request.headers['user-agent'], /^GitLab\/\d+\.\d+\.\d+$/)
      assert.match(request.headers['x-gitlab-event-uuid'], /^[0-9a-f-]{36}$/)
      assert.match(request.headers['x-gitlab-webhook-uuid'], /^[0-9a-f-]{36}$/)
      assert.match(request.headers['idempotency-key'], /^[0-9a-f-]{36}$/)
    }
    const successRequest = hooks.find((r) => r.body.build_status === 'success')
    console.log(`# job hook: PUT success → receiver in ${successRequest.at - finishedAt} ms`)
    const success = successRequest.body
    assert.equal(success.build_id, job.id)
    assert.deepEqual(Object.keys(success).sort(), Object.keys(FIXTURE).sort())
    assert.deepStrictEqual(normalise(success, project), FIXTURE)
    const pending = hooks.find((r) => r.body.build_status === 'pending').body
    assert.equal(pending.runner, null)
    assert.equal(pending.build_started_at, null)
  })

  it('a receiver answering 500 gets retries; the events API shows them; resend succeeds once the receiver recovers', async () => {
    const project = await createProject()
    receiver.setStatus('/flaky', 500)
    const hook = await addHook(project, { url: receiver.url('/flaky'), pipeline_events: true })
    await addCiFile(project, 'only:\n  script: x\n')
    await createPipeline(project)
    // created → pending: one event, tried three times (two retries, one second apart).
    const tries = await receiver.waitFor('/flaky', (list) => list.length >= 3)
    assert.equal(new Set(tries.map((r) => r.headers['idempotency-key'])).size, 1)
    assert.ok(tries[2].at - tries[0].at >= 1500, 'the retries wait for their backoff')
    console.log(`# retries: ${tries.map((r) => r.at - tries[0].at).join(', ')} ms after the first try`)
    // The log is written once the receiver has answered: wait for the third.
    const logs = await until(async () => {
      const res = await api('GET', `/projects/${project.id}/hooks/${hook.id}/events`, { token: project.owner.token })
      assert.equal(res.status, 200)
      assert.deepEqual(res.body.map((log) => log.response_status), ['500', '500', '500'])
      return res
    })
    assert.equal(logs.body[0].response_body, 'receiver says 500')
    assert.equal(logs.body[0].trigger, 'pipeline_hooks')
    assert.equal(logs.body[0].request_data.object_kind, 'pipeline')

    receiver.setStatus('/flaky', 200)
    const resent = await api('POST', `/projects/${project.id}/hooks/${hook.id}/events/${logs.body[0].id}/resend`, { token: project.owner.token })
    assert.equal(resent.status, 201, JSON.stringify(resent.body))
    assert.deepEqual(resent.body, { response_status: 200 })
    const all = receiver.requests.filter((r) => r.path === '/flaky')
    assert.equal(all.length, 4)
    assert.equal(all[3].headers['idempotency-key'], tries[0].headers['idempotency-key'])
    assert.deepEqual(all[3].body, tries[0].body)
    const after = await api('GET', `/projects/${project.id}/hooks/${hook.id}/events?status=successful`, { token: project.owner.token })
    assert.equal(after.body.length, 1)
  })

  it('git push delivers a Push Hook with the pushed commits and their files', async () => {
    const project = await createProject()
    await addHook(project, { url: receiver.url('/push'), push_events: true })
    const dir = localRepo(project)
    const first = commitFile(dir, 'README.md', 'hello\n', 'First commit')
    const second = commitFile(dir, 'README.md', 'hello again\n', 'Second commit')
    const push = git(['push', 'origin', 'main'], { cwd: dir })
    assert.equal(push.status, 0, push.stderr)
    const [delivered] = await receiver.waitFor('/push', (list) => list.length >= 1)
    assert.equal(delivered.headers['x-gitlab-event'], 'Push Hook')
    const body = delivered.body
    assert.equal(body.object_kind, 'push')
    assert.equal(body.ref, 'refs/heads/main')
    assert.equal(body.before, '0'.repeat(40))
    assert.equal(body.after, second)
    assert.equal(body.checkout_sha, second)
    assert.equal(body.total_commits_count, 2)
    assert.deepEqual(body.commits.map((c) => [c.id, c.title, c.added, c.modified, c.removed]), [
      [first, 'First commit', ['README.md'], [], []],
      [second, 'Second commit', [], ['README.md'], []],
    ])
    assert.equal(body.user_username, project.owner.username)
    assert.equal(body.project.homepage, `${BASE}/${project.path_with_namespace}`)

    // An annotated tag: a Tag Push Hook with the tag's commit and message (Git::TagHooksService).
    await addHook(project, { url: receiver.url('/tags'), tag_push_events: true })
    gitOk(['tag', '-a', 'v1.0', '-m', 'Release 1.0'], { cwd: dir })
    const tagPush = git(['push', 'origin', 'v1.0'], { cwd: dir })
    assert.equal(tagPush.status, 0, tagPush.stderr)
    const [tag] = await receiver.waitFor('/tags', (list) => list.length >= 1)
    assert.equal(tag.headers['x-gitlab-event'], 'Tag Push Hook')
    assert.equal(tag.body.object_kind, 'tag_push')
    assert.equal(tag.body.ref, 'refs/tags/v1.0')
    assert.equal(tag.body.checkout_sha, second)
    assert.notEqual(tag.body.after, second) // the tag object's id
    assert.equal(tag.body.message, 'Release 1.0')
    assert.equal(tag.body.total_commits_count, 1)
    assert.deepEqual(tag.body.commits.map((c) => c.id), [second])
    // The branch-only hook heard nothing of the tag.
    assert.equal(receiver.requests.filter((r) => r.path === '/push').length, 1)
  })

  it('a push with an invalid config makes a failed pipeline, and its Pipeline Hook says so', async () => {
    const project = await createProject()
    await addHook(project, { url: receiver.url('/pipelines'), pipeline_events: true })
    const dir = localRepo(project)
    const sha = commitFile(dir, '.gitlab-ci.yml', 'test:\n  script: [\n', 'Broken CI')
    const push = git(['push', 'origin', 'main'], { cwd: dir })
    assert.equal(push.status, 0, push.stderr)
    const [delivered] = await receiver.waitFor('/pipelines', (list) => list.length >= 1)
    assert.equal(delivered.headers['x-gitlab-event'], 'Pipeline Hook')
    assert.equal(delivered.body.object_attributes.status, 'failed')
    assert.equal(delivered.body.object_attributes.source, 'push')
    assert.equal(delivered.body.object_attributes.sha, sha)
    assert.deepEqual(delivered.body.builds, [])
    assert.equal(delivered.body.commit.title, 'Broken CI')
  })
})
