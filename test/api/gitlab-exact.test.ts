import { env } from 'cloudflare:workers'
import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { eventually, jobsByName } from '../job-driver'
import { SimulatedRunner, startRunningJob } from '../runner-client'
import { addMember, api, apiJson, BASE, commitFile, createPipelineFrom, createProject, createUser, type TestProject } from '../world'

/**
 * The runner protocol's and the Jobs API's details measured against GitLab's source (each test
 * names the file it reads GitLab's behaviour from).
 */
const ONE_JOB = 'build:\n  script: make\n'

function projectRunner(project: TestProject, body: Record<string, unknown> = {}, features?: Record<string, boolean>) {
  return SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id, ...body }, { features })
}

function runningJob(ci = ONE_JOB) {
  return startRunningJob(ci)
}

function json(method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch(`${BASE}${path}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

describe('runner endpoints validate `token` before authenticating', () => {
  // lib/api/ci/runner.rb: `requires :token, type: String` on /jobs/request, /runners/verify, DELETE /runners.
  it('answers 400 token is missing without a token, 403 with a wrong one', async () => {
    for (const [method, path] of [['POST', '/jobs/request'], ['POST', '/runners/verify'], ['DELETE', '/runners']]) {
      const missing = await json(method, path, { info: { name: 'gitlab-runner' } })
      expect({ path, status: missing.status, body: await missing.json() }).toEqual({ path, status: 400, body: { error: 'token is missing' } })
      expect((await json(method, path, { token: 'glrt-wrong-token-0000000000000' })).status).toBe(403)
    }
  })
})

describe('runner registration limits', () => {
  // app/models/ci/runner.rb tag_constraints (TAG_LIST_MAX_LENGTH = 50); lib/api/ci/runner.rb
  // render_validation_error!; lib/api/user_runners.rb bad_request!(result.errors.to_sentence).
  it('refuses more than 50 tags', async () => {
    const project = await createProject()
    const tags = Array.from({ length: 51 }, (_, i) => `t${i}`)
    const created = await apiJson('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'project_type', project_id: project.id, tag_list: tags } })
    expect(created).toMatchObject({ status: 400, body: { message: '400 Bad request - Tags list Too many tags specified. Please limit the number of tags to 50' } })
    const fifty = await apiJson('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'project_type', project_id: project.id, tag_list: tags.slice(0, 50) } })
    expect(fifty.status).toBe(201)
    const reset = await apiJson('POST', `/projects/${project.id}/runners/reset_registration_token`, { token: project.owner.token })
    const legacy = await apiJson('POST', '/runners', { token: null, body: { token: reset.body.token, tag_list: tags.join(',') } })
    expect(legacy).toMatchObject({ status: 400, body: { message: { tags_list: ['Too many tags specified. Please limit the number of tags to 50'] } } })
  })
})

describe('unregistering with If-Unmodified-Since', () => {
  // lib/api/ci/runner.rb delete '/' and '/managers' → destroy_conditionally! →
  // check_unmodified_since! (lib/api/helpers.rb): 412 when the record changed after the date.
  it('answers 412 when the runner or manager changed after the date, 204 otherwise', async () => {
    const project = await createProject()
    const runner = await projectRunner(project)
    const past = new Date(Date.now() - 3_600_000).toUTCString()
    const future = new Date(Date.now() + 3_600_000).toUTCString()
    const managerBody = { token: runner.token, system_id: runner.systemId }
    const early = await json('DELETE', '/runners/managers', managerBody, { 'If-Unmodified-Since': past })
    expect({ status: early.status, body: await early.json() }).toEqual({ status: 412, body: { message: '412 Precondition Failed' } })
    expect((await json('DELETE', '/runners/managers', managerBody, { 'If-Unmodified-Since': future })).status).toBe(204)
    const runnerEarly = await json('DELETE', '/runners', { token: runner.token }, { 'If-Unmodified-Since': past })
    expect(runnerEarly.status).toBe(412)
    expect((await runner.verify()).status).toBe(200)
    // A date Time.parse cannot read is ignored.
    expect((await json('DELETE', '/runners', { token: runner.token }, { 'If-Unmodified-Since': 'whenever' })).status).toBe(204)
  })

  // lib/api/ci/runner.rb: not_found!('Runner manager not found') → "404 Runner manager not found Not Found".
  it('answers GitLab 404 for an unknown manager', async () => {
    const project = await createProject()
    const runner = await projectRunner(project)
    const res = await json('DELETE', '/runners/managers', { token: runner.token, system_id: 's_unknown' })
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 404, body: { message: '404 Runner manager not found Not Found' } })
  })
})

describe('an optional parameter sent as null is absent (Grape)', () => {
  // lib/api/ci/runner.rb put '/:id': `optional :failure_reason, :exit_code`; Grape's coercer skips nil.
  it('PUT /jobs/:id reports success with "failure_reason": null and "exit_code": null', async () => {
    const { project, job } = await runningJob()
    const res = await job.update('success', { failure_reason: null, exit_code: null })
    expect(res).toMatchObject({ status: 200, jobStatus: 'success' })
    const shown = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: project.owner.token })
    expect(shown.body.status).toBe('success')
  })

  // lib/api/ci/pipelines.rb (variables[variable_type] optional), lib/api/ci/jobs.rb (cancel force optional),
  // lib/api/user_runners.rb (description, tag_list, paused optional), lib/api/ci/runner.rb (last_update, info optional).
  it('holds on every endpoint with optional params', async () => {
    const project = await createProject()
    const token = project.owner.token
    await commitFile(project, '.gitlab-ci.yml', ONE_JOB)
    const pipeline = await apiJson('POST', `/projects/${project.id}/pipeline`, {
      token, body: { ref: 'main', variables: [{ key: 'A', value: '1', variable_type: null }], inputs: null },
    })
    expect(pipeline.status).toBe(201)
    const jobs = await jobsByName(project, pipeline.body.id)
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel`, { token, body: { force: null } })).status).toBe(201)
    const created = await apiJson('POST', '/user/runners', {
      token, body: { runner_type: 'project_type', project_id: project.id, description: null, tag_list: null, paused: null, maximum_timeout: null },
    })
    expect(created.status).toBe(201)
    const poll = await json('POST', '/jobs/request', { token: created.body.token, last_update: null, info: null })
    expect(poll.status).toBe(204)
    const list = await apiJson('GET', `/projects/${project.id}/jobs`, { token })
    expect(list.status).toBe(200)
    // lib/api/ci/jobs.rb play (`optional :job_variables_attributes`); `inputs`/`job_inputs` are undeclared there.
    const retried = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/retry`, { token, body: { inputs: null } })
    expect(retried.status).toBe(201)
    await commitFile(project, '.gitlab-ci.yml', 'deploy:\n  script: make\n  when: manual\n', 'main', 'PUT')
    const manual = await apiJson('POST', `/projects/${project.id}/pipeline`, { token, body: { ref: 'main' } })
    const deploy = (await jobsByName(project, manual.body.id)).deploy
    const played = await apiJson('POST', `/projects/${project.id}/jobs/${deploy.id}/play`, { token, body: { job_variables_attributes: null, job_inputs: null } })
    expect(played).toMatchObject({ status: 200, body: { status: 'pending' } })
    // lib/api/projects.rb: optional description and public_builds/public_jobs.
    const owner = project.owner
    const created2 = await apiJson('POST', '/projects', { token: owner.token, body: { name: `p${Date.now()}`, description: null, public_jobs: null, visibility: null } })
    expect(created2).toMatchObject({ status: 201, body: { description: null, public_jobs: true, visibility: 'private' } })
  })

  // Grape coercions GitLab's clients rely on: Boolean from "yes"/"1", Array via a[]=x, a=x,y for
  // CommaSeparatedToArray (tag_list), Integer from a string (lib/api/user_runners.rb).
  it('coerces booleans, arrays and integers as Grape does', async () => {
    const project = await createProject()
    const token = project.owner.token
    const form = new URLSearchParams({ runner_type: 'project_type', project_id: String(project.id), run_untagged: 'no', paused: 'yes', maximum_timeout: '3600' })
    form.append('tag_list[]', 'x')
    form.append('tag_list[]', 'y')
    const res = await api('POST', '/user/runners', { token, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, raw: form.toString() })
    expect(res.status).toBe(201)
    const { id } = (await res.json()) as { id: number }
    const row = await env.DB.prepare('SELECT tag_list, run_untagged, paused, maximum_timeout FROM runners WHERE id = ?').bind(id).first()
    expect(row).toEqual({ tag_list: '["x","y"]', run_untagged: 0, paused: 1, maximum_timeout: 3600 })
    const comma = await apiJson('POST', '/user/runners', { token, body: { runner_type: 'project_type', project_id: String(project.id), tag_list: 'a, b', locked: '1' } })
    const stored = await env.DB.prepare('SELECT tag_list, locked FROM runners WHERE id = ?').bind(comma.body.id).first()
    expect(stored).toEqual({ tag_list: '["a","b"]', locked: 1 })
  })
})

describe('debug trace from the runner', () => {
  // app/services/ci/append_build_trace_service.rb first_debug_chunk? → enable_debug_trace!;
  // app/models/ci/build.rb debug_mode?; app/policies/ci/build_policy.rb: debug_mode & ~update_build
  // prevents read_build_trace; lib/api/ci/jobs.rb authorize_read_build_trace! → 403.
  it('puts the job in debug mode when the first chunk says debug_trace=true', async () => {
    const { project, job } = await runningJob()
    const reporter = await createUser()
    const developer = await createUser()
    await addMember(project, reporter, 20)
    await addMember(project, developer, 30)
    const path = `/projects/${project.id}/jobs/${job.id}/trace`
    expect((await job.patch('line one\n', 0, undefined, { debugTrace: false })).status).toBe(202)
    // Only the chunk at offset 0 counts.
    expect((await job.patch('line two\n', undefined, undefined, { debugTrace: true })).status).toBe(202)
    expect((await api('GET', path, { token: reporter.token })).status).toBe(200)

    const debug = await runningJob()
    await addMember(debug.project, reporter, 20)
    await addMember(debug.project, developer, 30)
    expect((await debug.job.patch('secret\n', 0, undefined, { debugTrace: true })).status).toBe(202)
    const debugPath = `/projects/${debug.project.id}/jobs/${debug.job.id}/trace`
    expect(await apiJson('GET', debugPath, { token: reporter.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect(await (await api('GET', debugPath, { token: developer.token })).text()).toBe('secret\n')
    expect(path).not.toBe(debugPath)
  })
})

describe('X-GitLab-Last-Update', () => {
  // lib/api/ci/runner.rb post '/request': the runner's queue value (ensure_runner_queue_value),
  // ticked when a build it could take is queued (app/services/ci/update_build_queue_service.rb).
  it('changes when a job the runner could take is queued, and only then', async () => {
    const project = await createProject()
    const other = await createProject()
    const runner = await projectRunner(project)
    const first = (await runner.poll()).headers.get('X-GitLab-Last-Update')
    expect((await runner.poll()).headers.get('X-GitLab-Last-Update')).toBe(first)
    await createPipelineFrom(other, ONE_JOB) // another project's queue
    expect((await runner.poll()).headers.get('X-GitLab-Last-Update')).toBe(first)
    await createPipelineFrom(project, ONE_JOB)
    const job = (await runner.requestJob())!
    expect(job).not.toBeNull()
    const after = (await runner.poll()).headers.get('X-GitLab-Last-Update')
    expect(after).not.toBe(first)
    expect(after).toMatch(/^[0-9a-f]{32}$/)
    // Nothing queued since: the value stays, although the queue's contents changed (the job ran).
    expect((await job.finish('success')).status).toBe(200)
    expect((await runner.poll()).headers.get('X-GitLab-Last-Update')).toBe(after)
  })
})

describe('runner features (Ci::Build::RUNNER_FEATURES)', () => {
  // app/models/ci/build.rb RUNNER_FEATURES + supported_runner?; app/services/ci/register_job_service.rb
  // drops an unsupported build with :runner_unsupported and goes on.
  it('drops a job needing a feature the runner lacks as runner_unsupported and hands out the next', async () => {
    const project = await createProject()
    const ci = `
