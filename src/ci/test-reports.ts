import { XMLParser, XMLValidator } from 'fast-xml-parser'

/**
 * JUnit reports to GitLab's test report (lib/gitlab/ci/parsers/test/junit.rb and
 * lib/gitlab/ci/reports/test_report.rb, test_suite.rb, test_case.rb), pure. The XML is read the way
 * Rails' Hash.from_xml reads it: attributes and child elements are keys of one hash (dashes become
 * underscores), an element with text is that text, an empty one is null, a repeated one a list.
 */
export type TestStatus = 'success' | 'failed' | 'skipped' | 'error'
/** Gitlab::Ci::Reports::TestCase::STATUS_TYPES, the order test cases are listed in. */
const STATUS_ORDER: TestStatus[] = ['error', 'failed', 'success', 'skipped']
const ATTACHMENT_TAG = /\[\[ATTACHMENT\|([^[\]|]+?)\]\]/

export interface TestCase {
  status: TestStatus
  name: unknown
  classname: unknown
  file: unknown
  execution_time: number
  system_output: unknown
  stack_trace: null
  attachment: string | null
  jobId: number
  key: string
}

export interface TestSuite {
  name: string
  total_time: number
  suite_error: string | null
  /** by status, then by key (a case with the same suite, class and name replaces the earlier one) */
  cases: Map<TestStatus, Map<string, TestCase>>
}

/** One build's own suite: Ci::BuildReportResult, what the summary adds up. */
export interface BuildTestResult {
  jobId: number
  suite: TestSuite
}

export interface TestReport {
  suites: Map<string, TestSuite>
}

export function newTestReport(): TestReport {
  return { suites: new Map() }
}

/** TestReport#get_suite */
export function suiteOf(report: TestReport, name: string): TestSuite {
  let suite = report.suites.get(name)
  if (!suite) {
    suite = { name, total_time: 0, suite_error: null, cases: new Map() }
    report.suites.set(name, suite)
  }
  return suite
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '__content__',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  transformTagName: (name) => name.replace(/-/g, '_'),
  transformAttributeName: (name) => name.replace(/-/g, '_'),
})

/** Junit#parse!: one XML file of a job into its suite; a bad file becomes the suite's error. */
export function parseJunit(xml: string, suite: TestSuite, jobId: number): void {
  const valid = XMLValidator.validate(xml)
  if (valid !== true) {
    suite.suite_error = `JUnit XML parsing failed: ${valid.err.line}:${valid.err.col}: FATAL: ${valid.err.msg}`
    return
  }
  let root: unknown
  try {
    root = fromXml(parser.parse(xml))
  } catch (error) {
    suite.suite_error = `JUnit data parsing failed: ${error instanceof Error ? error.message : String(error)}`
    return
  }
  allCases(root, null, (data) => addTestCase(suite, testCaseOf(data, suite, jobId)))
}

type Hash = Record<string, unknown>
const isHash = (value: unknown): value is Hash => value !== null && typeof value === 'object' && !Array.isArray(value)
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value.flat(Infinity) : [value]).filter((item) => item !== null && item !== undefined)

/** Hash.from_xml's typecasting: text → string, whitespace-only and empty → null, text wins over attributes. */
function fromXml(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromXml)
  if (!isHash(value)) return typeof value === 'string' && value.trim() === '' ? null : value
  const content = value.__content__
  if (typeof content === 'string' && content.trim() !== '') return content
  const out: Hash = Object.create(null)
  for (const [key, child] of Object.entries(value)) {
    if (key === '__content__') continue
    out[key] = fromXml(child)
  }
  return Object.keys(out).length === 0 ? null : out
}

function allCases(root: unknown, parent: unknown, yieldCase: (data: Hash) => void): void {
  if (root === null || root === undefined || (isHash(root) && Object.keys(root).length === 0)) return
  for (const node of list(root)) {
    if (!isHash(node)) continue
    // one top-level `testsuites`; cases need at least one level of testsuites/testsuite; testsuites nest (PHPUnit)
    if (parent === null) allCases(node.testsuites, root, yieldCase)
    if (parent !== null) eachCase(node.testcase, node.name, yieldCase)
    allCases(node.testsuite, root, yieldCase)
  }
}

