import { describe, expect, it } from 'vitest'
import { addMember, apiJson, commitFile, createProject, createUser } from '../world'

/**
 * CI Lint through HTTP. GitLab sources: lib/api/lint.rb (POST: create_pipeline; GET: read_code,
 * content_ref/sha, dry_run_ref/ref, mutually exclusive), lib/gitlab/ci/lint.rb (static
 * validation and the dry run, the jobs' fields), lib/api/entities/ci/lint/result.rb,
 * lib/gitlab/ci/config/external/file/local.rb (include metadata), spec/requests/api/lint_spec.rb.
 */

const CONTENT = [
  'include: ci/common.yml',
  'stages: [build, test]',
  'build: {stage: build, extends: .base, script: make, tags: [linux], environment: prod}',
  'test: {stage: test, script: [check], needs: [build], rules: [{if: $CI_COMMIT_BRANCH == "nope"}]}',
  '',
].join('\n')

async function projectWithInclude() {
  const project = await createProject()
  await commitFile(project, 'ci/common.yml', '.base: {before_script: [setup]}\n')
  return project
}

describe('POST /projects/:id/ci/lint', () => {
  it('a valid config: merged_yaml after includes and extends, the includes, and the static jobs when asked', async () => {
    const project = await projectWithInclude()
    const url = `/projects/${project.id}/ci/lint`
    const plain = await apiJson('POST', url, { token: project.owner.token, body: { content: CONTENT, include_jobs: null } })
    expect(plain.status).toBe(200)
    expect(Object.keys(plain.body)).toEqual(['valid', 'errors', 'warnings', 'merged_yaml', 'includes'])
    expect(plain.body).toMatchObject({ valid: true, errors: [], warnings: [] })
    expect(plain.body.merged_yaml).toMatch(/^---\n/)
    expect(plain.body.merged_yaml).toContain('stages:\n- .pre\n- build\n- test\n- .post\n')
    expect(plain.body.merged_yaml).toContain('build:\n  before_script:\n  - setup\n')
    expect(plain.body.merged_yaml).not.toContain('include:')
    const [include] = plain.body.includes
    expect(Object.keys(include)).toEqual(['context_project', 'context_sha', 'type', 'location', 'blob', 'raw', 'extra'])
    expect(include).toMatchObject({ context_project: project.path_with_namespace, type: 'local', location: 'ci/common.yml', extra: {} })
    expect(include.blob).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/blob/${include.context_sha}/ci/common.yml`)
    expect(include.raw).toBe(`https://gitlab.example.com/${project.path_with_namespace}/-/raw/${include.context_sha}/ci/common.yml`)

    const withJobs = await apiJson('POST', url, { token: project.owner.token, body: { content: CONTENT, include_jobs: true } })
    // The static check does not evaluate rules: `test` is listed.
    expect(withJobs.body.jobs).toEqual([
      {
        name: 'build', stage: 'build', before_script: ['setup'], script: ['make'], after_script: [], tag_list: ['linux'],
        only: { refs: ['branches', 'tags'] }, except: null, environment: 'prod', when: 'on_success', allow_failure: false, needs: null,
      },
      {
        name: 'test', stage: 'test', before_script: [], script: ['check'], after_script: [], tag_list: [], only: null, except: null,
        environment: null, when: 'on_success', allow_failure: false, needs: [{ name: 'build', artifacts: true, optional: false }],
      },
    ])
  })

  it('dry_run simulates creation on the ref: rules are evaluated, a missing ref or a workflow filter is the error', async () => {
    const project = await projectWithInclude()
    const url = `/projects/${project.id}/ci/lint`
    const dry = await apiJson('POST', url, { token: project.owner.token, body: { content: CONTENT, include_jobs: 'true', dry_run: 'yes' } })
    expect(dry).toMatchObject({ status: 200, body: { valid: true, errors: [] } })
    expect(dry.body.jobs).toEqual([
      { name: 'build', stage: 'build', before_script: ['setup'], script: ['make'], after_script: [], tag_list: ['linux'], environment: 'prod', when: 'on_success', allow_failure: false },
    ])
    expect((await apiJson('POST', url, { token: project.owner.token, body: { content: CONTENT, dry_run: true, ref: 'nope' } })).body)
      .toMatchObject({ valid: false, errors: ['Reference not found'] })
    const filtered = 'workflow: {rules: [{if: $CI_COMMIT_BRANCH == "x"}]}\na: {script: x}\n'
    expect((await apiJson('POST', url, { token: project.owner.token, body: { content: filtered, dry_run: true } })).body)
      .toMatchObject({ valid: false, errors: ['Pipeline filtered out by workflow rules.'] })
    // The static check of the same config is valid.
    expect((await apiJson('POST', url, { token: project.owner.token, body: { content: filtered } })).body).toMatchObject({ valid: true })
  })

  it('invalid configs answer 200 with the parser\'s errors; a missing content is 400', async () => {
    const project = await createProject()
    await commitFile(project, 'README.md', 'hi\n')
    const url = `/projects/${project.id}/ci/lint`
    const token = project.owner.token
    const bad = await apiJson('POST', url, { token, body: { content: 'build: {script: 1, foo: 2}\n' } })
    expect(bad).toMatchObject({
      status: 200,
      body: {
        valid: false,
        errors: ['jobs:build config contains unknown keys: foo', 'jobs:build:script config should be a string or a nested array of strings up to 10 levels deep'],
        warnings: [],
      },
    })
    // Entry errors come after the config was built: merged_yaml and includes are there.
    expect(bad.body.merged_yaml).toBe('---\nbuild:\n  script: 1\n  foo: 2\n')
    expect(bad.body.includes).toEqual([])
    expect((await apiJson('POST', url, { token, body: { content: '' } })).body)
      .toEqual({ valid: false, errors: ['Please provide content of .gitlab-ci.yml'], warnings: [], merged_yaml: null, includes: null })
    const yamlError = await apiJson('POST', url, { token, body: { content: 'a: [\n' } })
    expect(yamlError.body).toMatchObject({ valid: false, merged_yaml: null, includes: null })
    expect(yamlError.body.errors).toHaveLength(1)
    const missingInclude = await apiJson('POST', url, { token, body: { content: 'include: nope.yml\na: {script: x}\n' } })
    expect(missingInclude.body).toMatchObject({ valid: false, errors: ['Local file `nope.yml` does not exist!'], includes: null })
    expect(await apiJson('POST', url, { token, body: {} })).toMatchObject({ status: 400, body: { error: 'content is missing' } })
    expect(await apiJson('POST', url, { token, body: { content: 'a: {script: x}', dry_run: 'maybe' } })).toMatchObject({ status: 400, body: { error: 'dry_run is invalid' } })
  })

  it('roles: developer may; reporter 403; outsider of a private project 404; anonymous on a public project 403', async () => {
    const project = await createProject()
    const [developer, reporter, outsider] = await Promise.all([createUser(), createUser(), createUser()])
    await addMember(project, developer, 30)
    await addMember(project, reporter, 20)
    const url = `/projects/${project.id}/ci/lint`
    const body = { content: 'a: {script: x}\n' }
    expect(await apiJson('POST', url, { token: developer.token, body })).toMatchObject({ status: 200, body: { valid: true } })
    expect(await apiJson('POST', url, { token: reporter.token, body })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect(await apiJson('POST', url, { token: outsider.token, body })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await apiJson('POST', url, { token: null, body })).status).toBe(404)
    const open = await createProject({ visibility: 'public' })
    expect((await apiJson('POST', `/projects/${open.id}/ci/lint`, { token: null, body })).status).toBe(403)
  })
})

