import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { eventually, finishJob, jobsByName, runJob, startJob } from '../job-driver'
import { apiJson, commitFile, createPipelineFrom, createProject, type TestProject } from '../world'
import { linksOf } from '../link-header'
import { jobStub } from '../stubs'

/**
 * GET /projects/:id/pipelines/:pipeline_id/jobs and /bridges (gitlab-behavior.md §3.2, §3.3;
 * lib/api/ci/pipelines.rb, app/finders/ci/jobs_finder.rb).
 */

const CI = `
stages: [build, test, deploy]
compile:
  stage: build
  script: make
unit:
  stage: test
  script: make test
lint:
  stage: test
  script: make lint
  allow_failure: true
child:
  stage: deploy
  trigger:
    include: child.yml
`

function ids(body: Array<{ id: number }>): number[] {
  return body.map((job) => job.id)
}

function links(headers: Headers): Record<string, string> {
  return linksOf(headers)
}

describe('pipeline jobs and bridges', () => {
  let project: TestProject
  let pipeline: any
  let jobs: Record<string, any>
  let retriedId: number
  let retryId: number
  let bridge: any

  beforeAll(async () => {
    project = await createProject()
    await commitFile(project, 'child.yml', 'child_job:\n  script: echo child\n')
    pipeline = await createPipelineFrom(project, CI)
    jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.compile.id, 'failed')
    retriedId = jobs.compile.id
    const retried = await apiJson('POST', `/projects/${project.id}/jobs/${retriedId}/retry`, { token: project.owner.token })
    expect(retried.status).toBe(201)
    retryId = retried.body.id
    await runJob(retryId, 'success')
    jobs = await jobsByName(project, pipeline.id)
    // unit writes a log, so it has a trace artifact once it finishes.
    await startJob(jobs.unit.id)
    await jobStub(jobs.unit.id).appendTrace(jobs.unit.id, 0, new TextEncoder().encode('ok\n'))
    await finishJob(jobs.unit.id, 'success')
    await runJob(jobs.lint.id, 'failed')
    bridge = await eventually(async () => {
      const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/bridges`, { token: project.owner.token })
      expect(res.body[0].downstream_pipeline).not.toBeNull()
      return res.body[0]
    })
  })

  const get = (path: string, token: string | null = project.owner.token) => apiJson('GET', `/projects/${project.id}/pipelines/${path}`, { token })

  describe('GET …/jobs', () => {
    it('lists the latest builds of the pipeline, id DESC, without retried jobs or bridges by default', async () => {
      // The retry is the newest job: it comes first.
      const res = await get(`${pipeline.id}/jobs`)
      expect(res.status).toBe(200)
      expect(ids(res.body)).toEqual([retryId, jobs.lint.id, jobs.unit.id])
      expect(ids(res.body)).not.toContain(retriedId)
      expect(ids(res.body)).not.toContain(bridge.id)
      expect(res.body[0]).toHaveProperty('runner_manager')
    })

    it.each([['include_retried=false'], ['include_retried=0'], ['include_retried=no'], ['include_retried=FALSE']])(
      '%s leaves retried jobs out',
      async (query) => {
        const res = await get(`${pipeline.id}/jobs?${query}`)
        expect(res.status).toBe(200)
        expect(ids(res.body)).not.toContain(retriedId)
      },
    )

    it.each([['include_retried=true'], ['include_retried=1'], ['include_retried=yes'], ['include_retried=t']])(
      '%s includes retried jobs',
      async (query) => {
        const res = await get(`${pipeline.id}/jobs?${query}`)
        expect(res.status).toBe(200)
        expect(ids(res.body)).toEqual([retryId, jobs.lint.id, jobs.unit.id, retriedId])
        expect(res.body[3]).toMatchObject({ name: 'compile', status: 'failed' })
      },
    )

    it.each([['include_retried=maybe'], ['include_retried=2'], ['include_retried[]=true']])('%s → 400 include_retried is invalid', async (query) => {
      const res = await get(`${pipeline.id}/jobs?${query}`)
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: 'include_retried is invalid' })
    })

    it('filters by scope as a string or an array', async () => {
      expect(ids((await get(`${pipeline.id}/jobs?scope=failed`)).body)).toEqual([jobs.lint.id])
      expect(ids((await get(`${pipeline.id}/jobs?scope=failed&include_retried=true`)).body)).toEqual([jobs.lint.id, retriedId])
      expect(ids((await get(`${pipeline.id}/jobs?scope[]=success&scope[]=failed`)).body)).toEqual([retryId, jobs.lint.id, jobs.unit.id])
    })

    it.each([['scope[x]=success'], ['scope=bogus'], ['scope[]=success&scope[]=bogus'], ['scope=finished']])(
      '%s → 400 scope does not have a valid value (a hash is not accepted here)',
      async (query) => {
        const res = await get(`${pipeline.id}/jobs?${query}`)
        expect(res.status).toBe(400)
        expect(res.body).toEqual({ error: 'scope does not have a valid value' })
      },
    )

    it('sends counted pagination headers', async () => {
      const res = await get(`${pipeline.id}/jobs?per_page=2`)
      expect(ids(res.body)).toEqual([retryId, jobs.lint.id])
      expect(res.headers.get('X-Total')).toBe('3')
      expect(res.headers.get('X-Total-Pages')).toBe('2')
      expect(res.headers.get('X-Per-Page')).toBe('2')
      expect(res.headers.get('X-Page')).toBe('1')
      expect(res.headers.get('X-Next-Page')).toBe('2')
      expect(res.headers.get('X-Prev-Page')).toBe('')
      const base = `https://gitlab.example.com/api/v4/projects/${project.id}/pipelines/${pipeline.id}/jobs`
      expect(links(res.headers)).toEqual({
        next: `${base}?page=2&per_page=2`,
        first: `${base}?page=1&per_page=2`,
        last: `${base}?page=2&per_page=2`,
      })
      const second = await get(`${pipeline.id}/jobs?per_page=2&page=2`)
      expect(ids(second.body)).toEqual([jobs.unit.id])
      expect(second.headers.get('X-Next-Page')).toBe('')
      expect(Object.keys(links(second.headers))).toEqual(['prev', 'first', 'last'])
    })

    it('counts what the filters keep', async () => {
      const res = await get(`${pipeline.id}/jobs?include_retried=true&per_page=1`)
      expect(res.headers.get('X-Total')).toBe('4')
      expect(res.headers.get('X-Total-Pages')).toBe('4')
      const none = await get(`${pipeline.id}/jobs?scope=running`)
      expect(none.body).toEqual([])
      expect(none.headers.get('X-Total')).toBe('0')
      expect(none.headers.get('X-Total-Pages')).toBe('1')
    })

    it.each([
      ['per_page=0', 'per_page has a value not allowed'],
      ['page=x', 'page is invalid'],
    ])('%s → 400 %s', async (query, message) => {
      const res = await get(`${pipeline.id}/jobs?${query}`)
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: message })
    })

    it('with_artifacts (read raw by the finder, so any value counts) keeps builds with artifacts', async () => {
      for (const value of ['true', 'false', '1']) {
        const res = await get(`${pipeline.id}/jobs?with_artifacts=${value}`)
        expect(res.status).toBe(200)
        expect(ids(res.body)).toEqual([jobs.unit.id])
        expect(res.headers.get('X-Total')).toBe('1')
      }
    })

    it('serves a child pipeline of the project', async () => {
      const res = await get(`${bridge.downstream_pipeline.id}/jobs`)
      expect(res.status).toBe(200)
      expect(res.body.map((job: any) => job.name)).toEqual(['child_job'])
      expect(res.body[0].pipeline.id).toBe(bridge.downstream_pipeline.id)
    })

    it('keyset pagination (edgejobs extension) walks all pages', async () => {
      const seen: number[] = []
      let url: string | undefined = `${pipeline.id}/jobs?pagination=keyset&per_page=1&include_retried=true`
      while (url) {
        const res = await get(url)
        expect(res.status).toBe(200)
        expect(res.headers.has('X-Total')).toBe(false)
        seen.push(...ids(res.body))
        const next = links(res.headers).next
        url = next ? new URL(next).pathname.replace(/^.*\/pipelines\//, '') + new URL(next).search : undefined
      }
      expect(seen).toEqual([retryId, jobs.lint.id, jobs.unit.id, retriedId])
      const res = await get(`${pipeline.id}/jobs?pagination=keyset&sort=asc`)
      expect(res.status).toBe(405)
      expect(res.body).toEqual({ error: 'Keyset pagination is not yet available for this type of request' })
    })
  })

  describe('GET …/bridges', () => {
    it('lists the bridges with the Bridge entity', async () => {
      const res = await get(`${pipeline.id}/bridges`)
      expect(res.status).toBe(200)
      expect(ids(res.body)).toEqual([bridge.id])
      const item = res.body[0]
      expect(Object.keys(item)).toEqual([
        'id', 'status', 'stage', 'name', 'ref', 'tag', 'coverage', 'allow_failure', 'created_at', 'started_at',
        'finished_at', 'erased_at', 'duration', 'queued_duration', 'user', 'commit', 'pipeline', 'web_url', 'project',
        'downstream_pipeline',
      ])
      expect(item).toMatchObject({ name: 'child', stage: 'deploy', status: 'success', ref: 'main', tag: false, allow_failure: false })
      expect(item.web_url).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/jobs/${bridge.id}`)
      expect(item.pipeline.id).toBe(pipeline.id)
    })

    it('downstream_pipeline is a PipelineBasic of the triggered pipeline', async () => {
      const child = (await get(`${pipeline.id}/bridges`)).body[0].downstream_pipeline
      expect(Object.keys(child)).toEqual(['id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url'])
      expect(child).toMatchObject({ project_id: project.id, sha: pipeline.sha, ref: 'main', source: 'parent_pipeline' })
      expect(child.web_url).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/pipelines/${child.id}`)
    })

    it('downstream_pipeline is null before the bridge triggers', async () => {
      const other = await createProject()
      await commitFile(other, 'child.yml', 'child_job:\n  script: echo child\n')
      const waiting = await createPipelineFrom(other, CI)
      const res = await apiJson('GET', `/projects/${other.id}/pipelines/${waiting.id}/bridges`, { token: other.owner.token })
      expect(res.body).toHaveLength(1)
      expect(res.body[0]).toMatchObject({ status: 'created', downstream_pipeline: null, started_at: null, duration: null })
    })

    it('filters by scope, rejects a hash and sends counted headers', async () => {
      expect(ids((await get(`${pipeline.id}/bridges?scope=success`)).body)).toEqual([bridge.id])
      expect((await get(`${pipeline.id}/bridges?scope[]=failed`)).body).toEqual([])
      const hash = await get(`${pipeline.id}/bridges?scope[a]=success`)
      expect(hash.status).toBe(400)
      expect(hash.body).toEqual({ error: 'scope does not have a valid value' })
      const res = await get(`${pipeline.id}/bridges`)
      expect(res.headers.get('X-Total')).toBe('1')
      expect(res.headers.get('X-Total-Pages')).toBe('1')
      expect(Object.keys(links(res.headers))).toEqual(['first', 'last'])
    })

    it('a pipeline without bridges lists none', async () => {
      const res = await get(`${bridge.downstream_pipeline.id}/bridges`)
      expect(res.status).toBe(200)
      expect(res.body).toEqual([])
    })
  })

  describe('errors', () => {
    it.each([['jobs'], ['bridges']])('%s: pipeline_id not an integer → 400 pipeline_id is invalid', async (what) => {
      const res = await get(`abc/${what}`)
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ error: 'pipeline_id is invalid' })
    })

    it.each([['jobs'], ['bridges']])('%s: an unknown pipeline → 404 Not found', async (what) => {
      const res = await get(`99999999/${what}`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ message: '404 Not found' })
    })

    it.each([['jobs'], ['bridges']])('%s: a pipeline of another project → 404 Not found', async (what) => {
      const other = await createProject({ owner: project.owner })
      const foreign = await createPipelineFrom(other, 'a:\n  script: a\n')
      const res = await get(`${foreign.id}/${what}`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ message: '404 Not found' })
    })

    it.each([['jobs'], ['bridges']])('%s: an unknown project → 404 Project Not Found', async (what) => {
      const res = await apiJson('GET', `/projects/99999999/pipelines/${pipeline.id}/${what}`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ message: '404 Project Not Found' })
    })
  })
})

