import { describe, expect, it } from 'vitest'
import { concatBytes } from '../../src/bytes'
import { gzip, SimulatedRunner, startRunningJob } from '../runner-client'
import { addMember, apiJson, createPipelineFrom, createProject, createUser } from '../world'

/**
 * Pipeline test reports from `reports:junit` artifacts, through HTTP. GitLab sources:
 * lib/api/ci/pipelines.rb (test_report, test_report_summary; read_build),
 * lib/gitlab/ci/parsers/test/junit.rb, lib/gitlab/ci/reports/test_suite.rb, test_case.rb,
 * test_report_summary.rb, test_suite_summary.rb, app/serializers/test_report_entity.rb,
 * test_suite_entity.rb, test_case_entity.rb, test_report_summary_entity.rb, test_suite_summary_entity.rb.
 */

const CI = `
rspec:
  parallel: 2
  script: rspec
  artifacts: {reports: {junit: report.xml}}
lint:
  script: lint
  artifacts: {reports: {junit: lint.xml}}
`

const FIRST = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites>
  <testsuite name="rspec" tests="3">
    <testcase classname="Calc" name="adds" file="spec/calc_spec.rb" time="0.25"/>
    <testcase classname="Calc" name="divides" time="1.5"><failure message="boom">expected 1 got 2</failure><system-out>[[ATTACHMENT|shots/div.png]]</system-out></testcase>
    <testcase classname="Calc" name="skips" time="0"><skipped/></testcase>
  </testsuite>
