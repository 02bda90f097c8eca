import { describe, expect, it } from 'vitest'
import { eventually } from '../job-driver'
import { addMember, api, apiJson, commitFile, createProject, createUser, type TestProject } from '../world'

/** Pipeline creation reading `include:` files, `rules:exists` and inputs from the repository store. */

async function create(project: TestProject, ci: string, body: Record<string, unknown> = {}, token = project.owner.token) {
  const exists = await api('GET', `/projects/${project.id}/repository/files/.gitlab-ci.yml/raw?ref=main`, { token: project.owner.token })
  await commitFile(project, '.gitlab-ci.yml', ci, 'main', exists.status === 200 ? 'PUT' : 'POST')
  return apiJson('POST', `/projects/${project.id}/pipeline`, { token, body: { ref: 'main', ...body } })
}

async function jobNames(project: TestProject, pipelineId: number): Promise<string[]> {
  const jobs = await apiJson('GET', `/projects/${project.id}/pipelines/${pipelineId}/jobs?per_page=100`, { token: project.owner.token })
  return (jobs.body as { name: string }[]).map((job) => job.name).sort()
}

describe('include', () => {
  it('local files from the pipeline commit, merged under the including file (T12), wildcards included', async () => {
    const project = await createProject()
    await commitFile(project, 'README.md', 'hi')
    await commitFile(project, 'ci/common.yml', 'variables: {A: common, B: common}\ntest: {script: [echo common], stage: test}\n')
    await commitFile(project, 'ci/jobs/lint.yml', 'lint: {script: lint}\n')
    await commitFile(project, 'ci/jobs/docs.yml', 'docs: {script: docs}\n')
    const res = await create(project, 'include: [ci/common.yml, {local: "ci/jobs/*.yml"}]\nvariables: {A: main}\ntest: {script: [echo main]}\n')
    expect(res.status).toBe(201)
    expect(await jobNames(project, res.body.id)).toEqual(['docs', 'lint', 'test'])
  })

  it('GitLab errors for missing, empty and non-YAML local files and bad include items', async () => {
    const project = await createProject()
    await commitFile(project, 'ci/empty.yml', '# nothing here\n')
    await commitFile(project, 'ci/jobs.txt', 'x: 1\n')
    const cases: [string, string][] = [
      ['include: ci/missing.yml\ntest: {script: x}\n', 'Local file `ci/missing.yml` does not exist!'],
      ['include: ci/empty.yml\ntest: {script: x}\n', 'Included file `ci/empty.yml` does not have valid YAML syntax!'],
      ['include: {local: ci/jobs.txt}\ntest: {script: x}\n', 'Included file `ci/jobs.txt` does not have YAML extension!'],
      ['include: [{file: a.yml}]\ntest: {script: x}\n',
        '`{"file":"a.yml"}` does not have a valid subkey for include. Valid subkeys are: `local`, `project`, `remote`, `template`, `artifact`, `component`'],
      ['include: [{local: a.yml, remote: "https://example.com/a.yml"}]\ntest: {script: x}\n',
        'Each include must use only one of: `local`, `project`, `remote`, `template`, `artifact`, `component`'],
      ['include: [1]\ntest: {script: x}\n', 'Each include must be a hash or a string'],
      ['include: {template: Auto-DevOps.gitlab-ci.yml}\ntest: {script: x}\n',
        "Template file `Auto-DevOps.gitlab-ci.yml` is not a valid location! (edgejobs does not ship GitLab's CI templates; set CI_TEMPLATE_BASE_URL to serve them)"],
      ['include: "https://127.0.0.1/ci.yml"\ntest: {script: x}\n', 'Remote file could not be fetched because URL is blocked: Requests to localhost are not allowed!'],
      ['include: {remote: "https://10.1.2.3/ci.yml"}\ntest: {script: x}\n', 'Remote file could not be fetched because URL is blocked: Requests to the local network are not allowed!'],
    ]
    for (const [ci, error] of cases) {
      const res = await create(project, ci)
      expect(res, ci).toMatchObject({ status: 400, body: { message: { base: [error] } } })
    }
  })

  it('an include cycle stops at the 150-file limit', async () => {
    const project = await createProject()
    await commitFile(project, 'a.yml', 'include: b.yml\n')
    await commitFile(project, 'b.yml', 'include: a.yml\n')
    const res = await create(project, 'include: a.yml\ntest: {script: x}\n')
    expect(res).toMatchObject({ status: 400, body: { message: { base: ['Maximum of 150 nested includes are allowed!'] } } })
  })

  it('project files with ref and file lists, as the user may read them', async () => {
    const library = await createProject()
    await commitFile(library, 'templates/build.yml', 'build: {script: make, stage: build}\n')
    await commitFile(library, 'templates/local-in-library.yml', 'include: templates/build.yml\ndeploy: {script: ship, stage: deploy}\n')
    const owner = await createUser()
    const project = await createProject({ owner })
    const ci = `include: {project: ${library.path_with_namespace}, ref: main, file: [templates/local-in-library.yml]}\ntest: {script: x}\n`
    const hidden = await create(project, ci)
    expect(hidden).toMatchObject({
      status: 400,
      body: { message: { base: [`Project \`${library.path_with_namespace}\` not found or access denied! Make sure any includes in the pipeline configuration are correctly defined.`] } },
    })
    await addMember(library, owner, 20)
    const res = await create(project, ci)
    expect(res.status).toBe(201)
    // A local include inside a project file reads that project's file.
    expect(await jobNames(project, res.body.id)).toEqual(['build', 'deploy', 'test'])
    const badRef = await create(project, `include: {project: ${library.path_with_namespace}, ref: nope, file: a.yml}\ntest: {script: x}\n`)
    expect(badRef.body.message.base).toEqual([`Project \`${library.path_with_namespace}\` reference \`nope\` does not exist!`])
  })

  it('components from this server, with inputs (spec:inputs and $[[ inputs.x ]])', async () => {
    const library = await createProject({ visibility: 'public' })
    await commitFile(library, 'templates/lint/template.yml',
      'spec:\n  inputs:\n    stage: {default: test}\n    n: {type: number}\n---\n"lint-$[[ inputs.stage ]]":\n  stage: $[[ inputs.stage ]]\n  script: echo $[[ inputs.n ]]\n  parallel: $[[ inputs.n ]]\n')
    const project = await createProject()
    const address = `gitlab.example.com/${library.path_with_namespace}/lint@main`
    const res = await create(project, `include: [{component: ${address}, inputs: {n: 2}}]\n`)
    expect(res.body).toMatchObject({ status: 'pending' })
    expect(await jobNames(project, res.body.id)).toEqual(['lint-test 1/2', 'lint-test 2/2'])
    const missing = await create(project, `include: [{component: ${address}}]\n`)
    expect(missing.body.message.base).toEqual([`\`${address}\`: \`n\` input: required value has not been provided`])
    const elsewhere = await create(project, `include: [{component: gitlab.com/${library.path_with_namespace}/lint@main}]\n`)
    expect(elsewhere.body.message.base).toEqual([`Component 'gitlab.com/${library.path_with_namespace}/lint@main' - the component path is not supported`])
  })

  it('include:rules with if and exists', async () => {
    const project = await createProject()
    await commitFile(project, 'ci/a.yml', 'a: {script: a}\n')
    await commitFile(project, 'ci/b.yml', 'b: {script: b}\n')
    const ci = [
      'include:',
      '  - {local: ci/a.yml, rules: [{if: $CI_COMMIT_BRANCH == "main"}]}',
      '  - {local: ci/b.yml, rules: [{exists: [nothing/*.txt]}]}',
      'test: {script: x}',
    ].join('\n')
    const res = await create(project, ci)
    expect(await jobNames(project, res.body.id)).toEqual(['a', 'test'])
  })
})