exclude:
  script: make
  artifacts:
    paths: [out/]
    exclude: [out/tmp]
codes:
  script: make
  allow_failure:
    exit_codes: [3]
plain:
  script: make
`
    const pipeline = await createPipelineFrom(project, ci)
    const old = await projectRunner(project, {}, { artifacts_exclude: false, return_exit_code: false })
    const job = (await old.requestJob())!
    expect(job.payload.job_info.name).toBe('plain')
    const jobs = await jobsByName(project, pipeline.id)
    expect(jobs.exclude).toMatchObject({ status: 'failed', failure_reason: 'runner_unsupported' })
    expect(jobs.codes).toMatchObject({ status: 'failed', failure_reason: 'runner_unsupported' })
  })

  it('gives such a job to a runner that has the feature', async () => {
    const project = await createProject()
    await createPipelineFrom(project, 'fb:\n  script: make\n  cache:\n    key: k\n    paths: [x]\n    fallback_keys: [main]\n')
    const runner = await projectRunner(project)
    const job = (await runner.requestJob())!
    expect(job.payload.job_info.name).toBe('fb')
    expect(job.payload.cache[0]).toMatchObject({ key: 'k-non_protected', fallback_keys: ['main-non_protected'] })
  })
})

describe('payload details', () => {
  // app/models/ci/build.rb #cache: ci_separated_caches → "-protected" on protected refs,
  // "-non_protected" otherwise and with `unprotect: true`; fallback keys alike.
  it('separates protected and unprotected caches', async () => {
    const project = await createProject()
    await commitFile(project, '.gitlab-ci.yml', `
