import { beforeAll, describe, expect, it } from 'vitest'
import { eventually, jobsByName, runJob, startJob } from '../job-driver'
import { api, apiJson, commitFile, createPipelineFrom, createProject, createUser, type TestProject } from '../world'
import { linksOf } from '../link-header'

/** GET /projects/:id/jobs (gitlab-behavior.md §3.1, §1.6, §1.7; lib/api/ci/jobs.rb). */

const FIVE_JOBS = `
stages: [build, test]
a:
  stage: build
  script: a
b:
  stage: build
  script: b
c:
  stage: build
  script: c
manual_job:
  stage: build
  script: m
  when: manual
later:
  stage: test
  script: l
`

function ids(body: Array<{ id: number }>): number[] {
  return body.map((job) => job.id)
}

function links(response: { headers: Headers }): Record<string, string> {
  return linksOf(response.headers)
}

/** The path + query of a Link URL, to call it through the test client. */
function pathOf(url: string): string {
  const parsed = new URL(url)
  return parsed.pathname.replace(/^\/api\/v4/, '') + parsed.search
}

describe('GET /projects/:id/jobs — what is listed', () => {
  let project: TestProject
  let all: number[]
  let jobs: Record<string, any>
  let retriedId: number
  let retryId: number
  let bridgeId: number
  let childJobId: number

  beforeAll(async () => {
    project = await createProject()
    await commitFile(project, 'child.yml', 'child_job:\n  script: echo child\n')
    const pipeline = await createPipelineFrom(project, `${FIVE_JOBS}
child:
  stage: test
  trigger:
    include: child.yml
`)
    jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.a.id, 'failed')
    retriedId = jobs.a.id
    const retried = await apiJson('POST', `/projects/${project.id}/jobs/${retriedId}/retry`, { token: project.owner.token })
    expect(retried.status).toBe(201)
    retryId = retried.body.id
    await runJob(jobs.b.id, 'success')
    await runJob(jobs.c.id, 'success')
    await runJob(retryId, 'success')
    // The test stage now runs: the trigger makes a child pipeline whose build belongs to this project.
    const bridge = await eventually(async () => {
      const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/bridges`, { token: project.owner.token })
      expect(res.body[0].downstream_pipeline).not.toBeNull()
      return res.body[0]
    })
    bridgeId = bridge.id
    const child = await eventually(async () => {
      const res = await jobsByName(project, bridge.downstream_pipeline.id)
      expect(res.child_job).toBeDefined()
      return res.child_job
    })
    childJobId = child.id
    const res = await apiJson('GET', `/projects/${project.id}/jobs?per_page=100`, { token: project.owner.token })
    expect(res.status).toBe(200)
    all = ids(res.body)
  })

  it('lists builds only, id DESC, including retried jobs and builds of child pipelines', () => {
    expect(all).toEqual([...all].sort((x, y) => y - x))
    expect(all).toContain(retriedId)
    expect(all).toContain(retryId)
    expect(all).toContain(childJobId)
    expect(all).toContain(jobs.manual_job.id)
    expect(all).toContain(jobs.later.id)
    expect(all).not.toContain(bridgeId)
  })

  it('keeps the retried job with its old status', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs?per_page=100`, { token: project.owner.token })
    const old = res.body.find((job: any) => job.id === retriedId)
    expect(old).toMatchObject({ name: 'a', status: 'failed', failure_reason: 'script_failure' })
  })

  it('renders every item with the Job entity (not Bridge)', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs?per_page=1`, { token: project.owner.token })
    expect(res.headers.get('Content-Type')).toBe('application/json')
    expect(res.body).toHaveLength(1)
    expect(Object.keys(res.body[0])).toEqual(expect.arrayContaining(['artifacts', 'runner', 'runner_manager', 'archived', 'tag_list']))
    expect(res.body[0]).not.toHaveProperty('downstream_pipeline')
  })
})

describe('GET /projects/:id/jobs — scope', () => {
  let project: TestProject
  let jobs: Record<string, any>

  beforeAll(async () => {
    project = await createProject()
    const pipeline = await createPipelineFrom(project, FIVE_JOBS)
    jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.a.id, 'success')
    await runJob(jobs.b.id, 'failed')
    await startJob(jobs.c.id)
    // a: success, b: failed, c: running, manual_job: manual, later: created (its stage waits for c).
    jobs = await jobsByName(project, pipeline.id)
  })

  const list = (query: string) => apiJson('GET', `/projects/${project.id}/jobs?per_page=100&${query}`, { token: project.owner.token })

  it('accepts one status as a string', async () => {
    const res = await list('scope=running')
    expect(res.status).toBe(200)
    expect(ids(res.body)).toEqual([jobs.c.id])
  })

  it('accepts scope[] arrays, OR-ing the statuses', async () => {
    const res = await list('scope[]=success&scope[]=failed')
    expect(res.status).toBe(200)
    expect(ids(res.body)).toEqual([jobs.b.id, jobs.a.id])
  })

  it('accepts percent-encoded brackets', async () => {
    const res = await list('scope%5B%5D=manual')
    expect(ids(res.body)).toEqual([jobs.manual_job.id])
  })

  it('uses the values of a scope[x] hash', async () => {
    const res = await list('scope[first]=success&scope[second]=running')
    expect(res.status).toBe(200)
    expect(ids(res.body)).toEqual([jobs.c.id, jobs.a.id])
  })

  it('returns an empty list for a valid status no job has', async () => {
    const res = await list('scope=pending')
    expect(res.status).toBe(200)
    expect(res.body).toEqual([])
  })

  it.each([
    ['scope=finished'],
    ['scope=unknown'],
    ['scope[]=unknown&scope[]=running'],
    ['scope[x]=bogus'],
    ['scope=Running'],
  ])('%s → 400 scope does not have a valid value', async (query) => {
    const res = await list(query)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'scope does not have a valid value' })
  })

  it('authenticates before validating scope: anonymous → 401', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs?scope=bogus`, { token: null })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ message: '401 Unauthorized' })
  })
})

