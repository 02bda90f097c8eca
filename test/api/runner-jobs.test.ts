import { SELF } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { jobsByName } from '../job-driver'
import { SimulatedRunner, type RunnerJob } from '../runner-client'
import { api, apiJson, BASE, ROOT_TOKEN, createPipelineFrom, createProject, type TestProject } from '../world'

const ONE_JOB = `
build:
  script: make
`

function projectRunner(project: TestProject, extra: Record<string, unknown> = {}, graceful = true) {
  return SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id, ...extra }, { graceful })
}

async function runningJob(ci = ONE_JOB): Promise<{ project: TestProject; job: RunnerJob }> {
  const project = await createProject()
  await createPipelineFrom(project, ci)
  const runner = await projectRunner(project)
  const job = (await runner.requestJob())!
  expect((await job.accept()).status).toBe(200)
  return { project, job }
}

function variable(payload: any, key: string) {
  return payload.variables.find((item: any) => item.key === key)
}

describe('POST /jobs/request', () => {
  it('sends no GIT_STRATEGY (the runner fetches, as with GitLab) unless the job sets it', async () => {
    const { job } = await runningJob()
    expect(job.payload.allow_git_fetch).toBe(true)
    expect(job.payload.variables.filter((item: any) => item.key === 'GIT_STRATEGY')).toHaveLength(0)
    const custom = await runningJob('build:\n  script: make\n  variables:\n    GIT_STRATEGY: none\n')
    expect(variable(custom.job.payload, 'GIT_STRATEGY').value).toBe('none')
    expect(custom.job.payload.variables.filter((item: any) => item.key === 'GIT_STRATEGY')).toHaveLength(1)
  })

  it('answers 204 with a stable X-GitLab-Last-Update when nothing is queued, 403 for an unknown token', async () => {
    const project = await createProject()
    const runner = await projectRunner(project)
    const first = await runner.poll()
    expect(first.status).toBe(204)
    const value = first.headers.get('X-GitLab-Last-Update')
    expect(value).toMatch(/^[0-9a-f]{32}$/)
    expect((await runner.poll()).headers.get('X-GitLab-Last-Update')).toBe(value)
    expect((await new SimulatedRunner('glrt-unknown-token-00000000000').poll()).status).toBe(403)
  })

  it('gives a paused runner nothing (204) even with a job pending', async () => {
    const project = await createProject()
    await createPipelineFrom(project, ONE_JOB)
    const paused = await projectRunner(project, { paused: true })
    const response = await paused.poll()
    expect(response.status).toBe(204)
    expect(response.headers.get('X-GitLab-Last-Update')).toBeTruthy()
    expect(await (await projectRunner(project)).requestJob()).not.toBeNull()
  })

  it('matches tags (job tags ⊆ runner tags), run_untagged and the project of project runners', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, `
docker_job:
  tags: [docker]
  script: make
plain_job:
  script: make
`)
    const jobs = await jobsByName(project, pipeline.id)
    const elsewhere = await projectRunner(await createProject())
    expect(await elsewhere.requestJob()).toBeNull()
    expect(await (await projectRunner(project, { tag_list: ['linux'], run_untagged: false })).requestJob()).toBeNull()
    const tagged = await projectRunner(project, { tag_list: 'docker,linux', run_untagged: false })
    expect((await tagged.requestJob())!.id).toBe(jobs.docker_job.id)
    expect(await tagged.requestJob()).toBeNull()
    const untagged = (await (await projectRunner(project)).requestJob())!
    expect(untagged.id).toBe(jobs.plain_job.id)
    // No job or runner timeout: the project's build_timeout.
    expect(untagged.payload.runner_info).toEqual({ timeout: 3600, runner_session_url: null })
  })

  it('lets an instance runner take matching jobs of any project', async () => {
    const tag = `only-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`
    const [first, second] = await Promise.all([createProject(), createProject()])
    await createPipelineFrom(first, `job_a:\n  tags: [${tag}]\n  script: a\n`)
    await createPipelineFrom(second, `job_b:\n  tags: [${tag}]\n  script: b\n`)
    const runner = await SimulatedRunner.create(ROOT_TOKEN, { runner_type: 'instance_type', tag_list: [tag], run_untagged: false })
    const a = (await runner.requestJob())!
    const b = (await runner.requestJob())!
    expect([a.payload.job_info.project_id, b.payload.job_info.project_id].sort()).toEqual([first.id, second.id].sort())
    expect(a.payload.job_info.project_jobs_running_on_instance_runners_count).toBe('0')
    expect(await runner.requestJob()).toBeNull()
  })

  it('sends the payload a runner needs: variables by precedence, steps, image, services, artifacts, cache, timeout, features', async () => {
    const project = await createProject()
    await createPipelineFrom(project, `
variables:
  GLOBAL: g
  OVERRIDDEN: yaml
build:
  image: ruby:3.3
  services: [postgres:16]
  timeout: 30m
  variables:
    JOB_VAR: j
  before_script: [bundle install]
  script: [rake]
  after_script: [echo bye]
  artifacts:
    paths: [pkg/]
    expire_in: 2 days
    reports:
      junit: [report.xml]
  cache:
    key: gems
    paths: [vendor/]
`, { variables: [{ key: 'OVERRIDDEN', value: 'pipeline' }] })
    const runner = await projectRunner(project, { maximum_timeout: 1200 })
    const { payload, token, id } = (await runner.requestJob())!
    expect(Object.keys(payload)).toEqual([
      'id', 'token', 'allow_git_fetch', 'job_info', 'git_info', 'runner_info', 'variables', 'steps', 'image', 'services',
      'artifacts', 'cache', 'credentials', 'features', 'dependencies',
    ])
    expect(payload.job_info).toMatchObject({ id, name: 'build', stage: 'test', project_id: project.id, project_full_path: project.path_with_namespace })
    expect(payload.git_info).toMatchObject({ ref: 'main', ref_type: 'branch', depth: 20, refspecs: [expect.stringMatching(/^\+refs\/pipelines\/\d+:/), '+refs/heads/main:refs/remotes/origin/main'] })
    // min(job timeout 30m, runner maximum_timeout 20m)
    expect(payload.runner_info.timeout).toBe(1200)
    // Collection::Item#to_runner_variable leaves out `file` and `raw` when false.
    expect(variable(payload, 'CI_JOB_TOKEN')).toEqual({ key: 'CI_JOB_TOKEN', value: token, public: false, masked: true })
    expect(variable(payload, 'CI_REGISTRY_PASSWORD')).toMatchObject({ value: token, masked: true })
    expect(variable(payload, 'CI_REPOSITORY_URL').value).toContain(`gitlab-ci-token:${token}@`)
    expect(variable(payload, 'CI_JOB_ID').value).toBe(String(id))
    expect(variable(payload, 'CI_JOB_URL').value).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/jobs/${id}`)
    expect(variable(payload, 'CI_JOB_NAME').value).toBe('build')
    expect(variable(payload, 'CI_JOB_STAGE').value).toBe('test')
    expect(variable(payload, 'CI_PIPELINE_IID').value).toBe('1')
    expect(variable(payload, 'CI_PROJECT_ID').value).toBe(String(project.id))
    expect(variable(payload, 'CI_SERVER_URL').value).toBe('https://gitlab.example.com')
    expect(variable(payload, 'CI_API_V4_URL').value).toBe('https://gitlab.example.com/api/v4')
    expect(variable(payload, 'GLOBAL').value).toBe('g')
    expect(variable(payload, 'JOB_VAR').value).toBe('j')
    expect(variable(payload, 'OVERRIDDEN')).toMatchObject({ value: 'pipeline', public: false })
    expect(payload.steps).toEqual([
      { name: 'script', script: ['bundle install', 'rake'], timeout: 1200, when: 'on_success', allow_failure: false },
      { name: 'after_script', script: ['echo bye'], timeout: 1200, when: 'always', allow_failure: true },
    ])
    expect(payload.image).toMatchObject({ name: 'ruby:3.3' })
    expect(payload.services).toEqual([expect.objectContaining({ name: 'postgres:16' })])
    expect(payload.artifacts).toEqual([
      expect.objectContaining({ paths: ['pkg/'], when: 'on_success', expire_in: '2 days', artifact_type: 'archive', artifact_format: 'zip' }),
      expect.objectContaining({ paths: ['report.xml'], when: 'always', artifact_type: 'junit', artifact_format: 'gzip' }),
    ])
    // Ci::Build#cache with ci_separated_caches: an unprotected ref's keys end in -non_protected.
    expect(payload.cache).toEqual([expect.objectContaining({ key: 'gems-non_protected', paths: ['vendor/'], policy: 'pull-push' })])
    expect(payload.features.trace_sections).toBe(true)
    expect(payload.features.failure_reasons).toEqual(expect.arrayContaining(['script_failure', 'runner_system_failure', 'job_execution_timeout', 'unknown_failure', 'trace_size_exceeded']))
    expect(payload.dependencies).toEqual([])
  })
})

describe('PUT /jobs/:id', () => {
  // lib/api/ci/runner.rb `put '/:id'`: the interval header is UpdateBuildStateService's backoff,
  // set only on its 202 result (app/services/ci/update_build_state_service.rb); 200 has none.
  it('treats state=running as a heartbeat (200 "200", Job-Status, no update interval) and an unknown state as 400', async () => {
    const { job } = await runningJob()
    expect(await job.update('running')).toEqual({ status: 200, jobStatus: 'running', body: '200', interval: null })
    expect(await job.update('pending')).toMatchObject({ status: 400, jobStatus: 'running' })
    expect(await job.update('bogus')).toMatchObject({ status: 400 })
  })

  it('refuses a wrong token and a finished job with 403 and Job-Status; accepts the token in the body alone', async () => {
    const { project, job } = await runningJob()
    const wrong = await SELF.fetch(`${BASE}/jobs/${job.id}`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json', 'JOB-TOKEN': 'glcbt-wrong' }, body: JSON.stringify({ state: 'success' }),
    })
    expect(wrong.status).toBe(403)
    expect(wrong.headers.get('Job-Status')).toBe('running')
    const unknown = await SELF.fetch(`${BASE}/jobs/999999999`, { method: 'PUT', headers: { 'JOB-TOKEN': job.token } })
    expect(unknown.status).toBe(403)
    const bodyOnly = await SELF.fetch(`${BASE}/jobs/${job.id}`, {
      method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: job.token, state: 'failed', failure_reason: 'script_failure', exit_code: 2 }),
    })
    expect(bodyOnly.status).toBe(200)
    expect(bodyOnly.headers.get('Job-Status')).toBe('failed')
    expect(await job.finish('success')).toMatchObject({ status: 403, jobStatus: 'failed' })
    expect(await job.patch('late\n')).toMatchObject({ status: 403, jobStatus: 'failed' })
    const shown = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: project.owner.token })
    expect(shown.body).toMatchObject({ status: 'failed', failure_reason: 'script_failure' })
  })

  it('stores an unknown failure reason as unknown_failure', async () => {
    const { project, job } = await runningJob()
    expect((await job.finish('failed', { failure_reason: 'cosmic_rays' })).jobStatus).toBe('failed')
    const shown = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: project.owner.token })
    expect(shown.body.failure_reason).toBe('unknown_failure')
  })
})

describe('PATCH /jobs/:id/trace', () => {
  // lib/api/ci/runner.rb: 400 only when Content-Range is absent; AppendBuildTraceService
  // (app/services/ci/append_build_trace_service.rb) takes `split('-')[0].to_i` as the start.
  it('needs a Content-Range (400 without one) and reads only its start', async () => {
    const { project, job } = await runningJob()
    const patch = (headers: Record<string, string>, body = 'data') =>
      SELF.fetch(`${BASE}/jobs/${job.id}/trace`, { method: 'PATCH', headers: { 'JOB-TOKEN': job.token, ...headers }, body })
    const missing = await patch({})
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({ error: '400 Missing header Content-Range' })
    // Start 15 is not the stored length 0: 416 with the length, nothing written.
    const ahead = await patch({ 'Content-Range': '15-20/6' })
    expect(ahead.status).toBe(416)
    expect(ahead.headers.get('Range')).toBe('0-0')
    expect(await ahead.json()).toEqual({ error: '416 Range Not Satisfiable' })
    const log = await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token: project.owner.token })
    expect(await log.text()).toBe('')
    // The end is ignored, whatever it says.
    expect((await patch({ 'Content-Range': '0-34/35' }, 'abcd')).status).toBe(202)
    // Text without leading digits starts at 0 (`'abc'.to_i`), which is no longer the length.
    expect((await patch({ 'Content-Range': 'abc' })).status).toBe(416)
    expect((await patch({ 'Content-Range': ' 4-' }, 'ef')).headers.get('Range')).toBe('0-6')
    // An empty patch at the current length changes nothing.
    expect(await job.patch('', 6, '6-5')).toMatchObject({ status: 202, range: '0-6', jobStatus: 'running' })
    expect(await (await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token: project.owner.token })).text()).toBe('abcdef')
  })

  it('masks the job token in the stored log, keeping its length', async () => {
    const { project, job } = await runningJob()
    const line = `token=${job.token}\n`
    expect((await job.patch(line)).status).toBe(202)
    const log = await (await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token: project.owner.token })).text()
    expect(log).toBe(`token=${'x'.repeat(job.token.length)}\n`)
    expect(log.length).toBe(line.length)
  })

  it('masks the project registration token too', async () => {
    const { project, job } = await runningJob()
    const reset = await apiJson('POST', `/projects/${project.id}/runners/reset_registration_token`, { token: project.owner.token })
    const other = 'GR1348941' + 'a'.repeat(26)
    expect((await job.patch(`reg=${reset.body.token} other=${other}\n`)).status).toBe(202)
    const log = await (await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token: project.owner.token })).text()
    expect(log).toBe(`reg=${'x'.repeat(reset.body.token.length)} other=${other}\n`)
  })

  it('refuses more than 1 MiB in one patch (413)', async () => {
    const { job } = await runningJob()
    expect((await job.patch(new Uint8Array(1024 * 1024 + 1))).status).toBe(413)
    expect(job.offset).toBe(0)
  })

  it('drops the job with trace_size_exceeded (403) when the log would pass the limit', async () => {
    const { project, job } = await runningJob()
    expect((await apiJson('PUT', '/application/settings', { body: { ci_jobs_trace_size_limit: 1 } })).body.ci_jobs_trace_size_limit).toBe(1)
    try {
      expect((await job.patch(new Uint8Array(1024 * 1024 - 10).fill(0x61))).status).toBe(202)
      expect(await job.patch('0123456789ABC')).toMatchObject({ status: 403, jobStatus: 'failed' })
      const shown = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: project.owner.token })
      expect(shown.body).toMatchObject({ status: 'failed', failure_reason: 'trace_size_exceeded' })
      expect(shown.body.artifacts).toEqual([{ file_type: 'trace', size: 1024 * 1024 - 10, filename: 'job.log', file_format: 'raw' }])
    } finally {
      await apiJson('PUT', '/application/settings', { body: { ci_jobs_trace_size_limit: 100 } })
    }
  })
})
