import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { eventually, jobsByName, pipelineStatus, runJob } from '../job-driver'
import { addMember, apiJson, commitFile, createPipelineFrom, createProject, createUser } from '../world'
import { jobStub } from '../stubs'

const THREE_STAGES = `
stages: [build, test, deploy]
variables:
  GLOBAL: "1"
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
optional_check:
  stage: test
  script: echo optional
  when: manual
fast_deploy:
  stage: deploy
  needs: [compile]
  script: deploy --fast
deploy_prod:
  stage: deploy
  script: deploy
  when: manual
  allow_failure: false
cleanup:
  stage: deploy
  script: cleanup
  when: on_failure
`

describe('POST /projects/:id/pipeline', () => {
  it('creates a pipeline from the CI config at the ref head, with GitLab fields', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, THREE_STAGES)
    expect(pipeline).toMatchObject({ iid: 1, project_id: project.id, ref: 'main', source: 'api', status: 'pending', tag: false, yaml_errors: null })
    expect(pipeline.sha).toMatch(/^[0-9a-f]{40}$/)
    expect(pipeline.web_url).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/pipelines/${pipeline.id}`)
    expect(pipeline.user.username).toBe(project.owner.username)
    const second = await createPipelineFrom(project, THREE_STAGES)
    expect(second.iid).toBe(2)
    // The second pipeline (a new commit on main) auto-canceled the first: nothing of it had started.
    expect((await jobsByName(project, pipeline.id)).compile.status).toBe('canceled')
    const jobs = await jobsByName(project, second.id)
    expect(jobs.compile.status).toBe('pending')
    for (const name of ['unit', 'lint', 'optional_check', 'fast_deploy', 'deploy_prod', 'cleanup']) expect(jobs[name].status).toBe('created')
  })

  it('moves jobs through stages, needs, allow_failure, manual and on_failure as GitLab does', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, THREE_STAGES)
    let jobs = await jobsByName(project, pipeline.id)

    await runJob(jobs.compile.id, 'success')
    jobs = await jobsByName(project, pipeline.id)
    // needs: [compile] skips the test stage; stage jobs of test start too; a manual job waits.
    expect(jobs.fast_deploy.status).toBe('pending')
    expect(jobs.unit.status).toBe('pending')
    expect(jobs.lint.status).toBe('pending')
    expect(jobs.optional_check.status).toBe('manual')
    expect(jobs.deploy_prod.status).toBe('created')
    expect(await pipelineStatus(project, pipeline.id)).toBe('running')

    await runJob(jobs.lint.id, 'failed')
    await runJob(jobs.unit.id, 'success')
    await runJob(jobs.fast_deploy.id, 'success')
    jobs = await jobsByName(project, pipeline.id)
    expect(jobs.lint).toMatchObject({ status: 'failed', failure_reason: 'script_failure', allow_failure: true })
    // A failed allow_failure job does not stop later stages; on_failure jobs skip on success.
    expect(jobs.deploy_prod.status).toBe('manual')
    expect(jobs.cleanup.status).toBe('skipped')
    // The blocking manual job holds the pipeline in `manual`; the non-blocking one is ignored.
    expect(await pipelineStatus(project, pipeline.id)).toBe('manual')

    const played = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy_prod.id}/play`, { token: project.owner.token })
    expect(played.status).toBe(200)
    expect(played.body.status).toBe('pending')
    await runJob(jobs.deploy_prod.id, 'success')
    expect(await pipelineStatus(project, pipeline.id)).toBe('success')
  })

  it('runs on_failure jobs and skips on_success ones after a failure', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, THREE_STAGES)
    let jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.compile.id, 'failed')
    jobs = await jobsByName(project, pipeline.id)
    expect(jobs.unit.status).toBe('skipped')
    expect(jobs.lint.status).toBe('skipped')
    expect(jobs.optional_check.status).toBe('skipped')
    expect(jobs.fast_deploy.status).toBe('skipped')
    expect(jobs.deploy_prod.status).toBe('skipped')
    expect(jobs.cleanup.status).toBe('pending')
    await runJob(jobs.cleanup.id, 'success')
    expect(await pipelineStatus(project, pipeline.id)).toBe('failed')
  })

  it('keeps a delayed job scheduled until its alarm fires', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'later:\n  script: x\n  when: delayed\n  start_in: 1 hour\n')
    let jobs = await jobsByName(project, pipeline.id)
    expect(jobs.later.status).toBe('scheduled')
    expect(await pipelineStatus(project, pipeline.id)).toBe('scheduled')
    const stub = jobStub(jobs.later.id)
    // An hour passes for the job's object, then its alarm fires as the runtime would.
    await stub.advanceClock(60 * 60_000 + 1000)
    expect(await runDurableObjectAlarm(stub)).toBe(true)
    await eventually(async () => {
      jobs = await jobsByName(project, pipeline.id)
      expect(jobs.later.status).toBe('pending')
    })
  })

  it('makes a child pipeline from a trigger:include and mirrors it with strategy: depend', async () => {
    const project = await createProject()
    await commitFile(project, 'child.yml', 'child_job:\n  script: echo child\n')
    const pipeline = await createPipelineFrom(
      project,
      'stages: [build, deploy]\nbuild:\n  stage: build\n  script: b\nchild:\n  stage: deploy\n  trigger:\n    include: child.yml\n    strategy: depend\n',
    )
    let jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.build.id, 'success')
    const bridge = await eventually(async () => {
      const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/bridges`, { token: project.owner.token })
      expect(res.body[0].downstream_pipeline).not.toBeNull()
      return res.body[0]
    })
    expect(bridge).toMatchObject({ name: 'child', stage: 'deploy', status: 'running' })
    const child = bridge.downstream_pipeline
    expect(child).toMatchObject({ project_id: project.id, source: 'parent_pipeline', sha: pipeline.sha })
    const childJobs = await eventually(async () => {
      const res = await jobsByName(project, child.id)
      expect(res.child_job.status).toBe('pending')
      return res
    })
    await runJob(childJobs.child_job.id, 'success')
    await eventually(async () => {
      jobs = await jobsByName(project, pipeline.id)
      expect(jobs.child.status).toBe('success')
      expect(await pipelineStatus(project, pipeline.id)).toBe('success')
    })
  })

  it('makes a cross-project pipeline for a trigger:project when the user may run pipelines there', async () => {
    const owner = await createUser()
    const downstream = await createProject({ owner })
    await commitFile(downstream, '.gitlab-ci.yml', 'remote:\n  script: echo remote\n')
    const upstream = await createProject({ owner })
    const pipeline = await createPipelineFrom(upstream, `deploy:\n  trigger:\n    project: ${downstream.path_with_namespace}\n    branch: main\n`)
    const bridge = await eventually(async () => {
      const res = await apiJson('GET', `/projects/${upstream.id}/pipelines/${pipeline.id}/bridges`, { token: owner.token })
      expect(res.body[0].status).toBe('success')
      return res.body[0]
    })
    expect(bridge.downstream_pipeline).toMatchObject({ project_id: downstream.id, source: 'pipeline', ref: 'main' })

    // Without access to the target project, the bridge fails.
    const stranger = await createProject()
    const denied = await createPipelineFrom(stranger, `deploy:\n  trigger:\n    project: ${downstream.path_with_namespace}\n`)
    await eventually(async () => {
      const res = await apiJson('GET', `/projects/${stranger.id}/pipelines/${denied.id}/bridges`, { token: stranger.owner.token })
      expect(res.body[0]).toMatchObject({ status: 'failed', failure_reason: 'insufficient_bridge_permissions' })
    })
  })

  it('passes pipeline variables to rules:if', async () => {
    const project = await createProject()
    const ci = 'a:\n  script: x\n  rules:\n    - if: $DEPLOY == "yes"\nb:\n  script: echo b\n'
    const without = await createPipelineFrom(project, ci)
    expect(Object.keys(await jobsByName(project, without.id)).sort()).toEqual(['b'])
    const withVar = await createPipelineFrom(project, ci, { variables: [{ key: 'DEPLOY', value: 'yes' }] })
    expect(Object.keys(await jobsByName(project, withVar.id)).sort()).toEqual(['a', 'b'])
  })
})

describe('invalid configs create nothing', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['YAML syntax error', 'a:\n  script: [x\n', /./],
    ['unknown stage', 'a:\n  stage: nope\n  script: x\n', /chosen stage nope does not exist/],
    ['needs on a missing job', 'a:\n  script: x\n  needs: [ghost]\n', /undefined need: ghost/],
    ['needs on a later stage', 'a:\n  stage: build\n  script: x\n  needs: [b]\nb:\n  stage: test\n  script: echo b\n', /need b is not defined in current or prior stages/],
    ['a cycle', 'a:\n  script: x\n  needs: [b]\nb:\n  script: echo b\n  needs: [a]\n', /circular dependencies/],
    ['wrong types', 'a:\n  script: {x: 1}\n', /script/],
    ['unsupported keyword', 'a:\n  run: [{name: x, script: x}]\n', /unsupported keys: run/],
    ['a missing include', 'include: nope.yml\na:\n  script: x\n', /Local file `nope.yml` does not exist!/],
    ['a 2 MB config', `a:\n  script: x\n# ${'x'.repeat(2 * 1024 * 1024)}\n`, /too big/],
  ]
  it.each(cases)('%s → 400 with a clear message', async (_name, ci, message) => {
    const project = await createProject()
    await commitFile(project, '.gitlab-ci.yml', ci)
    const res = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
    expect(res.status).toBe(400)
    expect(res.body.message.base.join('\n')).toMatch(message)
    const list = await apiJson('GET', `/projects/${project.id}/pipelines`, { token: project.owner.token })
    expect(list.body).toEqual([])
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM jobs WHERE project_id = ?').bind(project.id).first<{ n: number }>()
    expect(count!.n).toBe(0)
  })

  it('answers a missing ref, a missing CI file and bad params like GitLab', async () => {
    const project = await createProject()
    const noRef = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
    expect(noRef).toMatchObject({ status: 400, body: { message: { base: ['Reference not found'] } } })
    await commitFile(project, 'README.md', 'hi')
    const noCi = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
    expect(noCi).toMatchObject({ status: 400, body: { message: { base: ['Missing CI config file'] } } })
    const missing = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: {} })
    expect(missing).toMatchObject({ status: 400, body: { error: 'ref is missing' } })
    const badVars = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main', variables: 'x' } })
    expect(badVars).toMatchObject({ status: 400, body: { error: 'variables is invalid' } })
  })

  it('lets only developers and up create pipelines', async () => {
    const project = await createProject()
    await commitFile(project, '.gitlab-ci.yml', 'a:\n  script: x\n')
    const reporter = await createUser()
    await addMember(project, reporter, 20)
    const denied = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: reporter.token, body: { ref: 'main' } })
    expect(denied).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    const outsider = await createUser()
    const hidden = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: outsider.token, body: { ref: 'main' } })
    expect(hidden).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
  })
})