describe('GET /projects/:id/jobs — ref and name filters', () => {
  let project: TestProject
  let mainJobs: Record<string, any>
  let featureJobs: Record<string, any>

  beforeAll(async () => {
    project = await createProject()
    const ci = 'build:\n  script: b\ntest:\n  script: t\n'
    const onMain = await createPipelineFrom(project, ci)
    await commitFile(project, 'feature.txt', 'x', 'feature')
    const onFeature = await createPipelineFrom(project, ci, { ref: 'feature' })
    mainJobs = await jobsByName(project, onMain.id)
    featureJobs = await jobsByName(project, onFeature.id)
    await runJob(featureJobs.build.id, 'success')
  })

  const list = (query: string) => apiJson('GET', `/projects/${project.id}/jobs?per_page=100&${query}`, { token: project.owner.token })

  it('ref filters on the pipeline ref', async () => {
    const res = await list('ref=feature')
    expect(res.status).toBe(200)
    expect(ids(res.body)).toEqual([featureJobs.test.id, featureJobs.build.id])
    expect(res.body.every((job: any) => job.ref === 'feature' && job.pipeline.ref === 'feature')).toBe(true)
  })

  it('an unknown ref lists nothing', async () => {
    const res = await list('ref=nope')
    expect(res.status).toBe(200)
    expect(res.body).toEqual([])
  })

  it.each([['ref='], ['ref=%20'], ['ref=%20%20%09']])('a blank ref (%s) is ignored', async (query) => {
    const res = await list(query)
    expect(res.status).toBe(200)
    expect(res.body).toHaveLength(4)
  })

  it('name (edgejobs extension) is an exact match', async () => {
    expect(ids((await list('name=build')).body)).toEqual([featureJobs.build.id, mainJobs.build.id])
    expect((await list('name=buil')).body).toEqual([])
    expect((await list('name=BUILD')).body).toEqual([])
  })

  it('name combines with scope and ref', async () => {
    expect(ids((await list('name=build&scope=success')).body)).toEqual([featureJobs.build.id])
    expect(ids((await list('name=build&ref=main')).body)).toEqual([mainJobs.build.id])
    expect(ids((await list('name=test&ref=feature&scope[]=pending&scope[]=created')).body)).toEqual([featureJobs.test.id])
    expect((await list('name=test&ref=feature&scope=success')).body).toEqual([])
  })
})

