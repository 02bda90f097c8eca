import { describe, expect, it } from 'vitest'
import { eventually, jobsByName, runJob } from '../job-driver'
import { apiJson, createPipelineFrom, createProject } from '../world'

/** A project whose new pipelines do not auto-cancel older ones (so pipelines pile up on `main`). */
async function projectKeepingPipelines() {
  const project = await createProject()
  await apiJson('PUT', `/projects/${project.id}`, { token: project.owner.token, body: { auto_cancel_pending_pipelines: 'disabled' } })
  return project
}

/** `resource_group`: one job at a time per project and key, across pipelines. */
describe('resource_group', () => {
  it('a second pipeline waits for the resource and runs once the holder finishes', async () => {
    const project = await projectKeepingPipelines()
    const ci = 'deploy:\n  script: ship\n  resource_group: production-$CI_COMMIT_REF_NAME\nlint:\n  script: lint\n'
    const first = await createPipelineFrom(project, ci)
    const second = await createPipelineFrom(project, ci)
    const a = await jobsByName(project, first.id)
    const b = await jobsByName(project, second.id)
    expect(a.deploy.status).toBe('pending')
    expect(b.deploy.status).toBe('waiting_for_resource')
    expect(b.lint.status).toBe('pending')
    const shown = await apiJson('GET', `/projects/${project.id}/pipelines/${second.id}`, { token: project.owner.token })
    // pending next to waiting_for_resource composes to running, as in GitLab
    expect(shown.body.status).toBe('running')

    await runJob(a.deploy.id, 'success')
    await eventually(async () => {
      const jobs = await jobsByName(project, second.id)
      expect(jobs.deploy.status).toBe('pending')
    })
    // A third pipeline waits behind the new holder.
    const third = await createPipelineFrom(project, ci)
    expect((await jobsByName(project, third.id)).deploy.status).toBe('waiting_for_resource')
    await runJob(b.deploy.id, 'failed')
    await eventually(async () => expect((await jobsByName(project, third.id)).deploy.status).toBe('pending'))
  })

  it('the Resource Groups API: list, show, process_mode', async () => {
    const project = await createProject()
    await createPipelineFrom(project, 'deploy: {script: x, resource_group: prod}\n')
    const token = project.owner.token
    const list = await apiJson('GET', `/projects/${project.id}/resource_groups`, { token })
    expect(list.body).toMatchObject([{ key: 'prod', process_mode: 'unordered' }])
    const updated = await apiJson('PUT', `/projects/${project.id}/resource_groups/prod`, { token, body: { process_mode: 'oldest_first' } })
    expect(updated).toMatchObject({ status: 200, body: { key: 'prod', process_mode: 'oldest_first' } })
    const bad = await apiJson('PUT', `/projects/${project.id}/resource_groups/prod`, { token, body: { process_mode: 'random' } })
    expect(bad.status).toBe(400)
    expect((await apiJson('GET', `/projects/${project.id}/resource_groups/nope`, { token })).status).toBe(404)
  })

  it('different keys do not wait for each other', async () => {
    const project = await projectKeepingPipelines()
    const one = await createPipelineFrom(project, 'deploy: {script: x, resource_group: one}\n')
    const two = await createPipelineFrom(project, 'deploy: {script: x, resource_group: two}\n')
    expect((await jobsByName(project, one.id)).deploy.status).toBe('pending')
    expect((await jobsByName(project, two.id)).deploy.status).toBe('pending')
  })

  // app/models/ci/resource_group.rb (upcoming_processables per process mode), lib/api/ci/resource_groups.rb
  // (upcoming_jobs), app/models/ci/processable.rb (enqueue of a manual or scheduled job goes to
  // waiting_for_resource when it has a resource group).
  it('upcoming_jobs lists the jobs waiting (and, for oldest_first, those to come) in the mode\'s order', async () => {
    const project = await projectKeepingPipelines()
    const token = project.owner.token
    const ci = 'deploy:\n  script: ship\n  resource_group: prod\n'
    const first = await createPipelineFrom(project, ci)
    const second = await createPipelineFrom(project, ci)
    const third = await createPipelineFrom(project, ci)
    const ids = await Promise.all([first, second, third].map(async (p) => (await jobsByName(project, p.id)).deploy.id))
    const upcoming = await apiJson('GET', `/projects/${project.id}/resource_groups/prod/upcoming_jobs`, { token })
    expect(upcoming.status).toBe(200)
    expect(upcoming.body.map((j: any) => [j.id, j.status])).toEqual([[ids[1], 'waiting_for_resource'], [ids[2], 'waiting_for_resource']])
    expect(upcoming.body[0]).toMatchObject({ name: 'deploy', stage: 'test', pipeline: { id: second.id } })
    await apiJson('PUT', `/projects/${project.id}/resource_groups/prod`, { token, body: { process_mode: 'newest_first' } })
    const newest = await apiJson('GET', `/projects/${project.id}/resource_groups/prod/upcoming_jobs`, { token })
    expect(newest.body.map((j: any) => j.id)).toEqual([ids[2], ids[1]])
    expect((await apiJson('GET', `/projects/${project.id}/resource_groups/nope/upcoming_jobs`, { token })).status).toBe(404)
  })

  it('newest_ready_first: the newest waiting job runs next; a newer job not yet ready does not block', async () => {
    const project = await projectKeepingPipelines()
    const token = project.owner.token
    const ci = 'deploy:\n  script: ship\n  resource_group: prod\n'
    const first = await createPipelineFrom(project, ci)
    await apiJson('PUT', `/projects/${project.id}/resource_groups/prod`, { token, body: { process_mode: 'newest_ready_first' } })
    expect((await apiJson('GET', `/projects/${project.id}/resource_groups/prod`, { token })).body.process_mode).toBe('newest_ready_first')
    const second = await createPipelineFrom(project, ci)
    const third = await createPipelineFrom(project, ci)
    // a fourth pipeline whose deploy job is still `created` (behind a build stage)
    const fourth = await createPipelineFrom(project, 'build:\n  stage: build\n  script: make\ndeploy:\n  script: ship\n  resource_group: prod\n')
    const [a, b, c, d] = await Promise.all([first, second, third, fourth].map((p) => jobsByName(project, p.id)))
    expect(d.deploy.status).toBe('created')
    await runJob(a.deploy.id, 'success')
    await eventually(async () => expect((await jobsByName(project, third.id)).deploy.status).toBe('pending'))
    expect((await jobsByName(project, second.id)).deploy.status).toBe('waiting_for_resource')
    await runJob(c.deploy.id, 'success')
    await eventually(async () => expect((await jobsByName(project, second.id)).deploy.status).toBe('pending'))
    expect(b.deploy.id).toBeGreaterThan(0)
  })

  it('a played manual job and a due delayed job wait for the resource like any other', async () => {
    const project = await projectKeepingPipelines()
    const token = project.owner.token
    const holder = await createPipelineFrom(project, 'deploy:\n  script: ship\n  resource_group: prod\n')
    const manual = await createPipelineFrom(project, 'deploy:\n  script: ship\n  when: manual\n  resource_group: prod\n')
    const job = (await jobsByName(project, manual.id)).deploy
    const played = await apiJson('POST', `/projects/${project.id}/jobs/${job.id}/play`, { token })
    expect(played).toMatchObject({ status: 200, body: { id: job.id, status: 'waiting_for_resource' } })
    const delayed = await createPipelineFrom(project, 'deploy:\n  script: ship\n  when: delayed\n  start_in: 1 second\n  resource_group: prod\n')
    const late = (await jobsByName(project, delayed.id)).deploy
    expect(late.status).toBe('scheduled')
    await eventually(async () => expect((await jobsByName(project, delayed.id)).deploy.status).toBe('waiting_for_resource'), 8000)
    await runJob((await jobsByName(project, holder.id)).deploy.id, 'success')
    await eventually(async () => expect((await jobsByName(project, manual.id)).deploy.status).toBe('pending'))
    expect((await jobsByName(project, delayed.id)).deploy.status).toBe('waiting_for_resource')
  })
})
