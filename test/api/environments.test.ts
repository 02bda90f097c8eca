import { describe, expect, it } from 'vitest'
import { jobsByName, runJob } from '../job-driver'
import { apiJson, createPipelineFrom, createProject, createUser } from '../world'

/** Environments and deployments recorded from `environment:` at pipeline creation (GitLab's Environments and Deployments APIs). */

const CI = `
stages: [deploy]
review:
  stage: deploy
  script: up
  environment:
    name: review/$CI_COMMIT_REF_NAME
    url: https://$CI_ENVIRONMENT_SLUG.example.com
    on_stop: stop_review
stop_review:
  stage: deploy
  script: down
  when: manual
  environment: {name: review/$CI_COMMIT_REF_NAME, action: stop}
production:
  stage: deploy
  script: ship
  when: manual
  environment: production
`

describe('environments and deployments', () => {
  it('records each environment once, deployments for start jobs, and derives their status from the job', async () => {
    const project = await createProject()
    const token = project.owner.token
    const pipeline = await createPipelineFrom(project, CI)
    const jobs = await jobsByName(project, pipeline.id)

    const list = await apiJson('GET', `/projects/${project.id}/environments`, { token })
    expect(list.status).toBe(200)
    expect(list.headers.get('x-total')).toBe('2')
    const [production, review] = [...list.body].sort((a: any, b: any) => a.name.localeCompare(b.name))
    expect(review).toMatchObject({ name: 'review/main', state: 'available', tier: 'development' })
    expect(review.slug).toMatch(/^review-main-[a-z0-9]{6}$/)
    expect(review.external_url).toBe(`https://${review.slug}.example.com`)
    expect(production).toMatchObject({ name: 'production', slug: 'production', tier: 'production', external_url: null })

    const deployments = await apiJson('GET', `/projects/${project.id}/deployments`, { token })
    expect(deployments.body.map((d: any) => [d.iid, d.environment.name, d.status, d.deployable.name])).toEqual([
      [1, 'review/main', 'created', 'review'],
      [2, 'production', 'blocked', 'production'],
    ])
    expect(deployments.body[0]).toMatchObject({ ref: 'main', sha: pipeline.sha, user: { username: project.owner.username }, deployable: { id: jobs.review.id } })

    await runJob(jobs.review.id, 'success')
    const shown = await apiJson('GET', `/projects/${project.id}/environments/${review.id}`, { token })
    expect(shown.body).toMatchObject({ state: 'available', last_deployment: { status: 'success', deployable: { name: 'review', status: 'success' } } })
    const filtered = await apiJson('GET', `/projects/${project.id}/deployments?status=success&environment=review/main`, { token })
    expect(filtered.body.map((d: any) => d.iid)).toEqual([1])

    const play = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.stop_review.id}/play`, { token })
    expect(play.status).toBe(200)
    await runJob(jobs.stop_review.id, 'success')
    const stopped = await apiJson('GET', `/projects/${project.id}/environments?states=stopped`, { token })
    expect(stopped.body.map((e: any) => e.name)).toEqual(['review/main'])

    const variables = await env_variables(jobs.review.id)
    expect(variables).toEqual(expect.arrayContaining([
      { key: 'CI_ENVIRONMENT_NAME', value: 'review/main' }, { key: 'CI_ENVIRONMENT_ACTION', value: 'start' }, { key: 'CI_ENVIRONMENT_TIER', value: 'development' },
    ]))
  })

  it('T19: a name that expands to an invalid one creates the job failed (environment_creation_failure)', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'deploy: {script: x, environment: review/$UNDEFINED_VAR}\nother: {script: y}\n')
    const jobs = await jobsByName(project, pipeline.id)
    expect(jobs.deploy).toMatchObject({ status: 'failed', failure_reason: 'environment_creation_failure' })
    expect(jobs.other.status).toBe('pending')
    expect((await apiJson('GET', `/projects/${project.id}/environments`, { token: project.owner.token })).body).toEqual([])
  })

  it('a private project hides them; a missing environment is 404', async () => {
    const project = await createProject()
    await createPipelineFrom(project, 'deploy: {script: x, environment: production}\n')
    const outsider = await createUser()
    expect((await apiJson('GET', `/projects/${project.id}/environments`, { token: outsider.token })).status).toBe(404)
    expect((await apiJson('GET', `/projects/${project.id}/environments/999999`, { token: project.owner.token })).status).toBe(404)
    expect((await apiJson('GET', `/projects/${project.id}/deployments/999999`, { token: project.owner.token })).status).toBe(404)
  })
})

async function env_variables(jobId: number): Promise<{ key: string; value: string }[]> {
  const { env } = await import('cloudflare:workers')
  const row = await env.DB.prepare('SELECT yaml_variables FROM jobs WHERE id = ?').bind(jobId).first<{ yaml_variables: string }>()
  return (JSON.parse(row!.yaml_variables) as { key: string; value: string }[]).map(({ key, value }) => ({ key, value }))
}