describe('GET /projects/:id/pipelines', () => {
  it('lists pipelines id DESC with counted pagination and filters', async () => {
    const project = await createProject()
    const first = await createPipelineFrom(project, 'a:\n  script: x\n')
    const second = await createPipelineFrom(project, 'a:\n  script: x\n')
    const res = await apiJson('GET', `/projects/${project.id}/pipelines?per_page=1`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(res.body.map((p: any) => p.id)).toEqual([second.id])
    expect(res.headers.get('X-Total')).toBe('2')
    expect(res.headers.get('X-Total-Pages')).toBe('2')
    expect(res.headers.get('X-Next-Page')).toBe('2')
    expect(Object.keys(res.body[0])).toEqual(['id', 'iid', 'project_id', 'sha', 'ref', 'status', 'source', 'created_at', 'updated_at', 'web_url'])
    const asc = await apiJson('GET', `/projects/${project.id}/pipelines?sort=asc`, { token: project.owner.token })
    expect(asc.body.map((p: any) => p.id)).toEqual([first.id, second.id])
    const bad = await apiJson('GET', `/projects/${project.id}/pipelines?status=nope`, { token: project.owner.token })
    expect(bad).toMatchObject({ status: 400, body: { error: 'status does not have a valid value' } })
    const unknown = await apiJson('GET', `/projects/${project.id}/pipelines/999999999`, { token: project.owner.token })
    expect(unknown).toMatchObject({ status: 404, body: { message: '404 Not found' } })
  })

  it('lets anonymous users read public projects but not private ones', async () => {
    const open = await createProject({ visibility: 'public' })
    await createPipelineFrom(open, 'a:\n  script: x\n')
    expect((await apiJson('GET', `/projects/${open.id}/pipelines`, { token: null })).status).toBe(200)
    const closed = await createProject()
    expect(await apiJson('GET', `/projects/${closed.id}/pipelines`, { token: null })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
  })
})

