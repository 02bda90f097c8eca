import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { eventually, jobsByName } from '../job-driver'
import { bytesOf, startRunningJob } from '../runner-client'
import { addMember, api, apiJson, commitFile, createPipelineFrom, createProject, createUser, type TestProject } from '../world'

/**
 * Pipeline commands and reads, through HTTP. GitLab sources: lib/api/ci/pipelines.rb (retry 201,
 * cancel `status 200`, delete 204, latest, variables), app/services/ci/retry_pipeline_service.rb,
 * app/services/ci/cancel_pipeline_service.rb, app/services/ci/destroy_pipeline_service.rb,
 * app/policies/ci/pipeline_policy.rb (read_pipeline_variable), app/models/project.rb
 * (latest_pipeline), spec/requests/api/ci/pipelines_spec.rb.
 */

async function members(project: TestProject) {
  const [maintainer, developer, reporter, outsider] = await Promise.all([createUser(), createUser(), createUser(), createUser()])
  await addMember(project, maintainer, 40)
  await addMember(project, developer, 30)
  await addMember(project, reporter, 20)
  return { maintainer, developer, reporter, outsider }
}

describe('POST /projects/:id/pipelines/:pipeline_id/retry', () => {
  it('retries the failed job, which a runner runs again; skipped jobs reopen; the pipeline succeeds', async () => {
    const { project, pipeline, runner, job: first } = await startRunningJob('stages: [build, test]\nbuild: {stage: build, script: make}\ntest: {stage: test, script: check}\n')
    await first.finish('failed', { failure_reason: 'script_failure', exit_code: 1 })
    await eventually(async () => expect((await jobsByName(project, pipeline.id)).test.status).toBe('skipped'))
    expect((await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}`, { token: project.owner.token })).body.status).toBe('failed')

    const retried = await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/retry`, { token: project.owner.token })
    expect(retried).toMatchObject({ status: 201, body: { id: pipeline.id, status: 'pending' } })
    const jobs = await jobsByName(project, pipeline.id)
    expect(jobs.build.id).not.toBe(first.id)
    expect(jobs.build.status).toBe('pending')
    expect(jobs.test.status).toBe('created')

    const again = (await runner.requestJob())!
    expect(again.id).toBe(jobs.build.id)
    await again.accept()
    await again.finish('success')
    const test = (await runner.requestJob())!
    expect(test.payload.job_info.name).toBe('test')
    await test.accept()
    await test.finish('success')
    await eventually(async () => expect((await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}`, { token: project.owner.token })).body.status).toBe('success'))
    // The failed job stays, retried, in the full job list.
    const all = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/jobs?include_retried=true`, { token: project.owner.token })
    expect(all.body.filter((job: any) => job.name === 'build').map((job: any) => job.status).sort()).toEqual(['failed', 'success'])
  })

  it('roles: developer may, reporter 403, outsider of a private project 404, anonymous 401, unknown pipeline 404, bad id 400', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'a: {script: x}\n')
    const { developer, reporter, outsider } = await members(project)
    const url = `/projects/${project.id}/pipelines/${pipeline.id}/retry`
    expect(await apiJson('POST', url, { token: reporter.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect(await apiJson('POST', url, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await apiJson('POST', url, { token: null })).status).toBe(401)
    expect(await apiJson('POST', `/projects/${project.id}/pipelines/99999999/retry`, { token: developer.token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    expect(await apiJson('POST', `/projects/${project.id}/pipelines/x/retry`, { token: developer.token })).toMatchObject({ status: 400, body: { error: 'pipeline_id is invalid' } })
    // Nothing failed: 201 with the pipeline unchanged.
    expect(await apiJson('POST', url, { token: developer.token })).toMatchObject({ status: 201, body: { id: pipeline.id, status: 'pending' } })
  })

  it('a job token cannot retry (no job_token_allowed)', async () => {
    const { project, pipeline, job } = await startRunningJob('a: {script: x}\n')
    const res = await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/retry`, { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(res.status).toBe(401)
  })
})

describe('POST /projects/:id/pipelines/:pipeline_id/cancel', () => {
  it('cancels running, pending and created jobs through their objects; answers 200 with the canceled pipeline', async () => {
    const { project, pipeline, job: running } = await startRunningJob('stages: [one, two]\na: {stage: one, script: x}\nb: {stage: one, script: y}\nc: {stage: two, script: z}\n', { graceful: false })
    let jobs = await jobsByName(project, pipeline.id)
    expect([jobs.a.status, jobs.b.status].sort()).toEqual(['pending', 'running'])
    expect(jobs.c.status).toBe('created')

    const { reporter } = await members(project)
    expect((await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/cancel`, { token: reporter.token })).status).toBe(403)

    const res = await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/cancel`, { token: project.owner.token })
    expect(res).toMatchObject({ status: 200, body: { id: pipeline.id, status: 'canceled' } })
    jobs = await jobsByName(project, pipeline.id)
    expect([jobs.a.status, jobs.b.status, jobs.c.status]).toEqual(['canceled', 'canceled', 'canceled'])
    // The runner learns it on its next update, and its job token is dead.
    const reply = await running.update('running')
    expect(reply.jobStatus).toBe('canceled')
    // Canceling again changes nothing and still answers 200.
    expect(await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/cancel`, { token: project.owner.token })).toMatchObject({ status: 200, body: { status: 'canceled' } })
  })

  it('a graceful runner\'s running job goes to canceling', async () => {
    const { project, pipeline, job } = await startRunningJob('a: {script: x}\n')
    const res = await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/cancel`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect((await jobsByName(project, pipeline.id)).a.status).toBe('canceling')
    expect((await job.finish('failed')).status).toBe(200)
    await eventually(async () => expect((await jobsByName(project, pipeline.id)).a.status).toBe('canceled'))
  })
})

describe('DELETE /projects/:id/pipelines/:pipeline_id', () => {
  it('owner only; removes the jobs, their logs and artifacts in R2 and the rows; a running job ends cleanly', async () => {
    const { project, pipeline, runner, job: a } = await startRunningJob('stages: [one, two]\na: {stage: one, script: x, artifacts: {paths: [out]}}\nb: {stage: two, script: y}\n')
    await a.patch('hello log\n')
    expect((await a.uploadArtifact([bytesOf(64)], { query: { artifact_type: 'junit', artifact_format: 'gzip' }, filename: 'junit.xml.gz' })).status).toBe(201)
    await a.finish('success')
    const b = (await runner.requestJob())!
    await b.accept()
    await b.patch('running log\n')
    const before = await env.BLOBS.list({ prefix: `jobs/${a.id}/` })
    expect(before.objects.length).toBeGreaterThanOrEqual(2) // the archived log and the report

    const { maintainer } = await members(project)
    expect(await apiJson('DELETE', `/projects/${project.id}/pipelines/${pipeline.id}`, { token: maintainer.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect((await api('DELETE', `/projects/${project.id}/pipelines/${pipeline.id}`, { token: project.owner.token })).status).toBe(204)

    expect((await env.BLOBS.list({ prefix: `jobs/${a.id}/` })).objects).toEqual([])
    expect((await env.BLOBS.list({ prefix: `jobs/${b.id}/` })).objects).toEqual([])
    for (const table of ['jobs', 'pipeline_stages']) {
      const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE pipeline_id = ?`).bind(pipeline.id).first<{ n: number }>()
      expect(row!.n).toBe(0)
    }
    const artifacts = await env.DB.prepare('SELECT COUNT(*) AS n FROM job_artifacts WHERE job_id IN (?, ?)').bind(a.id, b.id).first<{ n: number }>()
    expect(artifacts!.n).toBe(0)
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}`, { token: project.owner.token })).toMatchObject({ status: 404 })
    expect((await apiJson('GET', `/projects/${project.id}/jobs/${a.id}`, { token: project.owner.token })).status).toBe(404)
    // The running job's runner is told, not answered with a 500.
    const update = await b.update('running')
    expect([403, 404]).toContain(update.status)
    expect((await b.patch('more\n')).status).not.toBe(500)
    expect(await apiJson('DELETE', `/projects/${project.id}/pipelines/${pipeline.id}`, { token: project.owner.token })).toMatchObject({ status: 404 })
  })

  it('reporter and developer 403, outsider 404, anonymous 401', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'a: {script: x}\n')
    const { developer, reporter, outsider } = await members(project)
    const url = `/projects/${project.id}/pipelines/${pipeline.id}`
    for (const user of [developer, reporter]) expect((await api('DELETE', url, { token: user.token })).status).toBe(403)
    expect((await api('DELETE', url, { token: outsider.token })).status).toBe(404)
    expect((await api('DELETE', url, { token: null })).status).toBe(401)
    expect((await apiJson('GET', url, { token: project.owner.token })).status).toBe(200)
  })
})

describe('GET /projects/:id/pipelines/latest', () => {
  it('the newest pipeline at the head of the ref (default branch when absent); none at the head is 403 as authorize! on nil', async () => {
    const project = await createProject()
    const first = await createPipelineFrom(project, 'a: {script: x}\n')
    const second = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
    const latest = await apiJson('GET', `/projects/${project.id}/pipelines/latest`, { token: project.owner.token })
    expect(latest).toMatchObject({ status: 200, body: { id: second.body.id, ref: 'main', sha: first.sha } })
    expect(Object.keys(latest.body)).toEqual(Object.keys((await apiJson('GET', `/projects/${project.id}/pipelines/${first.id}`, { token: project.owner.token })).body))
    expect((await apiJson('GET', `/projects/${project.id}/pipelines/latest?ref=main`, { token: project.owner.token })).body.id).toBe(second.body.id)
    expect((await apiJson('GET', `/projects/${project.id}/pipelines/latest?ref=`, { token: project.owner.token })).body.id).toBe(second.body.id)

    await commitFile(project, 'README.md', 'new head\n')
    // The head moved: no pipeline for the new commit (commitFile's own push pipeline aside, if any).
    const after = await apiJson('GET', `/projects/${project.id}/pipelines/latest`, { token: project.owner.token })
    if (after.status === 200) expect(after.body.id).not.toBe(second.body.id)
    else expect(after).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/latest?ref=nope`, { token: project.owner.token })).toMatchObject({ status: 403 })
    const outsider = await createUser()
    expect((await apiJson('GET', `/projects/${project.id}/pipelines/latest`, { token: outsider.token })).status).toBe(404)
  })

  it('public projects answer anonymous callers', async () => {
    const project = await createProject({ visibility: 'public' })
    const pipeline = await createPipelineFrom(project, 'a: {script: x}\n')
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/latest`, { token: null })).toMatchObject({ status: 200, body: { id: pipeline.id } })
  })
})

describe('GET /projects/:id/pipelines/:pipeline_id/variables', () => {
  it('Entities::Ci::Variable of each pipeline variable; maintainers, and developers for their own pipelines', async () => {
    const project = await createProject()
    const { maintainer, developer, reporter, outsider } = await members(project)
    const pipeline = await createPipelineFrom(project, 'a: {script: x}\n', { variables: [{ key: 'MY_VAR', value: 'v1' }] })
    const url = `/projects/${project.id}/pipelines/${pipeline.id}/variables`
    const shown = await apiJson('GET', url, { token: maintainer.token })
    expect(shown).toMatchObject({ status: 200, body: [{ variable_type: 'env_var', key: 'MY_VAR', value: 'v1', raw: false }] })
    expect(Object.keys(shown.body[0])).toEqual(['variable_type', 'key', 'value', 'raw'])
    expect((await apiJson('GET', url, { token: developer.token })).status).toBe(403)
    expect((await apiJson('GET', url, { token: reporter.token })).status).toBe(403)
    expect((await apiJson('GET', url, { token: outsider.token })).status).toBe(404)
    expect((await apiJson('GET', url, { token: null })).status).toBe(404)

    const own = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: developer.token, body: { ref: 'main', variables: [{ key: 'F', value: 'x', variable_type: 'file' }] } })
    expect(own.status).toBe(201)
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/${own.body.id}/variables`, { token: developer.token }))
      .toMatchObject({ status: 200, body: [{ variable_type: 'file', key: 'F', value: 'x' }] })
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/99999999/variables`, { token: maintainer.token })).toMatchObject({ status: 404 })
    const empty = await createPipelineFrom(project, 'a: {script: y}\n')
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/${empty.id}/variables`, { token: project.owner.token })).toMatchObject({ status: 200, body: [] })
  })
})
