import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { eventually, jobsByName } from '../job-driver'
import { artifactsMetadata, SimulatedRunner } from '../runner-client'
import { apiJson, createPipelineFrom, createProject, type TestProject } from '../world'

/**
 * `trigger: include: [{artifact, job}]`: a child pipeline from a file a parent job made. GitLab
 * sources: lib/gitlab/ci/config/external/file/artifact.rb (messages, child pipelines only),
 * lib/gitlab/ci/artifact_file_reader.rb (metadata required, path checks), Ci::Pipeline#
 * find_job_with_archive_artifacts.
 */


const PARENT = (include: string) => `
generate:
  stage: build
  script: ./make-ci > generated.yml
  artifacts: {paths: [generated.yml]}
child:
  stage: test
  trigger:
    include:
      - ${include}
    strategy: depend
`

/** Runs the parent's `generate` job through the runner protocol, uploading `files` as its archive. */
async function runGenerate(project: TestProject, files: Record<string, string>, withMetadata = true): Promise<void> {
  const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
  const job = (await runner.requestJob())!
  expect((await job.accept()).status).toBe(200)
  const archive = zipSync(Object.fromEntries(Object.entries(files).map(([path, text]) => [path, new TextEncoder().encode(text)])))
  const metadata = withMetadata ? await artifactsMetadata(Object.fromEntries(Object.keys(files).map((path) => [path, { modified: 0, mode: '644', size: 1 }]))) : undefined
  expect((await job.uploadArtifact([archive], { metadata })).status).toBe(201)
  expect((await job.finish('success')).status).toBe(200)
}

async function childOf(project: TestProject, pipelineId: number) {
  return eventually(async () => {
    const bridges = await apiJson('GET', `/projects/${project.id}/pipelines/${pipelineId}/bridges`, { token: project.owner.token })
    const bridge = bridges.body[0]
    expect(['running', 'failed', 'success']).toContain(bridge.status)
    return bridge
  }, 8000)
}

describe('include:artifact', () => {
  it('creates the child pipeline from the parent job\'s artifact file', async () => {
    const project = await createProject()
    const parent = await createPipelineFrom(project, PARENT('{artifact: generated.yml, job: generate}'))
    await runGenerate(project, { 'generated.yml': 'dynamic-a:\n  script: echo a\ndynamic-b:\n  script: echo b\n' })
    const bridge = await childOf(project, parent.id)
    expect(bridge.status).toBe('running')
    const child = bridge.downstream_pipeline
    expect(child).toMatchObject({ source: 'parent_pipeline' })
    const jobs = await jobsByName(project, child.id)
    expect(Object.keys(jobs).sort()).toEqual(['dynamic-a', 'dynamic-b'])
  })

  it('a missing path fails the bridge (downstream_pipeline_creation_failed)', async () => {
    const project = await createProject()
    const parent = await createPipelineFrom(project, PARENT('{artifact: other.yml, job: generate}'))
    await runGenerate(project, { 'generated.yml': 'a:\n  script: x\n' })
    const bridge = await childOf(project, parent.id)
    expect(bridge).toMatchObject({ status: 'failed', failure_reason: 'downstream_pipeline_creation_failed', downstream_pipeline: null })
  })

  it('outside a child pipeline it is refused with GitLab\'s message', async () => {
    const project = await createProject()
    const { commitFile } = await import('../world')
    await commitFile(project, '.gitlab-ci.yml', 'include:\n  - artifact: generated.yml\n    job: generate\nx:\n  script: y\n')
    const res = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
    expect(res).toMatchObject({ status: 400, body: { message: { base: ['Including configs from artifacts is only allowed when triggering child pipelines'] } } })
  })
})
