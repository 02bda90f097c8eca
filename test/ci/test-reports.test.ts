import { describe, expect, it } from 'vitest'
import { gunzipMembers, GzipError } from '../../src/blob/gzip-members'
import { newTestReport, parseJunit, sortedCases, suiteOf, testSuiteName, totalCount } from '../../src/ci/test-reports'
import { gzip } from '../runner-client'

/** The JUnit rules, pure (lib/gitlab/ci/parsers/test/junit.rb, CommitStatus#group_name, Ci::Build#test_suite_name). */
describe('test reports', () => {
  it.each([
    ['rspec 1/3', false, 'rspec'],
    ['rspec 12/30', false, 'rspec'],
    ['rspec:1/3', false, 'rspec'],
    ['rspec', false, 'rspec'],
    ['test: [ruby, 3]', true, 'test: [ruby, 3]'],
    ['test: [ruby, 3]', false, 'test'],
  ])('test_suite_name(%s, matrix=%s) = %s', (name, matrix, expected) => {
    expect(testSuiteName(name, matrix)).toBe(expected)
  })

  it('reads nested testsuites, times as Ruby to_f, duplicate cases once, a bad document as the suite error', () => {
    const suite = suiteOf(newTestReport(), 'unit')
    parseJunit(`<testsuites><testsuite name="outer"><testsuite name="inner">
      <testcase classname="A" name="x" time="1.5s"/><testcase classname="A" name="x" time="abc"/><testcase classname="A" name="y"/>
    </testsuite></testsuite></testsuites>`, suite, 1)
    expect(totalCount(suite)).toBe(2)
    expect(sortedCases(suite).map((c) => [c.name, c.execution_time])).toEqual([['x', 0], ['y', 0]])
    expect(suite.total_time).toBe(1.5)
    const broken = suiteOf(newTestReport(), 'b')
    parseJunit('<testsuites>', broken, 1)
    expect(broken.suite_error).toMatch(/^JUnit XML parsing failed: /)
    expect(totalCount(broken)).toBe(0)
    // A testcase directly under the root is not read: at least one testsuite(s) level is needed.
    const bare = suiteOf(newTestReport(), 'c')
    parseJunit('<testcase name="z"/>', bare, 1)
    expect(totalCount(bare)).toBe(0)
  })

  it('gunzips each gzip member on its own, within a limit', async () => {
    const joined = new Uint8Array([...(await gzip('<a/>')), ...(await gzip('<b/>'))])
    expect(gunzipMembers(joined, 1024).map((m) => new TextDecoder().decode(m))).toEqual(['<a/>', '<b/>'])
    expect(() => gunzipMembers(joined, 5)).toThrow(GzipError)
    expect(() => gunzipMembers(joined.subarray(0, joined.length - 30), 1024)).toThrow(GzipError)
  })
})