describe('retried bridges', () => {
  it('are left out, unless include_retried is given at all (undeclared there: even "false" includes them)', async () => {
    const project = await createProject()
    await commitFile(project, 'child.yml', 'child_job:\n  script: echo child\n')
    const pipeline = await createPipelineFrom(project, 'child:\n  trigger:\n    include: child.yml\n')
    const list = (query = '') => apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/bridges${query}`, { token: project.owner.token })
    const first = await eventually(async () => {
      const res = await list()
      expect(res.body[0].status).toBe('success')
      return res.body[0]
    })
    const retried = await apiJson('POST', `/projects/${project.id}/jobs/${first.id}/retry`, { token: project.owner.token })
    expect(retried.status).toBe(201)
    expect(ids((await list()).body)).toEqual([retried.body.id])
    for (const value of ['true', 'false', 'maybe']) {
      const res = await list(`?include_retried=${value}`)
      expect(res.status).toBe(200)
      expect(ids(res.body)).toEqual([retried.body.id, first.id])
    }
  })
})

describe('pipeline jobs: anonymous callers (authenticate_non_get!)', () => {
  let open: TestProject
  let openPipeline: any
  let closed: TestProject
  let closedPipeline: any

  beforeAll(async () => {
    open = await createProject({ visibility: 'public', public_jobs: true })
    openPipeline = await createPipelineFrom(open, 'a:\n  script: a\n')
    closed = await createProject({ visibility: 'private' })
    closedPipeline = await createPipelineFrom(closed, 'a:\n  script: a\n')
  })

  it('read a public project with public jobs', async () => {
    const res = await apiJson('GET', `/projects/${open.id}/pipelines/${openPipeline.id}/jobs`, { token: null })
    expect(res.status).toBe(200)
    expect(res.body.map((job: any) => job.name)).toEqual(['a'])
  })

  it('get 404 Project Not Found on a private project', async () => {
    const res = await apiJson('GET', `/projects/${closed.id}/pipelines/${closedPipeline.id}/jobs`, { token: null })
    expect(res.status).toBe(404)
    expect(res.body).toEqual({ message: '404 Project Not Found' })
  })

  it('get 400 for invalid params before the project lookup, even on a private project', async () => {
    const scope = await apiJson('GET', `/projects/${closed.id}/pipelines/${closedPipeline.id}/jobs?scope=bogus`, { token: null })
    expect(scope.status).toBe(400)
    expect(scope.body).toEqual({ error: 'scope does not have a valid value' })
    const id = await apiJson('GET', `/projects/${closed.id}/pipelines/x/jobs`, { token: null })
    expect(id.status).toBe(400)
    expect(id.body).toEqual({ error: 'pipeline_id is invalid' })
  })

  it('an invalid token is 401 even on a public project', async () => {
    const res = await apiJson('GET', `/projects/${open.id}/pipelines/${openPipeline.id}/jobs`, { token: 'glpat-invalid' })
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ message: '401 Unauthorized' })
  })
})
