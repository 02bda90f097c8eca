import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually, finishJob, jobsByName } from './job-driver'
import { RUNNER_VERSION, SimulatedRunner } from './runner-client'
import { apiJson, commitFile, createPipelineFrom, createProject, type TestProject, type TestUser } from './world'
import { jobStub } from './stubs'

/**
 * The entities of gitlab-behavior.md §2 as the Jobs API renders them: every field, in GitLab's
 * exposure order, with the right types and null-versus-absent (lib/api/entities/ci/job_basic.rb,
 * job.rb, bridge.rb, pipeline_basic.rb, runner.rb, runner_manager.rb, user.rb, commit.rb).
 */

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
const HOUR = 60 * 60 * 1000
const DAY = 24 * HOUR

const JOB_BASIC_KEYS = [
  'id', 'status', 'stage', 'name', 'ref', 'tag', 'coverage', 'allow_failure', 'created_at', 'started_at', 'finished_at',
  'erased_at', 'duration', 'queued_duration', 'user', 'commit', 'pipeline',
]
const JOB_TAIL_KEYS = ['artifacts', 'runner', 'runner_manager', 'artifacts_expire_at', 'archived', 'tag_list']
const PIPELINE_BASIC_KEYS = ['id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url']
const RUNNER_KEYS = ['id', 'description', 'ip_address', 'active', 'paused', 'is_shared', 'runner_type', 'name', 'online']
const RUNNER_MANAGER_KEYS = [
  'id', 'system_id', 'version', 'revision', 'platform', 'architecture', 'created_at', 'contacted_at', 'ip_address', 'status',
  'job_execution_status',
]
const USER_KEYS = [
  'id', 'username', 'name', 'state', 'locked', 'avatar_url', 'web_url', 'created_at', 'bio', 'location', 'public_email',
  'skype', 'linkedin', 'twitter', 'discord', 'website_url', 'organization', 'job_title', 'pronouns', 'bot',
  'work_information', 'followers', 'following', 'local_time',
]
const COMMIT_KEYS = [
  'id', 'short_id', 'created_at', 'parent_ids', 'title', 'message', 'author_name', 'author_email', 'authored_date',
  'committer_name', 'committer_email', 'committed_date', 'trailers', 'extended_trailers', 'web_url',
]

interface RunnerFixture {
  runnerId: number
  managerId: number
}

/**
 * A runner and one of its managers. No API creates runners yet, so the rows are written the way
 * the runner registration code (src/db/runners.ts) writes them; the Jobs API only reads them.
 */
async function createRunner(options: { creator?: TestUser; paused?: boolean; createdAt?: number; contactedAt?: number | null; type?: string; prefix?: string } = {}): Promise<RunnerFixture> {
  const now = Date.now()
  const contactedAt = options.contactedAt === undefined ? now : options.contactedAt
  const runner = await env.DB.prepare(
    `INSERT INTO runners (runner_type, project_id, description, token_digest, token_prefix, tag_list, paused, created_by_id, created_at, contacted_at)
     VALUES (?, NULL, 'test runner', ?, ?, '["docker"]', ?, ?, ?, ?) RETURNING id`,
  )
    .bind(options.type ?? 'instance_type', crypto.randomUUID(), options.prefix ?? 'glrt-', options.paused ? 1 : 0, options.creator?.id ?? null, options.createdAt ?? now, contactedAt)
    .first<{ id: number }>()
  const manager = await env.DB.prepare(
    `INSERT INTO runner_managers (runner_id, system_id, version, revision, platform, architecture, executor, ip_address, created_at, contacted_at)
     VALUES (?, ?, '17.5.0', 'abcdef12', 'linux', 'amd64', 'docker', '10.0.0.7', ?, ?) RETURNING id`,
  )
    .bind(runner!.id, `s_${crypto.randomUUID().slice(0, 12)}`, options.createdAt ?? now, contactedAt)
    .first<{ id: number }>()
  return { runnerId: runner!.id, managerId: manager!.id }
}

