import { describe, expect, it } from 'vitest'
import { jobsByName, pipelineStatus } from '../job-driver'
import { bytesOf, gzip, SimulatedRunner } from '../runner-client'
import { api, apiJson, createPipelineFrom, createProject } from '../world'

const CI = `
stages: [build, test]
compile:
  stage: build
  before_script:
    - echo preparing
  script:
    - make
  after_script:
    - echo cleanup
  artifacts:
    paths: [out/]
    expire_in: 1 week
unit:
  stage: test
  script: make test
`

async function traceOf(projectId: number, jobId: number, token: string, query = ''): Promise<string> {
  const response = await api('GET', `/projects/${projectId}/jobs/${jobId}/trace${query}`, { token })
  expect(response.status).toBe(200)
  return response.text()
}

describe('a stock runner runs a pipeline end to end', () => {
  it('registers, runs a job with a streamed log and an artifact, and the next stage starts', async () => {
    const project = await createProject()
    const owner = project.owner.token
    const pipeline = await createPipelineFrom(project, CI)
    let jobs = await jobsByName(project, pipeline.id)
    expect(jobs.compile.status).toBe('pending')

    const runner = await SimulatedRunner.create(owner, { runner_type: 'project_type', project_id: project.id, description: 'e2e' })
    const job = (await runner.requestJob())!
    expect(job.id).toBe(jobs.compile.id)
    expect(job.token).toMatch(/^glcbt-/)
    expect(job.payload.steps[0]).toMatchObject({ name: 'script', script: ['echo preparing', 'make'], when: 'on_success' })
    expect(job.payload.git_info.repo_url).toBe(`https://gitlab-ci-token:${job.token}@gitlab.example.com/${project.path_with_namespace}.git`)

    // The first PUT after pickup is a heartbeat.
    expect(await job.accept()).toMatchObject({ status: 200, jobStatus: 'running', body: '200' })

    // The log streams in chunks; a re-sent chunk and an out-of-order chunk are refused with 416.
    expect(await job.patch('line 1\n')).toMatchObject({ status: 202, range: '0-7', jobStatus: 'running' })
    expect(await job.patch('line 1\n', 0)).toMatchObject({ status: 416, range: '0-7' })
    expect(await job.patch('line 3\n', 14)).toMatchObject({ status: 416, range: '0-7' })
    expect(job.offset).toBe(7)
    expect(await job.patch('line 2\n')).toMatchObject({ status: 202, range: '0-14' })
    expect(await traceOf(project.id, job.id, owner)).toBe('line 1\nline 2\n')
    expect(await traceOf(project.id, job.id, owner, '?byte_offset=5&byte_limit=4')).toBe('1\nli')

    // The job asks about itself with its token.
    const self = await apiJson('GET', '/job', { token: null, headers: { 'JOB-TOKEN': job.token } })
    expect(self.status).toBe(200)
    expect(self.body).toMatchObject({ id: job.id, name: 'compile', status: 'running' })

    const archive = bytesOf(3000)
    expect((await job.uploadArtifact([archive.subarray(0, 1000), archive.subarray(1000)])).status).toBe(201)
    expect(await job.patch('line 3\n')).toMatchObject({ status: 202, range: '0-21' })
    expect(await job.finish('success', { exit_code: 0 })).toMatchObject({ status: 200, jobStatus: 'success' })

    jobs = await jobsByName(project, pipeline.id)
    expect(jobs.compile.status).toBe('success')
    expect(jobs.unit.status).toBe('pending')

    // After archiving, the log reads the same, slices included.
    expect(await traceOf(project.id, job.id, owner)).toBe('line 1\nline 2\nline 3\n')
    expect(await traceOf(project.id, job.id, owner, '?byte_offset=14&byte_limit=4')).toBe('line')
    const shown = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: owner })
    expect(shown.body.artifacts_file).toEqual({ filename: 'artifacts.zip', size: 3000 })
    expect(shown.body.artifacts).toEqual(expect.arrayContaining([
      { file_type: 'archive', size: 3000, filename: 'artifacts.zip', file_format: 'zip' },
      { file_type: 'trace', size: 21, filename: 'job.log', file_format: 'raw' },
    ]))
    expect(shown.body.runner).toMatchObject({ description: 'e2e', runner_type: 'project_type' })
    expect(shown.body.runner_manager).toMatchObject({ system_id: runner.systemId, version: '19.4.0', platform: 'linux' })

    // The token died with the job.
    expect((await apiJson('GET', '/job', { token: null, headers: { 'JOB-TOKEN': job.token } })).status).toBe(401)

    // The next stage gets the archive as a dependency and downloads it with its own token.
    const unit = (await runner.requestJob())!
    expect(unit.id).toBe(jobs.unit.id)
    expect(unit.payload.dependencies).toEqual([{ id: job.id, name: 'compile', token: unit.token, artifacts_file: { filename: 'artifacts.zip', size: 3000 } }])
    const downloaded = await unit.downloadArtifacts(job.id)
    expect(downloaded.status).toBe(200)
    expect(new Uint8Array(await downloaded.arrayBuffer())).toEqual(archive)
    expect((await unit.accept()).status).toBe(200)
    expect((await unit.finish('success')).jobStatus).toBe('success')
    expect(await pipelineStatus(project, pipeline.id)).toBe('success')
    expect(await runner.requestJob()).toBeNull()
  })
})

const DOTENV_CI = `
stages: [build, deploy]
build:
  stage: build
  script: echo "VERSION=1.4.2" > build.env
  artifacts:
    paths: [dist/]
    reports:
      dotenv: build.env
deploy:
  stage: deploy
  script: echo deploying $VERSION
`

