import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually, finishJob, jobsByName, startJob } from '../job-driver'
import { addMember, api, apiJson, createPipelineFrom, createProject, createUser, ROOT_TOKEN, type TestProject, type TestUser } from '../world'
import { jobStub } from '../stubs'

/**
 * Who may read jobs (gitlab-behavior.md §1.5 and §4; app/policies/project_policy.rb,
 * config/authz/roles/*.yml): every role on private, internal and public projects, with
 * public_jobs (GitLab's public_builds) on and off, for the five read endpoints.
 */

type Role = 'anonymous' | 'non-member' | 'guest' | 'reporter' | 'developer' | 'maintainer' | 'admin'
type Visibility = 'private' | 'internal' | 'public'
type Endpoint = 'project jobs' | 'pipeline jobs' | 'bridges' | 'job' | 'trace'

const ROLES: Role[] = ['anonymous', 'non-member', 'guest', 'reporter', 'developer', 'maintainer', 'admin']
const VISIBILITIES: Visibility[] = ['private', 'internal', 'public']
const ENDPOINTS: Endpoint[] = ['project jobs', 'pipeline jobs', 'bridges', 'job', 'trace']
const LEVELS: Partial<Record<Role, number>> = { guest: 10, reporter: 20, developer: 30, maintainer: 40 }
const LOG = 'the log\n'

/** 'full': the job is listed; 'empty': 200 with an empty list (the finder's read_build check). */
type Expected = { status: number; items?: 'full' | 'empty' }

function isMember(role: Role): boolean {
  return LEVELS[role] !== undefined || role === 'admin'
}

/** read_project: members always; anyone on public; signed-in users on internal. */
function seesProject(role: Role, visibility: Visibility): boolean {
  if (isMember(role)) return true
  if (visibility === 'public') return true
  return visibility === 'internal' && role !== 'anonymous'
}

/** read_build: reporter+ always; everyone else who sees the project only with public_jobs. */
function readsBuilds(role: Role, visibility: Visibility, publicJobs: boolean): boolean {
  if (role === 'admin' || (LEVELS[role] ?? 0) >= 20) return true
  return seesProject(role, visibility) && publicJobs
}

/** read_pipeline: reporter+; anyone on public; signed-in users on internal; guests only with public_jobs. */
function readsPipelines(role: Role, visibility: Visibility, publicJobs: boolean): boolean {
  if (role === 'admin' || (LEVELS[role] ?? 0) >= 20) return true
  if (visibility === 'public') return true
  if (visibility === 'internal' && role !== 'anonymous') return true
  return role === 'guest' && publicJobs
}

function expected(endpoint: Endpoint, role: Role, visibility: Visibility, publicJobs: boolean): Expected {
  const sees = seesProject(role, visibility)
  const builds = readsBuilds(role, visibility, publicJobs)
  switch (endpoint) {
    case 'project jobs':
      // before { authenticate! }
      if (role === 'anonymous') return { status: 401 }
      if (!sees) return { status: 404 }
      return builds ? { status: 200, items: 'full' } : { status: 403 }
    case 'pipeline jobs':
      // authenticate_non_get!: anonymous reads public projects.
      if (!sees) return { status: 404 }
      if (!readsPipelines(role, visibility, publicJobs)) return { status: 403 }
      return { status: 200, items: builds ? 'full' : 'empty' }
    case 'bridges':
      if (!sees) return { status: 404 }
      return builds ? { status: 200, items: 'full' } : { status: 403 }
    case 'job':
    case 'trace':
      if (role === 'anonymous') return { status: 401 }
      if (!sees) return { status: 404 }
      return { status: builds ? 200 : 403 }
  }
}

interface Fixture {
  project: TestProject
  pipelineId: number
  jobId: number
  bridgeId: number
}

function path(endpoint: Endpoint, f: Fixture): string {
  switch (endpoint) {
    case 'project jobs':
      return `/projects/${f.project.id}/jobs`
    case 'pipeline jobs':
      return `/projects/${f.project.id}/pipelines/${f.pipelineId}/jobs`
    case 'bridges':
      return `/projects/${f.project.id}/pipelines/${f.pipelineId}/bridges`
    case 'job':
      return `/projects/${f.project.id}/jobs/${f.jobId}`
    case 'trace':
      return `/projects/${f.project.id}/jobs/${f.jobId}/trace`
  }
}

const users: Partial<Record<Role, TestUser>> = {}
const fixtures = new Map<string, Fixture>()

async function buildFixture(visibility: Visibility, publicJobs: boolean, owner: TestUser): Promise<Fixture> {
  const project = await createProject({ owner, visibility, public_jobs: true })
  for (const role of ['guest', 'reporter', 'developer', 'maintainer'] as const) await addMember(project, users[role]!, LEVELS[role]!)
  const pipeline = await createPipelineFrom(project, 'build:\n  script: make\ntrigger_it:\n  trigger:\n    project: nowhere/at-all\n')
  const jobs = await jobsByName(project, pipeline.id)
  await startJob(jobs.build.id)
  const stub = jobStub(jobs.build.id)
  await stub.appendTrace(jobs.build.id, 0, new TextEncoder().encode(LOG))
  await finishJob(jobs.build.id, 'success')
  if (!publicJobs) {
    const res = await apiJson('PUT', `/projects/${project.id}`, { token: owner.token, body: { public_jobs: false } })
    expect(res.status).toBe(200)
  }
  return { project, pipelineId: pipeline.id, jobId: jobs.build.id, bridgeId: jobs.trigger_it.id }
}