build:
  script: make
  cache:
    - key: gems
      paths: [vendor/]
      fallback_keys: [gems-main]
    - key: shared
      paths: [tmp/]
      unprotect: true
`)
    // No protected-branches API yet: the row GitLab's POST /projects/:id/protected_branches would write.
    await env.DB.prepare("INSERT INTO protected_branches (project_id, name, created_at) VALUES (?, 'ma*', 0)").bind(project.id).run()
    expect((await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })).status).toBe(201)
    const runner = await projectRunner(project)
    const job = (await runner.requestJob())!
    expect(job.payload.cache.map((c: any) => [c.key, c.fallback_keys])).toEqual([['gems-protected', ['gems-main-protected']], ['shared-non_protected', []]])
    expect(job.payload.git_info.protected).toBe(true)
    expect(job.payload.variables.find((v: any) => v.key === 'CI_COMMIT_REF_PROTECTED').value).toBe('true')
  })

  // lib/gitlab/ci/variables/collection/item.rb to_runner_variable: `file` and `raw` only when true.
  it('sends file: true only for file variables and leaves out false file/raw', async () => {
    const project = await createProject()
    await commitFile(project, '.gitlab-ci.yml', ONE_JOB)
    const created = await apiJson('POST', `/projects/${project.id}/pipeline`, {
      token: project.owner.token, body: { ref: 'main', variables: [{ key: 'KUBECONFIG', value: 'cfg', variable_type: 'file' }, { key: 'PLAIN', value: 'p' }] },
    })
    expect(created.status).toBe(201)
    const job = (await (await projectRunner(project)).requestJob())!
    const variables = job.payload.variables as any[]
    expect(variables.find((v) => v.key === 'KUBECONFIG')).toEqual({ key: 'KUBECONFIG', value: 'cfg', public: false, file: true, masked: false })
    expect(variables.find((v) => v.key === 'PLAIN')).toEqual({ key: 'PLAIN', value: 'p', public: false, masked: false })
    expect(variables.some((v) => 'file' in v && v.file !== true)).toBe(false)
    expect(variables.some((v) => 'raw' in v && v.raw !== true)).toBe(false)
  })
})

describe('retrying a bridge', () => {
  // app/services/ci/retry_job_service.rb (new job enqueued at once); app/models/ci/bridge.rb
  // after_transition to pending → Ci::CreateDownstreamPipelineWorker (after the response).
  it('answers 201 with the new bridge pending; the downstream pipeline follows', async () => {
    const project = await createProject()
    await commitFile(project, 'child.yml', 'c:\n  script: x\n')
    const pipeline = await createPipelineFrom(project, 'kid:\n  trigger:\n    include: child.yml\n')
    const bridgesPath = `/projects/${project.id}/pipelines/${pipeline.id}/bridges`
    const first = await eventually(async () => {
      const res = await apiJson('GET', bridgesPath, { token: project.owner.token })
      expect(res.body[0].downstream_pipeline).not.toBeNull()
      return res.body[0]
    })
    const retried = await apiJson('POST', `/projects/${project.id}/jobs/${first.id}/retry`, { token: project.owner.token })
    expect(retried.status).toBe(201)
    expect(retried.body).toMatchObject({ name: 'kid', status: 'pending' })
    expect(retried.body.id).not.toBe(first.id)
    await eventually(async () => {
      const res = await apiJson('GET', bridgesPath, { token: project.owner.token })
      const bridge = res.body.find((b: any) => b.id === retried.body.id)
      expect(bridge.downstream_pipeline).not.toBeNull()
      expect(bridge.downstream_pipeline.id).not.toBe(first.downstream_pipeline.id)
    })
  })
})
