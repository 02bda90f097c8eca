import { describe, expect, it } from 'vitest'
import { addMember, apiJson, commitFile, createProject, createUser, type TestProject } from '../world'

/**
 * CI Lint never shows a CI/CD variable's value. GitLab sources: lib/gitlab/ci/lint.rb
 * (dry_run_convert_to_jobs prints job.options.dig(:environment, :name), the name as written),
 * lib/gitlab/ci/pipeline/chain/validate/abilities.rb (the dry run is pipeline creation: a caller
 * who cannot update a protected branch gets "Insufficient permissions for protected ref"; a caller
 * who cannot create pipelines gets "Insufficient permissions to create a new pipeline", no
 * merged_yaml, no includes), spec/requests/api/lint_spec.rb ("returns pipeline creation error"),
 * lib/gitlab/ci/config/external/context.rb (mask_variables_from: masked values in errors).
 */

const SECRET = 's3cr3tvalue123'
const CONFIG = [
  'deploy: {script: x, environment: {name: "review/$DEPLOY_SECRET", url: "https://$DEPLOY_SECRET.example.com"}}',
  'check: {script: y, rules: [{if: $DEPLOY_SECRET =~ /cr3t/}]}',
  '',
].join('\n')

/** A project whose protected `main` (developers may push) holds the config, with a hidden, protected variable. */
async function projectWithSecret(visibility: 'private' | 'public' = 'private', pushAccessLevel = 30): Promise<TestProject> {
  const project = await createProject({ visibility })
  await commitFile(project, '.gitlab-ci.yml', CONFIG)
  const token = project.owner.token
  const protection = await apiJson('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main', push_access_level: pushAccessLevel } })
  expect(protection.status).toBe(201)
  const variable = await apiJson('POST', `/projects/${project.id}/variables`, { token, body: { key: 'DEPLOY_SECRET', value: SECRET, protected: true, masked_and_hidden: true } })
  expect(variable.status).toBe(201)
  return project
}

describe('CI Lint dry run and CI/CD variables', () => {
  it('a developer\'s dry run shows the environment name as written; the secret is nowhere in the answer', async () => {
    const project = await projectWithSecret()
    const developer = await createUser()
    await addMember(project, developer, 30)
    const posted = await apiJson('POST', `/projects/${project.id}/ci/lint`, { token: developer.token, body: { content: CONFIG, dry_run: true, include_jobs: true } })
    expect(posted).toMatchObject({ status: 200, body: { valid: true, errors: [] } })
    // rules:if saw the variable (the job is there), its value is not shown.
    expect(posted.body.jobs.map((job: any) => [job.name, job.environment])).toEqual([['deploy', 'review/$DEPLOY_SECRET'], ['check', null]])
    expect(JSON.stringify(posted.body)).not.toContain(SECRET)
    const got = await apiJson('GET', `/projects/${project.id}/ci/lint?dry_run=true&include_jobs=true`, { token: developer.token })
    expect(got.body.jobs.map((job: any) => job.environment)).toEqual(['review/$DEPLOY_SECRET', null])
    expect(JSON.stringify(got.body)).not.toContain(SECRET)
  })

  it('anonymous callers (public project) and reporters get the pipeline-creation error, without merged_yaml or includes', async () => {
    const project = await projectWithSecret('public')
    const reporter = await createUser()
    await addMember(project, reporter, 20)
    const url = `/projects/${project.id}/ci/lint?dry_run=true&include_jobs=true`
    for (const token of [null, reporter.token]) {
      const res = await apiJson('GET', url, { token })
      expect(res).toMatchObject({ status: 200 })
      expect(res.body).toEqual({ valid: false, errors: ['Insufficient permissions to create a new pipeline'], warnings: [], merged_yaml: null, includes: null, jobs: [] })
    }
    // The static check stays open to them (read_code) and knows no variable values.
    const plain = await apiJson('GET', `/projects/${project.id}/ci/lint?include_jobs=true`, { token: null })
    expect(plain.body).toMatchObject({ valid: true })
    expect(JSON.stringify(plain.body)).not.toContain(SECRET)
  })

  it('a developer who may not update the protected branch gets "Insufficient permissions for protected ref"', async () => {
    const project = await projectWithSecret('private', 40)
    const developer = await createUser()
    await addMember(project, developer, 30)
    const res = await apiJson('POST', `/projects/${project.id}/ci/lint`, { token: developer.token, body: { content: CONFIG, dry_run: true, include_jobs: true } })
    expect(res.body).toEqual({ valid: false, errors: ["Insufficient permissions for protected ref 'main'"], warnings: [], merged_yaml: null, includes: null, jobs: [] })
    // A branch that does not exist is "Reference not found", as GitLab leaves it to the ref check.
    const missing = await apiJson('POST', `/projects/${project.id}/ci/lint`, { token: developer.token, body: { content: CONFIG, dry_run: true, ref: 'nope' } })
    expect(missing.body).toMatchObject({ valid: false, errors: ['Reference not found'] })
    // The maintainer may.
    const owner = await apiJson('POST', `/projects/${project.id}/ci/lint`, { token: project.owner.token, body: { content: CONFIG, dry_run: true } })
    expect(owner.body).toMatchObject({ valid: true })
  })

  it('a pipeline-creation error masks a masked variable\'s value', async () => {
    const project = await projectWithSecret()
    const content = 'include: "ci/$DEPLOY_SECRET.yml"\na: {script: x}\n'
    await commitFile(project, '.gitlab-ci.yml', content, 'main', 'PUT')
    const res = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
    expect(res.status).toBe(400)
    expect(JSON.stringify(res.body)).not.toContain(SECRET)
    expect(JSON.stringify(res.body)).toContain('ci/[MASKED].yml')
  })
})
