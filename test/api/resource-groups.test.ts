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
})