describe('GET /projects/:id/jobs — offset pagination without counts', () => {
  let project: TestProject
  let all: number[]

  beforeAll(async () => {
    project = await createProject()
    await createPipelineFrom(project, FIVE_JOBS)
    const res = await apiJson('GET', `/projects/${project.id}/jobs`, { token: project.owner.token })
    all = ids(res.body)
    expect(all).toHaveLength(5)
  })

  const list = (query: string) => apiJson('GET', `/projects/${project.id}/jobs?${query}`, { token: project.owner.token })

  it('defaults to page 1 of 20, with no X-Total, X-Total-Pages or last link', async () => {
    const res = await list('')
    expect(res.headers.get('X-Page')).toBe('1')
    expect(res.headers.get('X-Per-Page')).toBe('20')
    expect(res.headers.get('X-Next-Page')).toBe('')
    expect(res.headers.get('X-Prev-Page')).toBe('')
    expect(res.headers.has('X-Total')).toBe(false)
    expect(res.headers.has('X-Total-Pages')).toBe(false)
    expect(Object.keys(links(res))).toEqual(['first'])
  })

  it('announces a next page only when there is one', async () => {
    const first = await list('per_page=2')
    expect(ids(first.body)).toEqual(all.slice(0, 2))
    expect(first.headers.get('X-Next-Page')).toBe('2')
    expect(first.headers.get('X-Prev-Page')).toBe('')
    expect(first.headers.has('X-Total')).toBe(false)
    const rels = links(first)
    expect(Object.keys(rels)).toEqual(['next', 'first'])
    expect(rels.next).toBe(`https://gitlab.example.com/api/v4/projects/${project.id}/jobs?page=2&per_page=2`)

    const second = await list('per_page=2&page=2')
    expect(ids(second.body)).toEqual(all.slice(2, 4))
    expect(second.headers.get('X-Next-Page')).toBe('3')
    expect(second.headers.get('X-Prev-Page')).toBe('1')

    const last = await list('per_page=2&page=3')
    expect(ids(last.body)).toEqual(all.slice(4))
    expect(last.headers.get('X-Next-Page')).toBe('')
    expect(last.headers.get('X-Prev-Page')).toBe('2')
    expect(Object.keys(links(last))).toEqual(['prev', 'first'])
    expect(last.headers.has('X-Total-Pages')).toBe(false)

    // Exactly per_page rows left: still no next page (per_page + 1 rows are read to know).
    const exact = await list('per_page=5')
    expect(exact.headers.get('X-Next-Page')).toBe('')
  })

  it('a page past the end is empty', async () => {
    const res = await list('per_page=2&page=9')
    expect(res.status).toBe(200)
    expect(res.body).toEqual([])
    expect(res.headers.get('X-Next-Page')).toBe('')
  })

  it('keeps scope[] in the links', async () => {
    const res = await list('per_page=1&scope[]=pending&scope[]=manual')
    expect(links(res).next).toBe(
      `https://gitlab.example.com/api/v4/projects/${project.id}/jobs?page=2&per_page=1&scope%5B%5D=pending&scope%5B%5D=manual`,
    )
  })

  it('clamps per_page above 100 to 100', async () => {
    const res = await list('per_page=101')
    expect(res.status).toBe(200)
    expect(res.headers.get('X-Per-Page')).toBe('100')
  })

  it.each([
    ['per_page=0', 'per_page has a value not allowed'],
    ['per_page=abc', 'per_page is invalid'],
    ['page=abc', 'page is invalid'],
  ])('%s → 400 %s', async (query, message) => {
    const res = await list(query)
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: message })
  })
})

