import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import worker from '../../src/index'
import { describe, expect, it } from 'vitest'
import { jobsByName, runJob } from '../job-driver'
import { addMember, api, apiJson, createPipelineFrom, createProject, createUser } from '../world'

/**
 * Environment writes and lifecycle, through the API. GitLab sources: lib/api/environments.rb
 * (POST/PUT/DELETE /environments, POST .../stop with `force`), app/models/environment.rb (state
 * machine, stop_with_actions!, run_stop_action!, validations, auto_stop_in), app/policies/
 * environment_policy.rb (only a stopped environment may be destroyed), app/services/environments/
 * stop_service.rb, Deployments::UpdateEnvironmentService (auto_stop_in renewed on success),
 * Environments::AutoStopCronWorker, Ci::RetryJobService (a retried deployment job gets a new deployment).
 */

const REVIEW = (autoStop = '') => `
review:
  script: up
  environment:
    name: review/$CI_COMMIT_REF_NAME
    on_stop: stop_review
    ${autoStop}
stop_review:
  script: down
  when: manual
  environment: {name: review/$CI_COMMIT_REF_NAME, action: stop}
`

async function environmentNamed(projectId: number, token: string, name: string) {
  const list = await apiJson('GET', `/projects/${projectId}/environments?name=${encodeURIComponent(name)}`, { token })
  return list.body[0]
}

/** A project whose review job has deployed `review/main`: the project, its owner's token, the pipeline, its jobs and the environment. */
async function deployedReview() {
  const project = await createProject()
  const token = project.owner.token
  const pipeline = await createPipelineFrom(project, REVIEW())
  const jobs = await jobsByName(project, pipeline.id)
  await runJob(jobs.review.id, 'success')
  const review = await environmentNamed(project.id, token, 'review/main')
  return { project, token, pipeline, jobs, review }
}

