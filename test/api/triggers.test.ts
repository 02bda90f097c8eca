import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { jobsByName } from '../job-driver'
import { SimulatedRunner, startRunningJob } from '../runner-client'
import { addMember, api, apiJson, createPipelineFrom, createProject, createUser, encodedPath } from '../world'

/**
 * Pipeline trigger tokens and triggering, through HTTP. GitLab sources: lib/api/ci/triggers.rb,
 * app/models/ci/trigger.rb (glptt- + 40 hex, short_token, last_used), app/policies/ci/
 * trigger_policy.rb (admin_trigger = admin_build and owner), app/presenters/ci/trigger_presenter.rb,
 * app/services/ci/pipeline_trigger_service.rb (trigger token → `trigger`, CI_JOB_TOKEN →
 * `pipeline`, TRIGGER_PAYLOAD), spec/requests/api/ci/triggers_spec.rb.
 */

const CI = 'build:\n  script: echo $DEPLOY_TO\n'

async function createTrigger(projectId: number, token: string, description = 'deploy') {
  const res = await apiJson('POST', `/projects/${projectId}/triggers`, { token, body: { description } })
  expect(res.status).toBe(201)
  return res.body
}

describe('Pipeline triggers API', () => {
  it('POST makes a glptt- token shown whole once, stored only as a digest; GET shows the short token; PUT and DELETE', async () => {
    const project = await createProject()
    const token = project.owner.token
    const created = await createTrigger(project.id, token)
    expect(created).toMatchObject({
      id: expect.any(Number), description: 'deploy', last_used: null, expires_at: null,
      owner: { id: project.owner.id, username: project.owner.username },
    })
    expect(created.token).toMatch(/^glptt-[0-9a-f]{40}$/)
    expect(Object.keys(created)).toEqual(['id', 'token', 'description', 'created_at', 'updated_at', 'last_used', 'expires_at', 'owner'])
    const stored = await env.DB.prepare('SELECT * FROM pipeline_triggers WHERE id = ?').bind(created.id).first<Record<string, unknown>>()
    expect(JSON.stringify(stored)).not.toContain(created.token.slice(6))
    expect(stored!.short_token).toBe(created.token.slice(6, 10))

    const shown = await apiJson('GET', `/projects/${project.id}/triggers/${created.id}`, { token })
    expect(shown).toMatchObject({ status: 200, body: { id: created.id, token: created.token.slice(6, 10), description: 'deploy' } })
    const byPath = await apiJson('GET', `/projects/${encodedPath(project)}/triggers/${created.id}`, { token })
    expect(byPath.status).toBe(200)

    const updated = await apiJson('PUT', `/projects/${project.id}/triggers/${created.id}`, { token, body: { description: 'nightly' } })
    expect(updated).toMatchObject({ status: 200, body: { id: created.id, description: 'nightly' } })
    // The declared description is written as given: leaving it out clears it (UpdateService).
    expect(await apiJson('PUT', `/projects/${project.id}/triggers/${created.id}`, { token, body: {} })).toMatchObject({ status: 200, body: { description: null } })

    expect((await api('DELETE', `/projects/${project.id}/triggers/${created.id}`, { token })).status).toBe(204)
    expect(await apiJson('GET', `/projects/${project.id}/triggers/${created.id}`, { token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    expect(await apiJson('DELETE', `/projects/${project.id}/triggers/${created.id}`, { token })).toMatchObject({ status: 404 })
    // The deleted token no longer triggers anything.
    expect(await apiJson('POST', `/projects/${project.id}/trigger/pipeline`, { token: null, body: { token: created.token, ref: 'main' } }))
      .toMatchObject({ status: 404, body: { message: '404 Not Found' } })
  })

  it('lists with offset pagination headers', async () => {
    const project = await createProject()
    const token = project.owner.token
    for (const name of ['a', 'b', 'c']) await createTrigger(project.id, token, name)
    const page = await apiJson('GET', `/projects/${project.id}/triggers?per_page=2&page=2`, { token })
    expect(page.status).toBe(200)
    expect(page.body.map((t: any) => t.description)).toEqual(['c'])
    expect(page.headers.get('X-Total')).toBe('3')
    expect(page.headers.get('X-Total-Pages')).toBe('2')
    expect(page.headers.get('X-Page')).toBe('2')
    expect(page.headers.get('X-Prev-Page')).toBe('1')
    expect(page.headers.get('X-Next-Page')).toBe('')
    expect(page.body[0].token).toMatch(/^[0-9a-f]{4}$/)
  })

  it('validation: description is required; ids are integers; nothing is written', async () => {
    const project = await createProject()
    const token = project.owner.token
    expect(await apiJson('POST', `/projects/${project.id}/triggers`, { token, body: {} })).toMatchObject({ status: 400, body: { error: 'description is missing' } })
    expect(await apiJson('GET', `/projects/${project.id}/triggers/abc`, { token })).toMatchObject({ status: 400, body: { error: 'trigger_id is invalid' } })
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM pipeline_triggers WHERE project_id = ?').bind(project.id).first<{ n: number }>()
    expect(count!.n).toBe(0)
  })

  it('roles: maintainers manage tokens; only the owner may change one; developers and reporters 403; outsiders of a private project 404; anonymous 401', async () => {
    const project = await createProject()
    const [maintainer, developer, reporter, outsider] = await Promise.all([createUser(), createUser(), createUser(), createUser()])
    await addMember(project, maintainer, 40)
    await addMember(project, developer, 30)
    await addMember(project, reporter, 20)
    const mine = await createTrigger(project.id, project.owner.token)
    const base = `/projects/${project.id}/triggers`

    expect((await apiJson('GET', base, { token: maintainer.token })).status).toBe(200)
    expect((await apiJson('GET', `${base}/${mine.id}`, { token: maintainer.token })).body.token).toBe(mine.token.slice(6, 10))
    expect(await apiJson('PUT', `${base}/${mine.id}`, { token: maintainer.token, body: { description: 'x' } }))
      .toMatchObject({ status: 403, body: { message: '403 Forbidden - The current user is not authorized to update the pipeline trigger token' } })
    const theirs = await createTrigger(project.id, maintainer.token, 'theirs')
    expect(theirs.owner.id).toBe(maintainer.id)
    for (const user of [developer, reporter]) {
      expect(await apiJson('GET', base, { token: user.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
      expect((await apiJson('POST', base, { token: user.token, body: { description: 'x' } })).status).toBe(403)
      expect((await apiJson('GET', `${base}/${mine.id}`, { token: user.token })).status).toBe(403)
      expect((await apiJson('PUT', `${base}/${mine.id}`, { token: user.token, body: { description: 'x' } })).status).toBe(403)
      expect((await apiJson('DELETE', `${base}/${mine.id}`, { token: user.token })).status).toBe(403)
    }
    expect(await apiJson('GET', base, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await apiJson('POST', base, { token: outsider.token, body: { description: 'x' } })).status).toBe(404)
    expect((await apiJson('GET', base, { token: null })).status).toBe(401)
    // A maintainer may delete any of the project's tokens (manage_trigger).
    expect((await api('DELETE', `${base}/${mine.id}`, { token: maintainer.token })).status).toBe(204)
  })
})

describe('POST /projects/:id/trigger/pipeline', () => {
  it('a trigger token makes a `trigger` pipeline as its owner, with the variables (form or JSON) and CI_PIPELINE_TRIGGERED', async () => {
    const project = await createProject()
    await createPipelineFrom(project, CI)
    const trigger = await createTrigger(project.id, project.owner.token)
    const res = await apiJson('POST', `/projects/${project.id}/trigger/pipeline`, {
      token: null, form: { token: trigger.token, ref: 'main', 'variables[DEPLOY_TO]': 'staging' },
    })
    expect(res).toMatchObject({ status: 201, body: { source: 'trigger', ref: 'main', status: 'pending', user: { id: project.owner.id } } })
    expect(Object.keys(res.body)).toContain('detailed_status')

    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    let job = await runner.requestJob()
    // The first pipeline's job may be handed out first; take the trigger pipeline's.
    while (job && job.payload.job_info.project_id === project.id && job.payload.variables.every((v: any) => v.key !== 'CI_PIPELINE_TRIGGERED')) {
      await job.accept()
      await job.finish('success')
      job = await runner.requestJob()
    }
    const vars = Object.fromEntries(job!.payload.variables.map((v: any) => [v.key, v]))
    expect(vars.CI_PIPELINE_TRIGGERED.value).toBe('true')
    expect(vars.CI_PIPELINE_SOURCE.value).toBe('trigger')
    expect(vars.DEPLOY_TO.value).toBe('staging')
    expect(vars.TRIGGER_PAYLOAD.file).toBe(true)
    expect(JSON.parse(vars.TRIGGER_PAYLOAD.value)).toMatchObject({ ref: 'main', variables: { DEPLOY_TO: 'staging' } })
    expect(vars.TRIGGER_PAYLOAD.value).not.toContain(trigger.token)

    const json = await apiJson('POST', `/projects/${encodedPath(project)}/trigger/pipeline`, {
      token: null, body: { token: trigger.token, ref: 'main', variables: { DEPLOY_TO: 'prod' } },
    })
    expect(json).toMatchObject({ status: 201, body: { source: 'trigger' } })
    const variables = await apiJson('GET', `/projects/${project.id}/pipelines/${json.body.id}/variables`, { token: project.owner.token })
    expect(variables.body).toContainEqual({ variable_type: 'env_var', key: 'DEPLOY_TO', value: 'prod', raw: false })

    // last_used: the newest pipeline the token made.
    const shown = await apiJson('GET', `/projects/${project.id}/triggers/${trigger.id}`, { token: project.owner.token })
    expect(shown.body.last_used).toBe(json.body.created_at)
  })

  it('inputs reach the config\'s spec:inputs', async () => {
    const project = await createProject()
    await createPipelineFrom(project, 'spec:\n  inputs:\n    env:\n      default: dev\n---\ndeploy-$[[ inputs.env ]]:\n  script: x\n')
    const trigger = await createTrigger(project.id, project.owner.token)
    const res = await apiJson('POST', `/projects/${project.id}/trigger/pipeline`, { token: null, body: { token: trigger.token, ref: 'main', inputs: { env: 'prod' } } })
    expect(res.status).toBe(201)
    expect(Object.keys(await jobsByName(project, res.body.id))).toEqual(['deploy-prod'])
    expect(await apiJson('POST', `/projects/${project.id}/trigger/pipeline`, { token: null, body: { token: trigger.token, ref: 'main', inputs: 'x' } }))
      .toMatchObject({ status: 400, body: { error: 'inputs is invalid' } })
  })

  it('the /ref/:ref/ form takes the ref from the path and the token from the query', async () => {
    const project = await createProject()
    await createPipelineFrom(project, CI)
    const trigger = await createTrigger(project.id, project.owner.token)
    const res = await apiJson('POST', `/projects/${project.id}/ref/main/trigger/pipeline?token=${trigger.token}`, { token: null })
    expect(res).toMatchObject({ status: 201, body: { source: 'trigger', ref: 'main' } })
  })

  it('errors: missing params 400, bad variables 400, a wrong token or another project\'s token 404, a missing ref 400 with the creation error', async () => {
    const project = await createProject()
    const other = await createProject()
    await createPipelineFrom(project, CI)
    const trigger = await createTrigger(project.id, project.owner.token)
    const otherTrigger = await createTrigger(other.id, other.owner.token)
    const url = `/projects/${project.id}/trigger/pipeline`
    const before = await env.DB.prepare('SELECT COUNT(*) AS n FROM pipelines WHERE project_id = ?').bind(project.id).first<{ n: number }>()

    expect(await apiJson('POST', url, { token: null, body: {} })).toMatchObject({ status: 400, body: { error: 'ref is missing, token is missing' } })
    expect(await apiJson('POST', url, { token: null, body: { ref: '', token: trigger.token } })).toMatchObject({ status: 400, body: { error: 'ref is empty' } })
    expect(await apiJson('POST', url, { token: null, body: { ref: 'main', token: trigger.token, variables: 'x' } })).toMatchObject({ status: 400, body: { error: 'variables is invalid' } })
    expect(await apiJson('POST', url, { token: null, body: { ref: 'main', token: trigger.token, variables: { A: 1 } } }))
      .toMatchObject({ status: 400, body: { message: 'variables needs to be a map of key-valued strings' } })
    expect(await apiJson('POST', url, { token: null, body: { ref: 'main', token: 'glptt-0000' } })).toMatchObject({ status: 404, body: { message: '404 Not Found' } })
    expect(await apiJson('POST', url, { token: null, body: { ref: 'main', token: otherTrigger.token } })).toMatchObject({ status: 404, body: { message: '404 Not Found' } })
    expect(await apiJson('POST', '/projects/999999999/trigger/pipeline', { token: null, body: { ref: 'main', token: trigger.token } })).toMatchObject({ status: 404, body: { message: '404 Not Found' } })
    expect(await apiJson('POST', url, { token: null, body: { ref: 'nope', token: trigger.token } })).toMatchObject({ status: 400, body: { message: { base: ['Reference not found'] } } })
    expect(await apiJson('POST', url, { token: null, headers: { 'X-Gitlab-Event': 'Pipeline Hook' }, body: { ref: 'main', token: trigger.token } }))
      .toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    const after = await env.DB.prepare('SELECT COUNT(*) AS n FROM pipelines WHERE project_id = ?').bind(project.id).first<{ n: number }>()
    expect(after!.n).toBe(before!.n)
  })

  it('a trigger whose owner lost developer access is refused with the creation error', async () => {
    const project = await createProject()
    await createPipelineFrom(project, CI)
    const maintainer = await createUser()
    await addMember(project, maintainer, 40)
    const trigger = await createTrigger(project.id, maintainer.token)
    // The owner is demoted to reporter (no members update endpoint here; the row is the fixture).
    await env.DB.prepare('UPDATE project_members SET access_level = 20 WHERE project_id = ? AND user_id = ?').bind(project.id, maintainer.id).run()
    expect(await apiJson('POST', `/projects/${project.id}/trigger/pipeline`, { token: null, body: { ref: 'main', token: trigger.token } }))
      .toMatchObject({ status: 400, body: { message: { base: ['Insufficient permissions to create a new pipeline'] } } })
  })

  it('the CI_JOB_TOKEN of a running job makes a `pipeline` pipeline as the job\'s user, upstream of the job; a finished job\'s token is 404', async () => {
    const { project, job } = await startRunningJob(CI)
    const res = await apiJson('POST', `/projects/${project.id}/trigger/pipeline`, { token: null, body: { token: job.token, ref: 'main' } })
    expect(res).toMatchObject({ status: 201, body: { source: 'pipeline', user: { id: project.owner.id } } })
    const row = await env.DB.prepare('SELECT parent_pipeline_id, source_job_id, trigger_id FROM pipelines WHERE id = ?').bind(res.body.id).first()
    expect(row).toEqual({ parent_pipeline_id: job.payload.job_info.pipeline_id ?? expect.any(Number), source_job_id: job.id, trigger_id: null })
    const jobs = await jobsByName(project, res.body.id)
    expect(jobs.build.status).toBe('pending')

    // Another project the job's user cannot read: 404, as for a wrong token.
    const stranger = await createProject()
    expect(await apiJson('POST', `/projects/${stranger.id}/trigger/pipeline`, { token: null, body: { token: job.token, ref: 'main' } })).toMatchObject({ status: 404 })

    await job.finish('success')
    expect(await apiJson('POST', `/projects/${project.id}/trigger/pipeline`, { token: null, body: { token: job.token, ref: 'main' } })).toMatchObject({ status: 404, body: { message: '404 Not Found' } })
  })
})