describe('GET /projects/:id/ci/lint', () => {
  it('lints the project\'s config at content_ref (default: the default branch head), reporters included', async () => {
    const project = await projectWithInclude()
    await commitFile(project, '.gitlab-ci.yml', CONTENT)
    await commitFile(project, '.gitlab-ci.yml', 'broken: {script: x, when: sometimes}\n', 'feature', 'PUT')
    const url = `/projects/${project.id}/ci/lint`
    const reporter = await createUser()
    await addMember(project, reporter, 20)
    const main = await apiJson('GET', `${url}?include_jobs=true`, { token: reporter.token })
    expect(main).toMatchObject({ status: 200, body: { valid: true, errors: [] } })
    expect(main.body.jobs.map((job: any) => job.name)).toEqual(['build', 'test'])
    const feature = await apiJson('GET', `${url}?content_ref=feature`, { token: reporter.token })
    expect(feature.body).toMatchObject({ valid: false })
    expect(feature.body.errors[0]).toContain('jobs:broken when')
    expect(feature.body).not.toHaveProperty('jobs')
    expect((await apiJson('GET', `${url}?sha=feature`, { token: reporter.token })).body.valid).toBe(false)
    const dry = await apiJson('GET', `${url}?dry_run=true&include_jobs=true`, { token: project.owner.token })
    expect(dry.body.jobs.map((job: any) => job.name)).toEqual(['build'])
    // The dry run is Ci::CreatePipelineService as the caller (Gitlab::Ci::Lint#simulate_pipeline_creation):
    // Chain::Validate::Abilities refuses a reporter.
    const reporterDry = await apiJson('GET', `${url}?dry_run=true&include_jobs=true`, { token: reporter.token })
    expect(reporterDry.body).toMatchObject({ valid: false, errors: ['Insufficient permissions to create a new pipeline'], merged_yaml: null, includes: null, jobs: [] })

    expect(await apiJson('GET', `${url}?sha=main&content_ref=main`, { token: reporter.token })).toMatchObject({ status: 400, body: { error: 'sha, content_ref are mutually exclusive' } })
    expect(await apiJson('GET', `${url}?ref=main&dry_run_ref=main`, { token: reporter.token })).toMatchObject({ status: 400, body: { error: 'ref, dry_run_ref are mutually exclusive' } })
    expect(await apiJson('GET', `${url}?content_ref=nope`, { token: reporter.token })).toMatchObject({ status: 404, body: { message: '404 Commit Not Found' } })
    const outsider = await createUser()
    expect((await apiJson('GET', url, { token: outsider.token })).status).toBe(404)
  })

  it('an empty repository is 404 Repository; a project without a config file gets the content error', async () => {
    const empty = await createProject()
    expect(await apiJson('GET', `/projects/${empty.id}/ci/lint`, { token: empty.owner.token })).toMatchObject({ status: 404, body: { message: '404 Repository Not Found' } })
    const noConfig = await createProject({ visibility: 'public' })
    await commitFile(noConfig, 'README.md', 'hi\n')
    expect(await apiJson('GET', `/projects/${noConfig.id}/ci/lint`, { token: null }))
      .toMatchObject({ status: 200, body: { valid: false, errors: ['Please provide content of .gitlab-ci.yml'], merged_yaml: null, includes: null } })
  })
})
