import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { addMember, api, apiJson, commitFile, createProject, createUser } from '../world'
import { SimulatedRunner } from '../runner-client'
import { repoObject } from '../../src/objects/stubs'
import { createPipeline } from '../../src/services/create-pipeline'

/**
 * Who may run pipelines and jobs on a protected ref. GitLab sources:
 * lib/gitlab/ci/pipeline/chain/validate/abilities.rb (allowed_to_write_ref?: "Insufficient
 * permissions for protected ref '<ref>'", also for trigger tokens as their owner),
 * app/policies/ci/pipeline_policy.rb (protected_ref prevents update_pipeline, cancel_pipeline),
 * app/policies/ci/build_policy.rb (protected_ref prevents update_build, erase_build: play, retry,
 * cancel, erase), lib/gitlab/user_access.rb (can_update_branch?: push or merge; can_create_tag?),
 * app/models/concerns/protected_ref.rb (only `*` is a wildcard).
 */

const CI = 'build: {script: [x]}\ndeploy: {script: [y], when: manual}\n'

async function setup() {
  const project = await createProject()
  const token = project.owner.token
  await commitFile(project, '.gitlab-ci.yml', CI)
  await commitFile(project, 'feature.txt', 'f', 'feature')
  const protect = await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main', push_access_level: 40, merge_access_level: 40 } })
  expect([201, 409]).toContain(protect.status)
  const developer = await createUser()
  const maintainer = await createUser()
  await addMember(project, developer, 30)
  await addMember(project, maintainer, 40)
  return { project, token, developer, maintainer }
}

const FORBIDDEN = { status: 403, body: { message: '403 Forbidden' } }

async function jobsOf(projectId: number, pipelineId: number, token: string): Promise<Record<string, any>> {
  const jobs = await apiJson('GET', `/projects/${projectId}/pipelines/${pipelineId}/jobs`, { token })
  return Object.fromEntries(jobs.body.map((job: any) => [job.name, job]))
}