describe('child pipelines of several includes', () => {
  it('trigger:include takes up to three include items of any kind, with inputs', async () => {
    const project = await createProject()
    await commitFile(project, 'ci/a.yml', 'child_a: {script: a}\n')
    await commitFile(project, 'ci/b.yml', 'spec: {inputs: {who: }}\n---\n"child_$[[ inputs.who ]]": {script: b}\n')
    const res = await create(project, 'kid:\n  trigger:\n    include: [ci/a.yml, {local: ci/b.yml, inputs: {who: bob}}]\n')
    expect(res.status).toBe(201)
    const bridge = await eventually(async () => {
      const bridges = await apiJson('GET', `/projects/${project.id}/pipelines/${res.body.id}/bridges`, { token: project.owner.token })
      expect(bridges.body[0].downstream_pipeline).not.toBeNull()
      return bridges.body[0]
    })
    expect(await jobNames(project, bridge.downstream_pipeline.id)).toEqual(['child_a', 'child_bob'])
  })
})

describe('pipeline inputs and rules:exists', () => {
  it('inputs on creation fill the main file header; unknown inputs are refused', async () => {
    const project = await createProject()
    const ci = 'spec:\n  inputs:\n    target: {options: [staging, production], default: staging}\n---\ndeploy:\n  script: echo $[[ inputs.target ]]\n'
    const res = await create(project, ci, { inputs: { target: 'production' } })
    expect(res.status).toBe(201)
    const bad = await create(project, ci, { inputs: { target: 'moon' } })
    expect(bad.body.message.base).toEqual(['`target` input: `moon` cannot be used because it is not in the list of allowed options'])
    const unknown = await create(project, 'test: {script: x}\n', { inputs: { x: 1 } })
    expect(unknown.body.message.base).toEqual(['Given inputs not defined in the `spec` section of the included configuration file'])
  })

  it('rules:exists reads the commit tree', async () => {
    const project = await createProject()
    await commitFile(project, 'package.json', '{}')
    const ci = 'node: {script: npm test, rules: [{exists: ["*.json"]}]}\ngo: {script: go test, rules: [{exists: [go.mod]}]}\n'
    const res = await create(project, ci)
    expect(res.status).toBe(201)
    expect(await jobNames(project, res.body.id)).toEqual(['node'])
  })
})
