import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { api, apiJson, commitFile, createPipelineFrom, createProject, createUser, unique } from '../world'
import { SimulatedRunner } from '../runner-client'
import { pipelineStub } from '../stubs'
import { repoObject } from '../../src/objects/stubs'
import { createPipeline } from '../../src/services/create-pipeline'

/**
 * The variables of a job's runner payload: Gitlab::Ci::Variables::Builder#scoped_variables'
 * order (predefined < yaml < dependencies' dotenv < instance < project < pipeline < play),
 * Project#protected_for? (protected variables on protected refs only), HasEnvironmentScope
 * (the most specific scope wins), Ci::HasVariable#to_runner_variable (`file`, `raw`, `masked`),
 * and masked values hidden in the stored log (Ci::Build#hide_secrets; gitlab-runner's [MASKED]).
 */

const CI = `
variables:
  SHARED: yaml
  YAML_ONLY: from-yaml
deploy:
  script: [deploy]
  environment: {name: production}
`
const MASKED_VALUE = 'm4sked-Value_0123456789'

function byKey(variables: any[]): Record<string, any> {
  return Object.fromEntries(variables.map((item) => [item.key, item]))
}

describe('project and instance variables in the runner payload', () => {
  it('follows GitLab precedence, scopes and types; protected ones only on protected refs; masked values masked in the stored log', async () => {
    const project = await createProject()
    const token = project.owner.token
    const admin = await createUser({ admin: true })
    const instanceKey = unique('INSTANCE').replace(/[^A-Za-z0-9_]/g, '_')
    const instanceShared = unique('ISHARED').replace(/[^A-Za-z0-9_]/g, '_')
    const addInstance = async (body: Record<string, unknown>) => expect((await apiJson('POST', '/admin/ci/variables', { token: admin.token, body })).status).toBe(201)
    const add = async (body: Record<string, unknown>) => expect((await apiJson('POST', `/projects/${project.id}/variables`, { token, body })).status).toBe(201)
    try {
      await addInstance({ key: instanceKey, value: 'from-instance' })
      await addInstance({ key: instanceShared, value: 'instance' })
      await add({ key: instanceShared, value: 'project-beats-instance' })
      await add({ key: 'SHARED', value: 'project-beats-yaml' })
      await add({ key: 'PIPELINE_WINS', value: 'project' })
      await add({ key: 'SCOPED', value: 'any', environment_scope: '*' })
      await add({ key: 'SCOPED', value: 'prod-pattern', environment_scope: 'prod*' })
      await add({ key: 'SCOPED', value: 'production', environment_scope: 'production' })
      await add({ key: 'OTHER_ENV', value: 'staging only', environment_scope: 'staging' })
      await add({ key: 'PROTECTED_ONE', value: 'only on protected refs', protected: true })
      await add({ key: 'FILE_VAR', value: 'file body', variable_type: 'file' })
      await add({ key: 'RAW_VAR', value: '$NOT_EXPANDED', raw: true })
      await add({ key: 'MASKED_VAR', value: MASKED_VALUE, masked: true })

      const pipeline = await createPipelineFrom(project, CI, { variables: [{ key: 'PIPELINE_WINS', value: 'pipeline' }] })
      const stored = await env.DB.prepare('SELECT variables FROM pipelines WHERE id = ?').bind(pipeline.id).first<{ variables: string }>()
      expect(stored!.variables).toMatch(/^enc:v1:/)
      expect(stored!.variables).not.toContain('PIPELINE_WINS')

      const runner = await SimulatedRunner.create(token, { runner_type: 'project_type', project_id: project.id })
      const job = (await runner.requestJob())!
      const variables = job.payload.variables as any[]
      const vars = byKey(variables)
      expect(vars.CI_JOB_ID.value).toBe(String(job.id))
      expect(vars.YAML_ONLY).toMatchObject({ value: 'from-yaml', public: true })
      expect(vars.SHARED.value).toBe('project-beats-yaml')
      expect(vars[instanceKey]).toEqual({ key: instanceKey, value: 'from-instance', public: false, masked: false })
      expect(vars[instanceShared].value).toBe('project-beats-instance')
      expect(vars.PIPELINE_WINS.value).toBe('pipeline')
      expect(vars.SCOPED.value).toBe('production')
      expect(vars.OTHER_ENV).toBeUndefined()
      expect(vars.PROTECTED_ONE).toBeUndefined()
      expect(vars.CI_COMMIT_REF_PROTECTED.value).toBe('false')
      expect(vars.FILE_VAR).toEqual({ key: 'FILE_VAR', value: 'file body', public: false, file: true, masked: false })
      expect(vars.RAW_VAR).toEqual({ key: 'RAW_VAR', value: '$NOT_EXPANDED', public: false, masked: false, raw: true })
      expect(vars.MASKED_VAR).toEqual({ key: 'MASKED_VAR', value: MASKED_VALUE, public: false, masked: true })
      // Each key once, the later source replacing the earlier in place.
      expect(new Set(variables.map((item) => item.key)).size).toBe(variables.length)

      // The stored log has `[MASKED]` padded with x to the value's byte length.
      expect((await job.accept()).status).toBe(200)
      const line = `echo ${MASKED_VALUE} done\n`
      expect((await job.patch(line)).status).toBe(202)
      const trace = await (await api('GET', `/projects/${project.id}/jobs/${job.id}/trace`, { token })).text()
      expect(trace).toBe(`echo [MASKED]${'x'.repeat(MASKED_VALUE.length - 8)} done\n`)
      expect(trace.length).toBe(line.length)
      expect((await job.finish('success')).status).toBe(200)

      // Protect main: the next pipeline's job gets the protected variable.
      expect((await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main' } })).status).toBe(201)
      const second = await apiJson('POST', `/projects/${project.id}/pipeline`, { token, body: { ref: 'main' } })
      expect(second.status).toBe(201)
      // A pipeline row written before encryption (plain JSON) still reads.
      await env.DB.prepare('UPDATE pipelines SET variables = ? WHERE id = ?').bind(JSON.stringify([{ key: 'LEGACY', value: 'plain row' }]), second.body.id).run()
      const protectedJob = (await runner.requestJob())!
      const protectedVars = byKey(protectedJob.payload.variables)
      expect(protectedVars.PROTECTED_ONE.value).toBe('only on protected refs')
      expect(protectedVars.CI_COMMIT_REF_PROTECTED.value).toBe('true')
      expect(protectedVars.LEGACY.value).toBe('plain row')
      expect(protectedJob.payload.git_info.protected).toBe(true)
    } finally {
      for (const key of [instanceKey, instanceShared]) await api('DELETE', `/admin/ci/variables/${key}`, { token: admin.token })
    }
  })

  it('gives variables played with a manual job the last word', async () => {
    const project = await createProject()
    const token = project.owner.token
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'TARGET', value: 'project' } })
    const pipeline = await createPipelineFrom(project, 'deploy: {script: [x], when: manual}\n', { variables: [{ key: 'TARGET', value: 'pipeline' }] })
    const jobs = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/jobs`, { token })
    const played = await apiJson('POST', `/projects/${project.id}/jobs/${jobs.body[0].id}/play`, { token, body: { job_variables_attributes: [{ key: 'TARGET', value: 'played' }] } })
    expect(played.status).toBe(200)
    const runner = await SimulatedRunner.create(token, { runner_type: 'project_type', project_id: project.id })
    const job = (await runner.requestJob())!
    expect(byKey(job.payload.variables).TARGET.value).toBe('played')
  })

  it('lets rules and workflow:rules see instance and project variables (config_variables), protected ones on protected refs only', async () => {
    const project = await createProject()
    const token = project.owner.token
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'DEPLOY_ENABLED', value: 'yes' } })
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'RELEASE_TOKEN', value: 'secret', protected: true } })
    const ci = `
always: {script: [x]}
deploy:
  script: [x]
  rules: [{if: '$DEPLOY_ENABLED == "yes"'}]
release:
  script: [x]
  rules: [{if: '$RELEASE_TOKEN'}]
`
    const first = await createPipelineFrom(project, ci)
    const names = async (id: number) => (await apiJson('GET', `/projects/${project.id}/pipelines/${id}/jobs`, { token })).body.map((job: any) => job.name).sort()
    expect(await names(first.id)).toEqual(['always', 'deploy'])
    await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main' } })
    const second = await apiJson('POST', `/projects/${project.id}/pipeline`, { token, body: { ref: 'main' } })
    expect(await names(second.body.id)).toEqual(['always', 'deploy', 'release'])
  })

  it('treats CI_DEBUG_TRACE set as a project variable as a debug log (read_build_trace: reporters 403)', async () => {
    const project = await createProject()
    const token = project.owner.token
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'CI_DEBUG_TRACE', value: 'true' } })
    const pipeline = await createPipelineFrom(project, 'build: {script: [x]}\n')
    const jobs = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/jobs`, { token })
    const reporter = await createUser()
    await apiJson('POST', `/projects/${project.id}/members`, { token, body: { user_id: reporter.id, access_level: 20 } })
    expect((await api('GET', `/projects/${project.id}/jobs/${jobs.body[0].id}/trace`, { token: reporter.token })).status).toBe(403)
    expect((await api('GET', `/projects/${project.id}/jobs/${jobs.body[0].id}/trace`, { token })).status).toBe(200)
  })

  it('counts a pipeline for a protected tag as protected (its protected variables, CI_COMMIT_REF_PROTECTED)', async () => {
    const project = await createProject()
    const token = project.owner.token
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'RELEASE_KEY', value: 'tag secret', protected: true } })
    await apiJson('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'v*' } })
    await commitFile(project, '.gitlab-ci.yml', 'build: {script: [x], rules: [{if: $CI_COMMIT_TAG}]}\n')
    const head = await apiJson('GET', `/projects/${project.id}/repository/commits/main`, { token })
    // What a push of refs/tags/v1.0 does (git-http.ts): the tag ref, then a tag pipeline.
    expect(await repoObject(env, project.id).setRef('refs/tags/v1.0', head.body.id)).toBe(true)
    const projectRow = await env.DB.prepare('SELECT * FROM projects WHERE id = ?').bind(project.id).first<any>()
    const created = await createPipeline(env, {
      project: projectRow, ref: 'v1.0', tag: true, writer: null, userId: project.owner.id, source: 'push', variables: [], externalUrl: 'https://gitlab.example.com', now: Date.now(),
    })
    expect(created.ok).toBe(true)
    if (created.ok) await pipelineStub(created.pipeline.id).process(created.pipeline.id)
    const runner = await SimulatedRunner.create(token, { runner_type: 'project_type', project_id: project.id })
    const job = (await runner.requestJob())!
    const vars = byKey(job.payload.variables)
    expect(vars.CI_COMMIT_TAG.value).toBe('v1.0')
    expect(vars.RELEASE_KEY.value).toBe('tag secret')
    expect(vars.CI_COMMIT_REF_PROTECTED.value).toBe('true')
  })
})