beforeAll(async () => {
  for (const role of ['non-member', 'guest', 'reporter', 'developer', 'maintainer'] as const) users[role] = await createUser()
  const owner = await createUser()
  await Promise.all(
    VISIBILITIES.flatMap((visibility) =>
      [true, false].map(async (publicJobs) => fixtures.set(`${visibility}/${publicJobs}`, await buildFixture(visibility, publicJobs, owner))),
    ),
  )
})

function tokenOf(role: Role): string | null {
  if (role === 'anonymous') return null
  if (role === 'admin') return ROOT_TOKEN
  return users[role]!.token
}

const CASES = ENDPOINTS.flatMap((endpoint) =>
  VISIBILITIES.flatMap((visibility) =>
    [true, false].flatMap((publicJobs) =>
      ROLES.map((role) => {
        const want = expected(endpoint, role, visibility, publicJobs)
        return [endpoint, role, visibility, publicJobs ? 'on' : 'off', want.status, want.items ?? '-'] as const
      }),
    ),
  ),
)

describe('read access matrix', () => {
  it.each(CASES)('%s: %s on a %s project, public_jobs %s → %i (%s)', async (endpoint, role, visibility, publicJobs, status, items) => {
    const f = fixtures.get(`${visibility}/${publicJobs === 'on'}`)!
    const res = await api('GET', path(endpoint, f), { token: tokenOf(role) })
    expect(res.status).toBe(status)
    const text = await res.text()
    if (status === 401) expect(JSON.parse(text)).toEqual({ message: '401 Unauthorized' })
    if (status === 403) expect(JSON.parse(text)).toEqual({ message: '403 Forbidden' })
    if (status === 404) expect(JSON.parse(text)).toEqual({ message: '404 Project Not Found' })
    if (status !== 200) return
    if (endpoint === 'trace') {
      expect(text).toBe(LOG)
      return
    }
    const body = JSON.parse(text)
    if (endpoint === 'job') {
      expect(body.id).toBe(f.jobId)
      return
    }
    const listed = (body as Array<{ id: number }>).map((job) => job.id)
    if (items === 'empty') expect(listed).toEqual([])
    else expect(listed).toEqual([endpoint === 'bridges' ? f.bridgeId : f.jobId])
  })
})

describe('CI/CD disabled for the project (jobs_enabled=false)', () => {
  let f: Fixture

  beforeAll(async () => {
    f = await buildFixture('public', true, await createUser())
    const res = await apiJson('PUT', `/projects/${f.project.id}`, { token: f.project.owner.token, body: { jobs_enabled: false } })
    expect(res.status).toBe(200)
  })

  // builds_disabled prevents read_build for everyone; read_pipeline stays (internal CI disabled),
  // so the pipeline's job list is empty rather than forbidden.
  it.each([
    ['project jobs', 'maintainer', 403],
    ['job', 'maintainer', 403],
    ['trace', 'maintainer', 403],
    ['bridges', 'maintainer', 403],
    ['bridges', 'anonymous', 403],
    ['project jobs', 'non-member', 403],
  ] as const)('%s: %s → %i', async (endpoint, role, status) => {
    const res = await apiJson('GET', path(endpoint, f), { token: tokenOf(role) })
    expect(res.status).toBe(status)
    expect(res.body).toEqual({ message: '403 Forbidden' })
  })

  it.each([['maintainer'], ['anonymous']] as const)('pipeline jobs: %s → 200 with no jobs', async (role) => {
    const res = await apiJson('GET', path('pipeline jobs', f), { token: tokenOf(role) })
    expect(res.status).toBe(200)
    expect(res.body).toEqual([])
  })
})

describe('CI job tokens', () => {
  let f: Fixture
  let token: string

  beforeAll(async () => {
    f = await buildFixture('private', false, await createUser())
    const pipeline = await createPipelineFrom(f.project, 'running:\n  script: sleep\n')
    const running = (await jobsByName(f.project, pipeline.id)).running
    token = await startJob(running.id)
  })

  // job_token_allowed on the lists (read_jobs / read_pipelines), not on a single job or its log.
  it.each([
    ['project jobs', 200],
    ['pipeline jobs', 200],
    ['bridges', 200],
    ['job', 401],
    ['trace', 401],
  ] as const)('%s with the JOB-TOKEN of a running job of the project → %i', async (endpoint, status) => {
    const res = await api('GET', path(endpoint, f), { token: null, headers: { 'JOB-TOKEN': token } })
    expect(res.status).toBe(status)
  })

  it('a token whose job finished → 401', async () => {
    const pipeline = await createPipelineFrom(f.project, 'done:\n  script: x\n')
    const done = (await jobsByName(f.project, pipeline.id)).done
    const stale = await startJob(done.id)
    await finishJob(done.id, 'success')
    await eventually(async () => {
      const res = await api('GET', path('project jobs', f), { token: null, headers: { 'JOB-TOKEN': stale } })
      expect(res.status).toBe(401)
    })
  })
})