</testsuites>`
// A second file of the same upload (its own gzip member), with a bare <testsuite> root.
const SECOND = '<testsuite name="more"><testcase classname="Str" name="errs" time="0.1"><error message="E"/></testcase></testsuite>'
const OTHER_NODE = '<testsuites><testsuite name="rspec"><testcase classname="Calc" name="ok" time="2"/></testsuite></testsuites>'
const BROKEN = '<testsuites><testsuite name="lint"'

async function runPipelineWithReports() {
  const project = await createProject()
  const pipeline = await createPipelineFrom(project, CI)
  const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
  const ids: Record<string, number> = {}
  for (let i = 0; i < 3; i++) {
    const job = (await runner.requestJob())!
    await job.accept()
    const name: string = job.payload.job_info.name
    ids[name] = job.id
    const report = name === 'rspec 1/2' ? concatBytes([await gzip(FIRST), await gzip(SECOND)]) : await gzip(name === 'lint' ? BROKEN : OTHER_NODE)
    const upload = await job.uploadArtifact([report], { filename: 'junit.xml.gz', query: { artifact_type: 'junit', artifact_format: 'gzip' } })
    expect(upload.status).toBe(201)
    await job.finish('success')
  }
  return { project, pipeline, ids }
}

describe('GET /projects/:id/pipelines/:pipeline_id/test_report', () => {
  it('suites by test_suite_name (parallel jobs share one), cases sorted by status then time, counts, suite errors', async () => {
    const { project, pipeline, ids } = await runPipelineWithReports()
    const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/test_report`, { token: project.owner.token })
    expect(res.status).toBe(200)
    const body = res.body
    expect(Object.keys(body)).toEqual(['total_time', 'total_count', 'success_count', 'failed_count', 'skipped_count', 'error_count', 'test_suites'])
    expect(body).toMatchObject({ total_count: 5, success_count: 2, failed_count: 1, skipped_count: 1, error_count: 1 })
    expect(body.total_time).toBeCloseTo(3.85)
    expect(body.test_suites.map((s: any) => s.name)).toEqual(['rspec', 'lint'])
    const [rspec, lint] = body.test_suites
    expect(Object.keys(rspec)).toEqual(['name', 'total_time', 'total_count', 'success_count', 'failed_count', 'skipped_count', 'error_count', 'suite_error', 'test_cases'])
    expect(rspec).toMatchObject({ total_count: 5, success_count: 2, failed_count: 1, skipped_count: 1, error_count: 1, suite_error: null })
    expect(rspec.test_cases.map((t: any) => [t.status, t.name])).toEqual([
      ['error', 'errs'], ['failed', 'divides'], ['success', 'ok'], ['success', 'adds'], ['skipped', 'skips'],
    ])
    const [errs, divides, , adds, skips] = rspec.test_cases
    expect(Object.keys(adds)).toEqual(['status', 'name', 'classname', 'file', 'execution_time', 'system_output', 'stack_trace'])
    expect(adds).toEqual({ status: 'success', name: 'adds', classname: 'Calc', file: 'spec/calc_spec.rb', execution_time: 0.25, system_output: null, stack_trace: null })
    expect(divides).toMatchObject({
      execution_time: 1.5, file: null,
      system_output: 'expected 1 got 2\n\nSystem Out:\n\n[[ATTACHMENT|shots/div.png]]',
      attachment_url: `https://gitlab.example.com/${project.path_with_namespace}/-/jobs/${ids['rspec 1/2']}/artifacts/file/shots/div.png`,
    })
    // An element with attributes only is a Hash in Hash.from_xml, joined as Ruby shows it.
    expect(errs.system_output).toBe('{"message"=>"E"}')
    expect(skips.system_output).toBeNull()
    expect(lint).toMatchObject({ name: 'lint', total_count: 0, success_count: 0, failed_count: 0, skipped_count: 0, error_count: 0, test_cases: [] })
    expect(lint.suite_error).toMatch(/^JUnit XML parsing failed: /)
  })

  it('a pipeline without reports has an empty report; roles: reporter reads, outsider 404, public project without public jobs 403 for anonymous', async () => {
    const project = await createProject()
    const pipeline = await createPipelineFrom(project, 'a: {script: x}\n')
    const url = `/projects/${project.id}/pipelines/${pipeline.id}/test_report`
    expect(await apiJson('GET', url, { token: project.owner.token })).toMatchObject({
      status: 200, body: { total_time: 0, total_count: 0, success_count: 0, failed_count: 0, skipped_count: 0, error_count: 0, test_suites: [] },
    })
    const [reporter, outsider] = await Promise.all([createUser(), createUser()])
    await addMember(project, reporter, 20)
    expect((await apiJson('GET', url, { token: reporter.token })).status).toBe(200)
    expect(await apiJson('GET', url, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await apiJson('GET', url, { token: null })).status).toBe(404)
    // No job_token_allowed on these routes: a job token is no credential here (anonymous → 404).
    const { job } = await startRunningJob('a: {script: x}\n')
    expect((await apiJson('GET', url, { token: null, headers: { 'JOB-TOKEN': job.token } })).status).toBe(404)
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/99999999/test_report`, { token: project.owner.token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    expect(await apiJson('GET', `/projects/${project.id}/pipelines/x/test_report`, { token: project.owner.token })).toMatchObject({ status: 400, body: { error: 'pipeline_id is invalid' } })

    const open = await createProject({ visibility: 'public', public_jobs: false })
    const openPipeline = await createPipelineFrom(open, 'a: {script: x}\n')
    expect(await apiJson('GET', `/projects/${open.id}/pipelines/${openPipeline.id}/test_report`, { token: null })).toMatchObject({ status: 403 })
    const visible = await createProject({ visibility: 'public', public_jobs: true })
    const visiblePipeline = await createPipelineFrom(visible, 'a: {script: x}\n')
    expect((await apiJson('GET', `/projects/${visible.id}/pipelines/${visiblePipeline.id}/test_report_summary`, { token: null })).status).toBe(200)
  })
})

describe('GET /projects/:id/pipelines/:pipeline_id/test_report_summary', () => {
  it('totals and one summary per suite name with its build ids and suite error', async () => {
    const { project, pipeline, ids } = await runPipelineWithReports()
    const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipeline.id}/test_report_summary`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['total', 'test_suites'])
    expect(Object.keys(res.body.total)).toEqual(['time', 'count', 'success', 'failed', 'skipped', 'error', 'suite_error'])
    expect(res.body.total).toMatchObject({ count: 5, success: 2, failed: 1, skipped: 1, error: 1 })
    expect(res.body.total.time).toBeCloseTo(3.85)
    expect(res.body.total.suite_error).toMatch(/^JUnit XML parsing failed: /)
    const [rspec, lint] = res.body.test_suites
    expect(Object.keys(rspec)).toEqual(['name', 'total_time', 'total_count', 'success_count', 'failed_count', 'skipped_count', 'error_count', 'build_ids', 'suite_error'])
    expect(rspec).toMatchObject({ name: 'rspec', total_count: 5, build_ids: [ids['rspec 1/2'], ids['rspec 2/2']].sort((a, b) => a - b), suite_error: null })
    expect(lint).toMatchObject({ name: 'lint', total_count: 0, build_ids: [ids.lint] })
  })
})
