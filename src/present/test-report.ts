import { countOf, sortedCases, totalCount, type BuildTestResult, type TestCase, type TestReport, type TestSuite } from '../ci/test-reports'

/**
 * TestReportEntity / TestSuiteEntity (details: true) / TestCaseEntity, and TestReportSummaryEntity
 * / TestSuiteSummaryEntity (app/serializers/). `attachment_url` only for a case with an
 * attachment (`[[ATTACHMENT|path]]` in a failure's system-out), as the job's artifact file URL.
 */
export interface TestReportLinks {
  externalUrl: string
  projectFullPath: string
}

function counts(suite: TestSuite) {
  return {
    total_count: totalCount(suite),
    success_count: countOf(suite, 'success'),
    failed_count: countOf(suite, 'failed'),
    skipped_count: countOf(suite, 'skipped'),
    error_count: countOf(suite, 'error'),
  }
}

function testCase(item: TestCase, links: TestReportLinks) {
  const out: Record<string, unknown> = {
    status: item.status, name: item.name, classname: item.classname, file: item.file, execution_time: item.execution_time,
    system_output: item.system_output, stack_trace: item.stack_trace,
  }
  if (item.attachment) out.attachment_url = `${links.externalUrl}/${links.projectFullPath}/-/jobs/${item.jobId}/artifacts/file/${item.attachment}`
  return out
}

export function testReport(report: TestReport, links: TestReportLinks) {
  const suites = [...report.suites.values()].map((suite) => ({
    name: suite.name,
    total_time: suite.total_time,
    ...counts(suite),
    suite_error: suite.suite_error,
    test_cases: sortedCases(suite).map((item) => testCase(item, links)),
  }))
  const sum = (field: 'total_count' | 'success_count' | 'failed_count' | 'skipped_count' | 'error_count') => suites.reduce((n, s) => n + s[field], 0)
  return {
    total_time: [...report.suites.values()].reduce((n, s) => n + s.total_time, 0),
    total_count: sum('total_count'),
    success_count: sum('success_count'),
    failed_count: sum('failed_count'),
    skipped_count: sum('skipped_count'),
    error_count: sum('error_count'),
    test_suites: suites,
  }
}

/** Gitlab::Ci::Reports::TestReportSummary over the builds' own results, grouped by suite name. */
export function testReportSummary(builds: BuildTestResult[]) {
  const groups = new Map<string, BuildTestResult[]>()
  for (const build of builds) {
    const group = groups.get(build.suite.name)
    if (group) group.push(build)
    else groups.set(build.suite.name, [build])
  }
  const summary = (results: BuildTestResult[]) => {
    const add = (of: (suite: TestSuite) => number) => results.reduce((n, r) => n + of(r.suite), 0)
    const success = add((s) => countOf(s, 'success'))
    const failed = add((s) => countOf(s, 'failed'))
    const skipped = add((s) => countOf(s, 'skipped'))
    const error = add((s) => countOf(s, 'error'))
    return {
      time: add((s) => s.total_time), count: success + failed + skipped + error, success, failed, skipped, error,
      suite_error: results.map((r) => r.suite.suite_error).find((e) => e !== null) ?? null,
    }
  }
  const total = summary(builds)
  return {
    total,
    test_suites: [...groups.entries()].map(([name, results]) => {
      const s = summary(results)
      return {
        name, total_time: s.time, total_count: s.count, success_count: s.success, failed_count: s.failed, skipped_count: s.skipped,
        error_count: s.error, build_ids: results.map((r) => r.jobId), suite_error: s.suite_error,
      }
    }),
  }
}