describe('Pipelines on protected refs', () => {
  it('refuses a developer a pipeline on a protected branch (400 base error); maintainers and unprotected branches run', async () => {
    const { project, developer, maintainer } = await setup()
    const refused = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: developer.token, body: { ref: 'main' } })
    expect(refused).toMatchObject({ status: 400, body: { message: { base: ["Insufficient permissions for protected ref 'main'"] } } })
    expect((await apiJson('POST', `/projects/${project.id}/pipeline`, { token: developer.token, body: { ref: 'feature' } })).status).toBe(201)
    expect((await apiJson('POST', `/projects/${project.id}/pipeline`, { token: maintainer.token, body: { ref: 'main' } })).status).toBe(201)
    // A protection no one may push or merge to refuses maintainers too (ProtectedRefAccess NO_ACCESS).
    await apiJson('POST', `/projects/${project.id}/protected_branches`, { token: project.owner.token, body: { name: 'feat*', push_access_level: 0, merge_access_level: 0 } })
    expect(await apiJson('POST', `/projects/${project.id}/pipeline`, { token: maintainer.token, body: { ref: 'feature' } }))
      .toMatchObject({ status: 400, body: { message: { base: ["Insufficient permissions for protected ref 'feature'"] } } })
    // A protected name that is no branch is "Reference not found" (allowed_to_write_ref? asks only about existing refs).
    expect(await apiJson('POST', `/projects/${project.id}/pipeline`, { token: developer.token, body: { ref: 'feat-none' } }))
      .toMatchObject({ status: 400, body: { message: { base: ['Reference not found'] } } })
    const count = await env.DB.prepare('SELECT COUNT(*) AS n FROM pipelines WHERE project_id = ?').bind(project.id).first<{ n: number }>()
    expect(count!.n).toBe(2)
  })

  it('refuses a developer retry and cancel of a protected pipeline and every job command on it (403)', async () => {
    const { project, developer, maintainer } = await setup()
    const pipeline = (await apiJson('POST', `/projects/${project.id}/pipeline`, { token: maintainer.token, body: { ref: 'main' } })).body
    const dev = developer.token
    expect(await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/retry`, { token: dev })).toMatchObject(FORBIDDEN)
    expect(await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/cancel`, { token: dev })).toMatchObject(FORBIDDEN)
    const jobs = await jobsOf(project.id, pipeline.id, dev)
    const play = { job_variables_attributes: [{ key: 'STEAL', value: 'x' }] }
    expect(await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, { token: dev, body: play })).toMatchObject(FORBIDDEN)
    expect(await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel`, { token: dev })).toMatchObject(FORBIDDEN)
    expect(await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/retry`, { token: dev })).toMatchObject(FORBIDDEN)
    expect((await jobsOf(project.id, pipeline.id, dev)).deploy.status).toBe('manual')
    // Maintainers keep every command.
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, { token: maintainer.token, body: play })).status).toBe(200)
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel`, { token: maintainer.token })).status).toBe(201)
    expect((await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/cancel`, { token: maintainer.token })).status).toBe(200)
    expect((await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/retry`, { token: maintainer.token })).status).toBe(201)
  })

  it('leaves developers their commands on an unprotected branch', async () => {
    const { project, developer } = await setup()
    const pipeline = (await apiJson('POST', `/projects/${project.id}/pipeline`, { token: developer.token, body: { ref: 'feature' } })).body
    const jobs = await jobsOf(project.id, pipeline.id, developer.token)
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${jobs.deploy.id}/play`, { token: developer.token })).status).toBe(200)
    expect((await apiJson('POST', `/projects/${project.id}/jobs/${jobs.build.id}/cancel`, { token: developer.token })).status).toBe(201)
    expect((await apiJson('POST', `/projects/${project.id}/pipelines/${pipeline.id}/retry`, { token: developer.token })).status).toBe(201)
  })

  it('guards a tag pipeline by the protected tag\'s create level (can_create_tag?)', async () => {
    const { project, token, developer, maintainer } = await setup()
    await apiJson('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'v*', create_access_level: 40 } })
    const head = await apiJson('GET', `/projects/${project.id}/repository/commits/main`, { token })
    const projectRow = await env.DB.prepare('SELECT * FROM projects WHERE id = ?').bind(project.id).first<any>()
    const ids: number[] = []
    for (const tag of ['v1.0', 'x1.0']) {
      // What a push of refs/tags/<tag> makes (git-http.ts): the tag ref, then a tag pipeline.
      await repoObject(env, project.id).setRef(`refs/tags/${tag}`, head.body.id)
      const created = await createPipeline(env, {
        project: projectRow, ref: tag, tag: true, writer: null, userId: project.owner.id, source: 'push', variables: [], externalUrl: 'https://gitlab.example.com', now: Date.now(),
      })
      if (!created.ok) throw new Error(created.errors.join())
      ids.push(created.pipeline.id)
    }
    expect(await apiJson('POST', `/projects/${project.id}/pipelines/${ids[0]}/cancel`, { token: developer.token })).toMatchObject(FORBIDDEN)
    expect((await apiJson('POST', `/projects/${project.id}/pipelines/${ids[0]}/cancel`, { token: maintainer.token })).status).toBe(200)
    expect((await apiJson('POST', `/projects/${project.id}/pipelines/${ids[1]}/cancel`, { token: developer.token })).status).toBe(200)
  })

  it('refuses a trigger token whose owner was demoted to developer on a protected branch', async () => {
    const { project, maintainer } = await setup()
    const trigger = await apiJson('POST', `/projects/${project.id}/triggers`, { token: maintainer.token, body: { description: 'deploy' } })
    expect(trigger.status).toBe(201)
    const run = (ref: string) => apiJson('POST', `/projects/${project.id}/trigger/pipeline`, { token: null, body: { token: trigger.body.token, ref } })
    expect((await run('main')).status).toBe(201)
    // No members update endpoint here: the demotion is written directly.
    await env.DB.prepare('UPDATE project_members SET access_level = 30 WHERE project_id = ? AND user_id = ?').bind(project.id, maintainer.id).run()
    expect(await run('main')).toMatchObject({ status: 400, body: { message: { base: ["Insufficient permissions for protected ref 'main'"] } } })
    expect((await run('feature')).status).toBe(201)
  })

  it('refuses the CI lint dry run on a protected branch to a developer', async () => {
    const { project, developer, maintainer } = await setup()
    const lint = (token: string) => apiJson('POST', `/projects/${project.id}/ci/lint`, { token, body: { content: CI, dry_run: true, ref: 'main' } })
    const refused = await lint(developer.token)
    expect(refused.status).toBe(200)
    expect(refused.body).toMatchObject({ valid: false, errors: ["Insufficient permissions for protected ref 'main'"] })
    expect((await lint(maintainer.token)).body).toMatchObject({ valid: true, errors: [] })
  })
})

describe('Protected ref names', () => {
  it('treats only `*` as a wildcard: `rel-[ab]` and `v?` protect only those names (protected variables, CI_COMMIT_REF_PROTECTED)', async () => {
    const project = await createProject()
    const token = project.owner.token
    await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'SECRET', value: 'protected only', protected: true } })
    await commitFile(project, '.gitlab-ci.yml', 'build: {script: [x]}\n')
    await commitFile(project, 'a.txt', 'a', 'rel-a')
    await commitFile(project, 'b.txt', 'b', 'v1')
    for (const name of ['rel-[ab]', 'v?']) {
      expect((await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name } })).status).toBe(201)
    }
    const runner = await SimulatedRunner.create(token, { runner_type: 'project_type', project_id: project.id })
    for (const ref of ['rel-a', 'v1']) {
      expect((await apiJson('POST', `/projects/${project.id}/pipeline`, { token, body: { ref } })).status).toBe(201)
      const job = (await runner.requestJob())!
      const vars = Object.fromEntries(job.payload.variables.map((item: any) => [item.key, item.value]))
      expect(vars.CI_COMMIT_REF_NAME).toBe(ref)
      expect(vars.CI_COMMIT_REF_PROTECTED).toBe('false')
      expect(vars.SECRET).toBeUndefined()
    }
  })
})
