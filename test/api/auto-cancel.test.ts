import { describe, expect, it } from 'vitest'
import { eventually, jobsByName, pipelineStatus, runJob, startJob } from '../job-driver'
import { apiJson, commitFile, createPipelineFrom, createProject, type TestProject } from '../world'

/**
 * Auto-cancel of redundant pipelines and on job failure, through the API. GitLab sources:
 * app/services/ci/pipeline_creation/cancel_redundant_pipelines_service.rb (which pipelines,
 * conservative vs interruptible), lib/gitlab/ci/pipeline/chain/cancel_pending_pipelines.rb (every
 * new pipeline), app/models/ci/pipeline.rb (auto_cancel_on_new_commit default `conservative`,
 * conservative_interruptible, cancel_async_on_job_failure), app/services/ci/cancel_pipeline_service.rb
 * (safe_cancellation), app/models/ci/processable.rb (after_transition to failed),
 * lib/api/helpers/projects_helpers.rb (auto_cancel_pending_pipelines: disabled/enabled).
 */

const statuses = async (project: TestProject, pipelineId: number) =>
  Object.fromEntries(Object.entries(await jobsByName(project, pipelineId)).map(([name, job]) => [name, job.status]))

/** A new commit on main (so the next pipeline is on another sha), then a pipeline. */
async function nextPipeline(project: TestProject, ci: string): Promise<any> {
  await commitFile(project, `bump-${Date.now()}-${Math.random()}.txt`, 'x')
  return createPipelineFrom(project, ci)
}

const TWO_STAGES = (extra = '') => `
${extra}
build:
  stage: build
  script: make
  interruptible: true
test:
  stage: test
  script: test
`

describe('auto-cancel redundant pipelines (on_new_commit)', () => {
  it('conservative (default): an older pipeline whose started builds are all interruptible is canceled whole', async () => {
    const project = await createProject()
    const old = await createPipelineFrom(project, TWO_STAGES())
    const jobs = await jobsByName(project, old.id)
    await startJob(jobs.build.id) // running, interruptible
    const created = await nextPipeline(project, TWO_STAGES())
    expect(await statuses(project, old.id)).toEqual({ build: 'canceled', test: 'canceled' })
    expect(await pipelineStatus(project, old.id)).toBe('canceled')
    expect(await statuses(project, created.id)).toEqual({ build: 'pending', test: 'created' })
  })

  it('conservative: a started build that is not interruptible keeps the older pipeline running', async () => {
    const project = await createProject()
    const ci = `
build: {stage: build, script: make}
test: {stage: test, script: test, interruptible: true}
`
    const old = await createPipelineFrom(project, ci)
    const jobs = await jobsByName(project, old.id)
    await runJob(jobs.build.id, 'success') // started, not interruptible
    await nextPipeline(project, ci)
    expect(await statuses(project, old.id)).toEqual({ build: 'success', test: 'pending' })
  })

  it('interruptible: only the interruptible jobs of the older pipeline are canceled', async () => {
    const project = await createProject()
    const ci = `
workflow: {auto_cancel: {on_new_commit: interruptible}}
a: {stage: build, script: a, interruptible: true}
b: {stage: build, script: b}
c: {stage: test, script: c, interruptible: true}
`
    const old = await createPipelineFrom(project, ci)
    const jobs = await jobsByName(project, old.id)
    await startJob(jobs.b.id)
    await nextPipeline(project, ci)
    expect(await statuses(project, old.id)).toEqual({ a: 'canceled', b: 'running', c: 'canceled' })
  })

  it('none (here from a workflow rule, merged over workflow:auto_cancel): nothing is canceled', async () => {
    const project = await createProject()
    const ci = TWO_STAGES(`
workflow:
  auto_cancel: {on_new_commit: interruptible}
  rules:
    - if: $CI_COMMIT_REF_NAME == "main"
      auto_cancel: {on_new_commit: none}
`)
    const old = await createPipelineFrom(project, ci)
    await nextPipeline(project, ci)
    expect(await statuses(project, old.id)).toEqual({ build: 'pending', test: 'created' })
  })

  it('pipelines on the same sha or on other refs are left alone', async () => {
    const project = await createProject()
    const old = await createPipelineFrom(project, TWO_STAGES())
    // same sha (no new commit): not redundant
    await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'main' } })
    expect(await statuses(project, old.id)).toEqual({ build: 'pending', test: 'created' })
    // another ref
    await commitFile(project, 'other.txt', 'x', 'feature')
    const other = await apiJson('POST', `/projects/${project.id}/pipeline`, { token: project.owner.token, body: { ref: 'feature' } })
    expect(other.status).toBe(201)
    expect(await statuses(project, old.id)).toEqual({ build: 'pending', test: 'created' })
  })

  it('the project setting auto_cancel_pending_pipelines (GET/PUT /projects/:id) turns it off', async () => {
    const project = await createProject()
    const token = project.owner.token
    const shown = await apiJson('GET', `/projects/${project.id}`, { token })
    expect(shown.body.auto_cancel_pending_pipelines).toBe('enabled')
    const bad = await apiJson('PUT', `/projects/${project.id}`, { token, body: { auto_cancel_pending_pipelines: 'maybe' } })
    expect(bad).toMatchObject({ status: 400, body: { error: 'auto_cancel_pending_pipelines does not have a valid value' } })
    const put = await apiJson('PUT', `/projects/${project.id}`, { token, body: { auto_cancel_pending_pipelines: 'disabled' } })
    expect(put.body.auto_cancel_pending_pipelines).toBe('disabled')
    const old = await createPipelineFrom(project, TWO_STAGES())
    await nextPipeline(project, TWO_STAGES())
    expect(await statuses(project, old.id)).toEqual({ build: 'pending', test: 'created' })
  })
})

describe('auto-cancel on job failure (on_job_failure)', () => {
  it('all: a failing job cancels the rest of the pipeline; none (default) does not', async () => {
    const project = await createProject()
    const ci = (mode: string) => `
workflow: {auto_cancel: {on_job_failure: ${mode}}}
a: {stage: build, script: a}
b: {stage: build, script: b}
c: {stage: test, script: c, when: always}
`
    const all = await createPipelineFrom(project, ci('all'))
    const jobs = await jobsByName(project, all.id)
    await startJob(jobs.b.id)
    await runJob(jobs.a.id, 'failed')
    await eventually(async () => expect(await statuses(project, all.id)).toEqual({ a: 'failed', b: 'canceled', c: 'canceled' }))

    const project2 = await createProject()
    const none = await createPipelineFrom(project2, ci('none'))
    const jobs2 = await jobsByName(project2, none.id)
    await runJob(jobs2.a.id, 'failed')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await statuses(project2, none.id)).toEqual({ a: 'failed', b: 'pending', c: 'created' })
  })

  it('all: a job allowed to fail does not cancel anything', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, `
workflow: {auto_cancel: {on_job_failure: all}}
a: {stage: build, script: a, allow_failure: true}
b: {stage: build, script: b}
`)
    const jobs = await jobsByName(project, pipeline.id)
    await runJob(jobs.a.id, 'failed')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await statuses(project, pipeline.id)).toEqual({ a: 'failed', b: 'pending' })
  })
})
