import { gunzipMembers, GzipError } from '../blob/gzip-members'
import { newTestReport, parseJunit, suiteOf, testSuiteName, type BuildTestResult, type TestReport, type TestSuite } from '../ci/test-reports'
import type { ReportArtifactRow } from '../db/artifacts'
import type { Env } from '../env'

/** The most a pipeline's junit reports may inflate to before a suite gives up (a gzip bomb). */
export const MAX_JUNIT_BYTES = 32 * 1024 * 1024


/**
 * Ci::Pipeline#test_reports and the per-build results of #test_report_summary, read from the
 * latest builds' `reports:junit` artifacts in R2 (each gzip member one XML file, parsed as
 * Gitlab::Ci::Parsers::Test::Junit). Builds of one parallel group share a suite.
 */
export async function pipelineTestReports(env: Env, artifacts: ReportArtifactRow[]): Promise<{ report: TestReport; builds: BuildTestResult[] }> {
  const report = newTestReport()
  const byJob = new Map<number, BuildTestResult>()
  let budget = MAX_JUNIT_BYTES
  for (const artifact of artifacts) {
    const name = testSuiteName(artifact.job_name, /:\s*\[.*\]\s*$/.test(artifact.job_name))
    let build = byJob.get(artifact.job_id)
    if (!build) byJob.set(artifact.job_id, (build = { jobId: artifact.job_id, suite: suiteOf(newTestReport(), name) }))
    const object = await env.BLOBS.get(artifact.blob_key)
    if (!object) continue
    const bytes = new Uint8Array(await object.arrayBuffer())
    let files: Uint8Array[]
    try {
      files = artifact.file_format === 'gzip' ? gunzipMembers(bytes, budget) : [bytes]
    } catch (error) {
      if (!(error instanceof GzipError)) throw error
      build.suite.suite_error = `JUnit data parsing failed: ${error.message}`
      continue
    }
    for (const file of files) {
      budget -= file.byteLength
      parseJunit(new TextDecoder().decode(file), build.suite, artifact.job_id)
    }
  }
  for (const build of byJob.values()) mergeInto(suiteOf(report, build.suite.name), build.suite)
  return { report, builds: [...byJob.values()] }
}

/** TestSuite#+ (deep_merge of the cases); a suite error of any build stays the suite's. */
function mergeInto(target: TestSuite, source: TestSuite): void {
  for (const [status, cases] of source.cases) {
    let bucket = target.cases.get(status)
    if (!bucket) target.cases.set(status, (bucket = new Map()))
    for (const [key, testCase] of cases) bucket.set(key, testCase)
  }
  target.total_time += source.total_time
  if (source.suite_error) target.suite_error = source.suite_error
}