describe('a runner whose upload reply is lost, and a dotenv report', () => {
  // app/services/ci/job_artifacts/create_service.rb sha256_matches_existing_artifact?: the
  // uploader's retry of the same file is 201; app/services/ci/parse_dotenv_artifact_service.rb
  // and Ci::Build#dependency_variables: the report's variables reach the next stage's payload.
  it('retries an artifact upload after a lost reply, the job succeeds, and VERSION reaches deploy', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, DOTENV_CI)
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    const build = (await runner.requestJob())!
    expect(build.payload.job_info.name).toBe('build')
    expect(await build.accept()).toMatchObject({ status: 200 })
    expect(await build.patch('$ echo "VERSION=1.4.2" > build.env\n')).toMatchObject({ status: 202 })
    const archive = bytesOf(4096, 11)
    const retried = await build.uploadArtifactLosingFirstReply([archive])
    expect(retried.status).toBe(201)
    expect(await retried.text()).toBe('201')
    // The runner uploads each report of the payload's `artifacts` as its type and format say.
    const report = build.payload.artifacts.find((entry: any) => entry.artifact_type === 'dotenv')
    expect(report).toMatchObject({ name: '.env', paths: ['build.env'], artifact_format: 'gzip' })
    const dotenv = await gzip('VERSION=1.4.2\n')
    const reportQuery = { artifact_type: report.artifact_type, artifact_format: report.artifact_format }
    expect((await build.uploadArtifactLosingFirstReply([dotenv], { filename: '.env.gz', query: reportQuery })).status).toBe(201)
    expect(await build.finish('success', { exit_code: 0 })).toMatchObject({ status: 200, jobStatus: 'success' })

    const jobs = await jobsByName(project, pipeline.id)
    expect(jobs.build.status).toBe('success')
    expect(jobs.build.artifacts.map((a: any) => a.file_type).sort()).toEqual(['archive', 'dotenv', 'trace'])
    const deploy = (await runner.requestJob())!
    expect(deploy.id).toBe(jobs.deploy.id)
    expect(deploy.payload.variables).toContainEqual({ key: 'VERSION', value: '1.4.2', public: false, masked: false })
    const downloaded = await deploy.downloadArtifacts(build.id)
    expect(new Uint8Array(await downloaded.arrayBuffer())).toEqual(archive)
    expect((await deploy.accept()).status).toBe(200)
    expect((await deploy.finish('success')).jobStatus).toBe('success')
    expect(await pipelineStatus(project, pipeline.id)).toBe('success')
  })
})

const ONE_JOB = `
build:
  script: make
`

describe('runners racing for jobs', () => {
  it('gives a pending job to exactly one of two runners polling at the same time (20 rounds)', async () => {
    const project = await createProject()
    const owner = project.owner.token
    await createPipelineFrom(project, ONE_JOB)
    const body = { runner_type: 'project_type', project_id: project.id }
    const [a, b] = await Promise.all([SimulatedRunner.create(owner, body), SimulatedRunner.create(owner, body)])
    const seen = new Set<number>()
    for (let round = 0; round < 20; round++) {
      if (round > 0) expect((await apiJson('POST', `/projects/${project.id}/pipeline`, { token: owner, body: { ref: 'main' } })).status).toBe(201)
      const [left, right] = await Promise.all([a.requestJob(), b.requestJob()])
      const winners = [left, right].filter((job) => job !== null)
      expect(winners).toHaveLength(1)
      expect(seen.has(winners[0]!.id)).toBe(false)
      seen.add(winners[0]!.id)
    }
    expect(seen.size).toBe(20)
  })
})

describe('canceling a running job', () => {
  async function runningJob(graceful: boolean) {
    const project = await createProject()
    await createPipelineFrom(project, ONE_JOB)
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id }, { graceful })
    const job = (await runner.requestJob())!
    expect((await job.accept()).status).toBe(200)
    expect((await job.patch('working\n')).status).toBe(202)
    return { project, job }
  }

  it('tells a graceful runner `canceling` on its next calls and ends canceled after its final PUT', async () => {
    const { project, job } = await runningJob(true)
    const canceled = await apiJson('POST', `/projects/${project.id}/jobs/${job.id}/cancel`, { token: project.owner.token })
    expect(canceled.body.status).toBe('canceling')
    expect(await job.patch('after_script\n')).toMatchObject({ status: 202, jobStatus: 'canceling' })
    expect(await job.update('running')).toMatchObject({ status: 200, jobStatus: 'canceling' })
    // Artifacts may still be uploaded while canceling.
    expect((await job.uploadArtifact([bytesOf(10)])).status).toBe(201)
    // The runner's cancel maps job_canceled to unknown_failure; GitLab ends the job canceled.
    expect(await job.finish('failed', { failure_reason: 'unknown_failure' })).toMatchObject({ status: 200, jobStatus: 'canceled' })
    const shown = await apiJson('GET', `/projects/${project.id}/jobs/${job.id}`, { token: project.owner.token })
    expect(shown.body.status).toBe('canceled')
    expect(await traceOf(project.id, job.id, project.owner.token)).toBe('working\nafter_script\n')
  })

  it('makes a runner without graceful cancel abort: 403 with Job-Status canceled', async () => {
    const { project, job } = await runningJob(false)
    const canceled = await apiJson('POST', `/projects/${project.id}/jobs/${job.id}/cancel`, { token: project.owner.token })
    expect(canceled.body.status).toBe('canceled')
    expect(await job.patch('more\n')).toMatchObject({ status: 403, jobStatus: 'canceled' })
    expect(await job.update('running')).toMatchObject({ status: 403, jobStatus: 'canceled' })
    expect(await job.finish('failed', { failure_reason: 'unknown_failure' })).toMatchObject({ status: 403, jobStatus: 'canceled' })
    expect(await traceOf(project.id, job.id, project.owner.token)).toBe('working\n')
  })
})