describe('Environments API writes', () => {
  it('POST creates (slug and tier derived), with GitLab validation errors; PUT updates; DELETE needs a stopped one', async () => {
    const project = await createProject()
    const token = project.owner.token
    const created = await apiJson('POST', `/projects/${project.id}/environments`, { token, body: { name: 'staging', external_url: 'https://staging.example.com' } })
    expect(created).toMatchObject({ status: 201, body: { name: 'staging', slug: 'staging', tier: 'staging', state: 'available', external_url: 'https://staging.example.com', auto_stop_at: null } })
    const id = created.body.id

    expect(await apiJson('POST', `/projects/${project.id}/environments`, { token, body: { name: 'staging' } }))
      .toMatchObject({ status: 400, body: { message: { name: ['has already been taken'] } } })
    expect(await apiJson('POST', `/projects/${project.id}/environments`, { token, body: { name: '/bad' } }))
      .toMatchObject({ status: 400, body: { message: { name: ["can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'"] } } })
    expect(await apiJson('POST', `/projects/${project.id}/environments`, { token, body: { name: 'x', slug: 'mine' } }))
      .toMatchObject({ status: 400, body: { error: 'slug is automatically generated and cannot be changed' } })
    expect(await apiJson('POST', `/projects/${project.id}/environments`, { token, body: { name: 'x', tier: 'moon' } }))
      .toMatchObject({ status: 400, body: { error: 'tier does not have a valid value' } })
    expect(await apiJson('POST', `/projects/${project.id}/environments`, { token, body: { name: 'x', external_url: 'javascript:alert(1)' } }))
      .toMatchObject({ status: 400, body: { message: { external_url: ['javascript scheme is not allowed'] } } })
    expect((await apiJson('POST', `/projects/${project.id}/environments`, { token, body: { external_url: 'https://x' } })).status).toBe(400)

    const updated = await apiJson('PUT', `/projects/${project.id}/environments/${id}`, { token, body: { external_url: 'https://new.example.com', tier: 'production' } })
    expect(updated).toMatchObject({ status: 200, body: { id, name: 'staging', external_url: 'https://new.example.com', tier: 'production' } })

    // An available environment cannot be deleted; a stopped one can (204), and is gone.
    expect(await apiJson('DELETE', `/projects/${project.id}/environments/${id}`, { token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    const stopped = await apiJson('POST', `/projects/${project.id}/environments/${id}/stop`, { token })
    expect(stopped).toMatchObject({ status: 200, body: { id, state: 'stopped' } })
    expect((await api('DELETE', `/projects/${project.id}/environments/${id}`, { token })).status).toBe(204)
    expect((await apiJson('GET', `/projects/${project.id}/environments/${id}`, { token })).status).toBe(404)
  })

  it('reporters may read but not write; a reporter stopping gets the environment unchanged (200)', async () => {
    const project = await createProject()
    const reporter = await createUser()
    await addMember(project, reporter, 20)
    const created = await apiJson('POST', `/projects/${project.id}/environments`, { token: project.owner.token, body: { name: 'production' } })
    expect((await apiJson('POST', `/projects/${project.id}/environments`, { token: reporter.token, body: { name: 'other' } })).status).toBe(403)
    expect((await apiJson('PUT', `/projects/${project.id}/environments/${created.body.id}`, { token: reporter.token, body: { tier: 'other' } })).status).toBe(403)
    const stop = await apiJson('POST', `/projects/${project.id}/environments/${created.body.id}/stop`, { token: reporter.token })
    expect(stop).toMatchObject({ status: 200, body: { state: 'available' } })
  })
})

describe('stopping environments', () => {
  it('POST stop plays the on_stop job (stopping), whose success completes the stop; a new deployment starts it again', async () => {
    const { project, token, pipeline, jobs, review } = await deployedReview()
    expect(review.state).toBe('available')

    const stopping = await apiJson('POST', `/projects/${project.id}/environments/${review.id}/stop`, { token })
    expect(stopping).toMatchObject({ status: 200, body: { state: 'stopping' } })
    expect((await jobsByName(project, pipeline.id)).stop_review.status).toBe('pending')
    await runJob(jobs.stop_review.id, 'success')
    expect((await apiJson('GET', `/projects/${project.id}/environments/${review.id}`, { token })).body.state).toBe('stopped')

    // Retrying the deployment job makes a new deployment; its success makes the environment available.
    const retried = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.review.id}/retry`, { token })
    expect(retried.status).toBe(201)
    const deployments = await apiJson('GET', `/projects/${project.id}/deployments?environment=review/main`, { token })
    expect(deployments.body.map((d: any) => [d.iid, d.deployable.id, d.status])).toEqual([[1, jobs.review.id, 'success'], [2, retried.body.id, 'created']])
    await runJob(retried.body.id, 'success')
    expect((await apiJson('GET', `/projects/${project.id}/environments/${review.id}`, { token })).body).toMatchObject({ state: 'available', last_deployment: { iid: 2 } })
  })

  it('a failed stop job brings a stopping environment back to available; force stops without the action', async () => {
    const { project, token, jobs, review } = await deployedReview()
    await apiJson('POST', `/projects/${project.id}/environments/${review.id}/stop`, { token })
    await runJob(jobs.stop_review.id, 'failed')
    expect((await apiJson('GET', `/projects/${project.id}/environments/${review.id}`, { token })).body.state).toBe('available')

    const forced = await apiJson('POST', `/projects/${project.id}/environments/${review.id}/stop`, { token, body: { force: true } })
    expect(forced.body.state).toBe('stopped')
    const states = await apiJson('GET', `/projects/${project.id}/environments?states=stopped`, { token })
    expect(states.body.map((e: any) => e.id)).toEqual([review.id])
  })

  it('auto_stop_in: the deployment sets auto_stop_at, and the cron stops the environment with its stop action', async () => {
    const project = await createProject()
    const token = project.owner.token
    const pipeline = await createPipelineFrom(project, REVIEW('auto_stop_in: 1 second'))
    const jobs = await jobsByName(project, pipeline.id)
    const before = Date.now()
    await runJob(jobs.review.id, 'success')
    const review = await environmentNamed(project.id, token, 'review/main')
    const at = Date.parse(review.auto_stop_at)
    expect(at).toBeGreaterThanOrEqual(before + 1000)
    expect(at).toBeLessThan(Date.now() + 1500)

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now()) + 50))
    // The Worker's cron handler (wrangler.toml triggers), as Cloudflare calls it.
    const ctx = createExecutionContext()
    await worker.scheduled(createScheduledController({ scheduledTime: new Date(), cron: '*/15 * * * *' }), env as any, ctx)
    await waitOnExecutionContext(ctx)
    expect((await apiJson('GET', `/projects/${project.id}/environments/${review.id}`, { token })).body.state).toBe('stopping')
    expect((await jobsByName(project, pipeline.id)).stop_review.status).toBe('pending')
    await runJob(jobs.stop_review.id, 'success')
    expect((await apiJson('GET', `/projects/${project.id}/environments/${review.id}`, { token })).body).toMatchObject({ state: 'stopped', auto_stop_at: null })
  })
})