describe('GET /projects/:id/jobs — keyset pagination', () => {
  let project: TestProject
  let all: number[]

  beforeAll(async () => {
    project = await createProject()
    await createPipelineFrom(project, FIVE_JOBS)
    await createPipelineFrom(project, FIVE_JOBS)
    const res = await apiJson('GET', `/projects/${project.id}/jobs?per_page=100`, { token: project.owner.token })
    all = ids(res.body)
    expect(all).toHaveLength(10)
  })

  it('walks every page by the Link cursor with no duplicate and no gap', async () => {
    const seen: number[] = []
    let path: string | undefined = `/projects/${project.id}/jobs?pagination=keyset&per_page=3`
    let pages = 0
    while (path) {
      const res: { status: number; body: any; headers: Headers } = await apiJson('GET', path, { token: project.owner.token })
      expect(res.status).toBe(200)
      expect(res.headers.has('X-Page')).toBe(false)
      expect(res.headers.has('X-Total')).toBe(false)
      seen.push(...ids(res.body))
      const next: string | undefined = links(res).next
      if (next) {
        expect(next.startsWith(`https://gitlab.example.com/api/v4/projects/${project.id}/jobs?`)).toBe(true)
        const query = new URL(next).searchParams
        expect(query.get('pagination')).toBe('keyset')
        expect(query.get('per_page')).toBe('3')
        expect(query.get('cursor')).toMatch(/^[A-Za-z0-9_=-]+$/)
      }
      path = next ? pathOf(next) : undefined
      pages += 1
    }
    expect(pages).toBe(4)
    expect(seen).toEqual(all)
  })

  it('sends no Link on the last page, even when it is full', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs?pagination=keyset&per_page=10`, { token: project.owner.token })
    expect(ids(res.body)).toEqual(all)
    expect(res.headers.has('Link')).toBe(false)
  })

  it('keeps filters across pages', async () => {
    const first = await apiJson('GET', `/projects/${project.id}/jobs?pagination=keyset&per_page=1&scope=manual`, { token: project.owner.token })
    expect(first.body).toHaveLength(1)
    expect(first.body[0].name).toBe('manual_job')
    const second = await apiJson('GET', pathOf(links(first).next), { token: project.owner.token })
    expect(second.body).toHaveLength(1)
    expect(second.body[0].name).toBe('manual_job')
    expect(second.body[0].id).toBeLessThan(first.body[0].id)
    expect(second.headers.has('Link')).toBe(false)
  })

  it('accepts order_by=id&sort=desc', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs?pagination=keyset&per_page=2&order_by=id&sort=desc`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(ids(res.body)).toEqual(all.slice(0, 2))
  })

  it.each([['order_by=name'], ['sort=asc'], ['order_by=created_at&sort=desc'], ['order_by=id&sort=asc']])(
    '%s → 405 keyset not available',
    async (query) => {
      const res = await apiJson('GET', `/projects/${project.id}/jobs?pagination=keyset&${query}`, { token: project.owner.token })
      expect(res.status).toBe(405)
      expect(res.body).toEqual({ error: 'Keyset pagination is not yet available for this type of request' })
    },
  )

  it('ignores order_by and sort in offset mode (always id DESC)', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs?order_by=name&sort=asc&per_page=3`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(ids(res.body)).toEqual(all.slice(0, 3))
  })

  it('per_page=0 → 400 in keyset mode too', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs?pagination=keyset&per_page=0`, { token: project.owner.token })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ error: 'per_page has a value not allowed' })
  })
})

describe('GET /projects/:id/jobs — authentication and access', () => {
  let project: TestProject

  beforeAll(async () => {
    project = await createProject({ visibility: 'public', public_jobs: true })
    await createPipelineFrom(project, 'a:\n  script: a\n')
  })

  it('anonymous → 401 even on a public project with public jobs', async () => {
    const res = await apiJson('GET', `/projects/${project.id}/jobs`, { token: null })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ message: '401 Unauthorized' })
  })

  it.each([['scope=bogus'], ['per_page=0'], ['pagination=keyset&sort=asc'], ['page=x']])(
    'anonymous with invalid params (%s) → 401, not 400 or 405',
    async (query) => {
      const res = await apiJson('GET', `/projects/${project.id}/jobs?${query}`, { token: null })
      expect(res.status).toBe(401)
    },
  )

  it('an invalid token → 401, before parameter validation', async () => {
    const plain = await apiJson('GET', `/projects/${project.id}/jobs`, { token: 'glpat-not-a-real-token' })
    expect(plain.status).toBe(401)
    const withBadParams = await apiJson('GET', `/projects/${project.id}/jobs?scope=bogus`, { token: 'glpat-not-a-real-token' })
    expect(withBadParams.status).toBe(401)
    expect(withBadParams.body).toEqual({ message: '401 Unauthorized' })
  })

  it('an authenticated non-member reads a public project with public jobs', async () => {
    const stranger = await createUser()
    const res = await apiJson('GET', `/projects/${project.id}/jobs`, { token: stranger.token })
    expect(res.status).toBe(200)
    expect(res.body).toHaveLength(1)
  })

  it('an unknown project → 404 Project Not Found', async () => {
    const res = await apiJson('GET', '/projects/99999999/jobs')
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Project Not Found' })
  })

  it('finds the project by its URL-encoded path', async () => {
    const res = await apiJson('GET', `/projects/${encodeURIComponent(project.path_with_namespace)}/jobs`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(res.body).toHaveLength(1)
  })

  it('accepts the job token of a running job of the project', async () => {
    const other = await createProject()
    const pipeline = await createPipelineFrom(other, 'a:\n  script: a\nb:\n  script: b\n')
    const jobs = await jobsByName(other, pipeline.id)
    const token = await startJob(jobs.a.id)
    const res = await api('GET', `/projects/${other.id}/jobs`, { token: null, headers: { 'JOB-TOKEN': token } })
    expect(res.status).toBe(200)
    expect(((await res.json()) as any[]).map((job) => job.id)).toEqual([jobs.b.id, jobs.a.id])
  })
})