function eachCase(testcase: unknown, suiteName: unknown, yieldCase: (data: Hash) => void): void {
  if (testcase === null || testcase === undefined) return
  for (const item of list(testcase)) {
    if (!isHash(item)) continue
    yieldCase({ ...item, suite_name: suiteName })
  }
}

function testCaseOf(data: Hash, suite: TestSuite, jobId: number): Omit<TestCase, 'key'> & { suiteName: unknown } {
  const systemOut = 'system_out' in data ? `System Out:\n\n${rubyString(data.system_out)}` : null
  const systemErr = 'system_err' in data ? `System Err:\n\n${rubyString(data.system_err)}` : null
  let status: TestStatus = 'success'
  let output: unknown = null
  let attachment: string | null = null
  if ('failure' in data || 'error' in data) {
    status = 'failure' in data ? 'failed' : 'error'
    const message = 'failure' in data ? data.failure : data.error
    output = [message, systemOut, systemErr].filter((part) => part !== null && part !== undefined).map(rubyString).join('\n\n')
    attachment = attachmentPath(data.system_out)
  } else if ('skipped' in data) {
    status = 'skipped'
    output = data.skipped ?? null
  }
  return {
    suiteName: data.suite_name ?? suite.name, status, name: data.name ?? null, classname: data.classname ?? null, file: data.file ?? null,
    execution_time: rubyToF(data.time), system_output: output, stack_trace: null, attachment, jobId,
  }
}

function addTestCase(suite: TestSuite, testCase: Omit<TestCase, 'key'> & { suiteName: unknown }): void {
  const { suiteName, ...rest } = testCase
  const key = `${rubyString(suiteName)}_${rubyString(rest.classname)}_${rubyString(rest.name)}`
  let bucket = suite.cases.get(rest.status)
  if (!bucket) suite.cases.set(rest.status, (bucket = new Map()))
  bucket.set(key, { ...rest, key })
  suite.total_time += rest.execution_time
}

function attachmentPath(value: unknown): string | null {
  if (typeof value !== 'string') return null
  return ATTACHMENT_TAG.exec(value)?.[1] ?? null
}

/** Ruby's String#to_f: the leading decimal number, else 0. */
function rubyToF(value: unknown): number {
  if (typeof value !== 'string') return 0
  const match = /^\s*[+-]?(\d[\d_]*)?(\.\d+)?([eE][+-]?\d+)?/.exec(value)
  const number = match ? Number.parseFloat(match[0].replace(/_/g, '')) : Number.NaN
  return Number.isFinite(number) ? number : 0
}

/** How Ruby shows a value joined into a string: nil → "", a hash as Hash#inspect. */
function rubyString(value: unknown): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'string') return value
  return rubyInspect(value)
}

function rubyInspect(value: unknown): string {
  if (value === null || value === undefined) return 'nil'
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(rubyInspect).join(', ')}]`
  if (isHash(value)) return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}=>${rubyInspect(v)}`).join(', ')}}`
  return String(value)
}

// ---- counts (TestSuite / TestReport) -------------------------------------------------------

export function countOf(suite: TestSuite, status: TestStatus): number {
  if (suite.suite_error) return 0
  return suite.cases.get(status)?.size ?? 0
}

export function totalCount(suite: TestSuite): number {
  if (suite.suite_error) return 0
  return STATUS_ORDER.reduce((sum, status) => sum + countOf(suite, status), 0)
}

/** TestSuite#sorted: by status (error, failed, success, skipped), then slowest first. */
export function sortedCases(suite: TestSuite): TestCase[] {
  if (suite.suite_error) return []
  return STATUS_ORDER.flatMap((status) => [...(suite.cases.get(status)?.values() ?? [])].sort((a, b) => b.execution_time - a.execution_time))
}

/**
 * Ci::Build#test_suite_name: a parallel job's group name (`rspec 1/3` → `rspec`), a matrix job's
 * own name (`test: [a, b]`), as CommitStatus#group_name strips them.
 */
export function testSuiteName(jobName: string, matrix: boolean): string {
  if (matrix) return jobName
  return jobName.replace(/([\s:]+((\[.*\])|(\d+[\s:/\\]+\d+)))+\s*$/, '').trim()
}