/** Hands a pending build to the runner, as POST /jobs/request would. Returns the job token. */
async function assign(jobId: number, runner: RunnerFixture): Promise<string> {
  const stub = jobStub(jobId)
  const assigned = await stub.assign(jobId, { runnerId: runner.runnerId, runnerManagerId: runner.managerId, timeout: 3600 })
  if (!assigned) throw new Error(`job ${jobId} could not be assigned`)
  return assigned.token
}

async function appendLog(jobId: number, text: string): Promise<void> {
  const stub = jobStub(jobId)
  const length = await stub.traceLength()
  const result = await stub.appendTrace(jobId, length, new TextEncoder().encode(text))
  if (!result.ok) throw new Error('append failed')
}

/**
 * An uploaded artifacts archive (no upload endpoint is routed yet): the artifact row, its file
 * and the job's artifacts_expire_at, as the upload code writes them.
 */
async function addArchive(project: TestProject, jobId: number, expireAt: number): Promise<void> {
  const key = `jobs/${jobId}/artifacts/1/artifacts.zip`
  await env.BLOBS.put(key, new Uint8Array(1000))
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO job_artifacts (job_id, project_id, file_type, file_format, filename, size, blob_key, expire_at, created_at)
       VALUES (?, ?, 'archive', 'zip', 'artifacts.zip', 1000, ?, ?, ?)`,
    ).bind(jobId, project.id, key, expireAt, Date.now()),
    env.DB.prepare(
      `INSERT INTO job_artifacts (job_id, project_id, file_type, file_format, filename, size, blob_key, expire_at, created_at)
       VALUES (?, ?, 'metadata', 'gzip', 'metadata.gz', 186, ?, ?, ?)`,
    ).bind(jobId, project.id, `${key}.meta`, expireAt, Date.now()),
    env.DB.prepare('UPDATE jobs SET artifacts_expire_at = ? WHERE id = ?').bind(expireAt, jobId),
  ])
}

const CI = `
stages: [build, test]
compile:
  stage: build
  script: make
  tags: [zeta, docker, alpha]
  coverage: '/Coverage: (\\d+\\.\\d+)%/'
broken:
  stage: build
  script: exit 1
  allow_failure: true
waiting:
  stage: test
  script: w
  when: manual
`

describe('Job entity', () => {
  let project: TestProject
  let pipeline: any
  let jobs: Record<string, any>
  let runner: RunnerFixture
  let expireAt: number

  beforeAll(async () => {
    project = await createProject()
    pipeline = await createPipelineFrom(project, CI)
    jobs = await jobsByName(project, pipeline.id)
    runner = await createRunner({ creator: project.owner })
    await assign(jobs.compile.id, runner)
    await appendLog(jobs.compile.id, 'building\nCoverage: 87.25%\ndone\n')
    expireAt = Date.now() + 7 * DAY
    await addArchive(project, jobs.compile.id, expireAt)
    await finishJob(jobs.compile.id, 'success')
    await assign(jobs.broken.id, runner)
    await finishJob(jobs.broken.id, 'failed', { failureReason: 'script_failure' })
  })

  const show = (id: number) => apiJson('GET', `/projects/${project.id}/jobs/${id}`, { token: project.owner.token })

  it('exposes JobBasic then Job fields in GitLab order, artifacts_file only with an archive', async () => {
    const res = await show(jobs.compile.id)
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual([...JOB_BASIC_KEYS, 'web_url', 'project', 'artifacts_file', ...JOB_TAIL_KEYS])
  })

  it('has the right values and types for a finished build', async () => {
    const job = (await show(jobs.compile.id)).body
    expect(job).toMatchObject({
      id: jobs.compile.id,
      status: 'success',
      stage: 'build',
      name: 'compile',
      ref: 'main',
      tag: false,
      coverage: 87.25,
      allow_failure: false,
      erased_at: null,
      web_url: `https://gitlab.example.com/${project.path_with_namespace}/-/jobs/${jobs.compile.id}`,
      project: { ci_job_token_scope_enabled: false },
      archived: false,
    })
    for (const key of ['created_at', 'started_at', 'finished_at']) expect(job[key]).toMatch(ISO_MS)
    expect(typeof job.duration).toBe('number')
    expect(job.duration).toBeCloseTo((Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000, 3)
    expect(typeof job.queued_duration).toBe('number')
    expect(job.queued_duration).toBeGreaterThanOrEqual(0)
    expect(job.artifacts_expire_at).toBe(new Date(expireAt).toISOString())
  })

  it('sorts tag_list alphabetically', async () => {
    expect((await show(jobs.compile.id)).body.tag_list).toEqual(['alpha', 'docker', 'zeta'])
    expect((await show(jobs.broken.id)).body.tag_list).toEqual([])
  })

  it('lists every artifact, the log included, and artifacts_file for the archive', async () => {
    const job = (await show(jobs.compile.id)).body
    expect(job.artifacts_file).toEqual({ filename: 'artifacts.zip', size: 1000 })
    expect(job.artifacts).toEqual([
      { file_type: 'archive', size: 1000, filename: 'artifacts.zip', file_format: 'zip' },
      { file_type: 'metadata', size: 186, filename: 'metadata.gz', file_format: 'gzip' },
      { file_type: 'trace', size: 31, filename: 'job.log', file_format: 'raw' },
    ])
    const broken = (await show(jobs.broken.id)).body
    expect(broken).not.toHaveProperty('artifacts_file')
    expect(broken.artifacts).toEqual([])
  })

  it('failure_reason is present on failed jobs only', async () => {
    const failed = (await show(jobs.broken.id)).body
    expect(Object.keys(failed)).toEqual([...JOB_BASIC_KEYS, 'failure_reason', 'web_url', 'project', ...JOB_TAIL_KEYS])
    expect(failed).toMatchObject({ status: 'failed', failure_reason: 'script_failure', allow_failure: true })
    expect((await show(jobs.compile.id)).body).not.toHaveProperty('failure_reason')
    expect((await show(jobs.waiting.id)).body).not.toHaveProperty('failure_reason')
  })

  it('a job that never ran has null times, durations, runner and runner_manager', async () => {
    const job = (await show(jobs.waiting.id)).body
    expect(Object.keys(job)).toEqual([...JOB_BASIC_KEYS, 'web_url', 'project', ...JOB_TAIL_KEYS])
    expect(job).toMatchObject({
      status: 'manual',
      coverage: null,
      started_at: null,
      finished_at: null,
      erased_at: null,
      duration: null,
      queued_duration: null,
      runner: null,
      runner_manager: null,
      artifacts: [],
      artifacts_expire_at: null,
    })
    expect(job.created_at).toMatch(ISO_MS)
  })

  it('user is the User entity of the pipeline creator', async () => {
    const user = (await show(jobs.compile.id)).body.user
    expect(Object.keys(user)).toEqual(USER_KEYS)
    expect(user).toMatchObject({
      id: project.owner.id,
      username: project.owner.username,
      state: 'active',
      locked: false,
      web_url: `https://gitlab.example.com/${project.owner.username}`,
      bot: false,
    })
    expect(user.created_at).toMatch(ISO_MS)
  })

  it('commit is the Commit entity of the pipeline sha', async () => {
    const commit = (await show(jobs.compile.id)).body.commit
    expect(Object.keys(commit)).toEqual(COMMIT_KEYS)
    expect(commit).toMatchObject({ id: pipeline.sha, short_id: pipeline.sha.slice(0, 8) })
    expect(commit.web_url).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/commit/${pipeline.sha}`)
  })

  it('pipeline is a PipelineBasic', async () => {
    const p = (await show(jobs.compile.id)).body.pipeline
    expect(Object.keys(p)).toEqual(PIPELINE_BASIC_KEYS)
    expect(p).toMatchObject({ id: pipeline.id, iid: pipeline.iid, project_id: project.id, sha: pipeline.sha, ref: 'main', source: 'api' })
    expect(p.created_at).toMatch(ISO_MS)
    expect(p.updated_at).toMatch(ISO_MS)
    expect(p.web_url).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/pipelines/${pipeline.id}`)
  })

  it('runner is the Runner entity, with created_by when the runner has a creator', async () => {
    const r = (await show(jobs.compile.id)).body.runner
    expect(Object.keys(r)).toEqual([...RUNNER_KEYS, 'created_by', 'created_at', 'status', 'job_execution_status'])
    expect(r).toMatchObject({
      id: runner.runnerId,
      description: 'test runner',
      ip_address: null,
      active: true,
      paused: false,
      is_shared: true,
      runner_type: 'instance_type',
      name: null,
      online: true,
      status: 'online',
      job_execution_status: 'idle',
    })
    expect(Object.keys(r.created_by)).toEqual(['id', 'username', 'name', 'state', 'locked', 'avatar_url', 'web_url'])
    expect(r.created_by.id).toBe(project.owner.id)
    expect(r.created_at).toMatch(ISO_MS)
  })

  it('runner_manager is the RunnerManager entity', async () => {
    const m = (await show(jobs.compile.id)).body.runner_manager
    expect(Object.keys(m)).toEqual(RUNNER_MANAGER_KEYS)
    expect(m).toMatchObject({
      id: runner.managerId,
      version: '17.5.0',
      revision: 'abcdef12',
      platform: 'linux',
      architecture: 'amd64',
      ip_address: '10.0.0.7',
      status: 'online',
      job_execution_status: 'idle',
    })
    expect(m.system_id).toMatch(/^s_/)
    expect(m.created_at).toMatch(ISO_MS)
    expect(m.contacted_at).toMatch(ISO_MS)
  })

  it('project.ci_job_token_scope_enabled follows the project setting', async () => {
    const other = await createProject()
    const res = await apiJson('PUT', `/projects/${other.id}`, { token: other.owner.token, body: { ci_job_token_scope_enabled: true } })
    expect(res.status).toBe(200)
    const p = await createPipelineFrom(other, 'x:\n  script: x\n')
    const job = (await jobsByName(other, p.id)).x
    expect(job.project).toEqual({ ci_job_token_scope_enabled: true })
    expect(Object.keys(job)).toEqual([...JOB_BASIC_KEYS, 'web_url', 'project', ...JOB_TAIL_KEYS])
  })

  it('the list renders the same entity as the single GET', async () => {
    const single = (await show(jobs.compile.id)).body
    const list = await apiJson('GET', `/projects/${project.id}/jobs?per_page=100`, { token: project.owner.token })
    const fromList = list.body.find((job: any) => job.id === jobs.compile.id)
    const pipelineList = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/jobs`, { token: project.owner.token })
    const fromPipeline = pipelineList.body.find((job: any) => job.id === jobs.compile.id)
    for (const item of [fromList, fromPipeline]) {
      expect({ ...item, runner: undefined, runner_manager: undefined }).toEqual({ ...single, runner: undefined, runner_manager: undefined })
    }
  })

  it('an expired archive has no artifacts_file but is still listed in artifacts', async () => {
    const other = await createPipelineFrom(project, 'old:\n  script: x\n')
    const oldJob = (await jobsByName(project, other.id)).old
    await assign(oldJob.id, runner)
    await addArchive(project, oldJob.id, Date.now() - 1000)
    await finishJob(oldJob.id, 'success')
    const job = (await show(oldJob.id)).body
    expect(job).not.toHaveProperty('artifacts_file')
    expect(job.artifacts.map((a: any) => a.file_type)).toEqual(['archive', 'metadata'])
  })
})

describe('Runner and RunnerManager while a job runs, and runner status', () => {
  let project: TestProject

  beforeAll(async () => {
    project = await createProject()
  })

  async function jobOn(fixture: RunnerFixture): Promise<any> {
    const pipeline = await createPipelineFrom(project, 'one:\n  script: x\n')
    const job = (await jobsByName(project, pipeline.id)).one
    await assign(job.id, fixture)
    return (await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: project.owner.token })).body
  }

  it('a running job: duration counts up to now, runner and manager are active', async () => {
    const job = await jobOn(await createRunner())
    expect(job.status).toBe('running')
    expect(job.finished_at).toBeNull()
    expect(typeof job.duration).toBe('number')
    expect(job.duration).toBeGreaterThanOrEqual(0)
    expect(job.runner.job_execution_status).toBe('active')
    expect(job.runner_manager.job_execution_status).toBe('active')
    // No creator: created_by is not exposed at all.
    expect(job.runner).not.toHaveProperty('created_by')
  })

  it.each([
    ['contacted just now', {}, { status: 'online', online: true, active: true, paused: false }, 'online'],
    ['contacted 3 hours ago', { contactedAt: Date.now() - 3 * HOUR }, { status: 'offline', online: false }, 'offline'],
    ['paused', { paused: true }, { status: 'paused', online: true, active: false, paused: true }, 'online'],
    ['never contacted', { contactedAt: null }, { status: 'never_contacted', online: false }, 'never_contacted'],
    ['paused and never contacted', { paused: true, contactedAt: null }, { status: 'never_contacted', paused: true }, 'never_contacted'],
    ['created and contacted 8 days ago', { createdAt: Date.now() - 8 * DAY, contactedAt: Date.now() - 8 * DAY }, { status: 'stale', online: false }, 'stale'],
    ['project runner', { type: 'project_type' }, { is_shared: false, runner_type: 'project_type' }, 'online'],
  ])('runner %s', async (_name, options, expected, managerStatus) => {
    const job = await jobOn(await createRunner(options))
    expect(job.runner).toMatchObject(expected)
    expect(job.runner_manager.status).toBe(managerStatus)
  })
})

describe('a job run through the runner API', () => {
  it('shows the runner that took it, its manager, the log and the uploaded archive', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'e2e:\n  script: make\n')
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id, description: 'e2e runner' })
    const job = (await runner.requestJob())!
    expect((await job.accept()).status).toBe(200)
    expect((await job.patch('hello\n')).status).toBe(202)
    expect((await job.uploadArtifact([new Uint8Array(64)])).status).toBe(201)
    expect((await job.finish('success')).status).toBe(200)
    const res = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: project.owner.token })
    expect(res.body.pipeline.id).toBe(pipeline.id)
    expect(res.body.runner).toMatchObject({
      description: 'e2e runner',
      ip_address: null,
      active: true,
      paused: false,
      is_shared: false,
      runner_type: 'project_type',
      // Runners created with POST /user/runners have no name.
      name: null,
      online: true,
      status: 'online',
      job_execution_status: 'idle',
      created_by: { id: project.owner.id, username: project.owner.username },
    })
    expect(res.body.runner_manager).toMatchObject({
      system_id: runner.systemId,
      version: RUNNER_VERSION,
      revision: 'abcdef12',
      platform: 'linux',
      architecture: 'amd64',
      status: 'online',
      job_execution_status: 'idle',
    })
    expect(res.body.artifacts_file).toEqual({ filename: 'artifacts.zip', size: 64 })
    expect(res.body.artifacts).toEqual(
      expect.arrayContaining([
        { file_type: 'archive', size: 64, filename: 'artifacts.zip', file_format: 'zip' },
        { file_type: 'trace', size: 6, filename: 'job.log', file_format: 'raw' },
      ]),
    )
    expect(res.body.artifacts_expire_at === null || ISO_MS.test(res.body.artifacts_expire_at)).toBe(true)
  })
})

describe('Bridge entity', () => {
  it('is JobBasic plus downstream_pipeline, with no Job-only fields', async () => {
    const project = await createProject()
    await commitFile(project, 'child.yml', 'child_job:\n  script: echo child\n')
    const pipeline = await createPipelineFrom(project, 'trigger_it:\n  trigger:\n    include: child.yml\n')
    const bridge = await eventually(async () => {
      const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/bridges`, { token: project.owner.token })
      expect(res.body[0].downstream_pipeline).not.toBeNull()
      return res.body[0]
    })
    expect(Object.keys(bridge)).toEqual([...JOB_BASIC_KEYS, 'web_url', 'project', 'downstream_pipeline'])
    for (const key of ['artifacts', 'artifacts_file', 'runner', 'runner_manager', 'tag_list', 'archived', 'artifacts_expire_at']) {
      expect(bridge).not.toHaveProperty(key)
    }
    expect(Object.keys(bridge.downstream_pipeline)).toEqual(PIPELINE_BASIC_KEYS)
    expect(bridge.downstream_pipeline.source).toBe('parent_pipeline')
  })
})
