import { describe, expect, it } from 'vitest'
import { alertStatus } from '../../src/ci/auto-disabling'
import { hookEventName } from '../../src/hooks/delivery'
import { branchPasses, invalidHookUrl, validBranchFilter } from '../../src/hooks/rules'
import { hookIsoTime, hookTime } from '../../src/present/hook-data'

/**
 * The hook rules as tables: PublicUrlValidator (spec/validators/public_url_validator_spec.rb),
 * BranchFilterValidator and ActiveHookFilter (spec/lib/gitlab/.../active_hook_filter_spec.rb),
 * WebHooks::AutoDisabling#alert_status (spec/support/shared_examples/models/concerns/
 * auto_disabling_hooks_shared_examples.rb), WebHookService.hook_to_event.
 */
describe('hook rules', () => {
  it.each([
    ['https://example.com/hook', false, null],
    ['http://example.com:8080/a?b=c', false, null],
    ['ftp://example.com', false, 'is blocked: Only allowed schemes are http, https'],
    ['http://localhost:3000', false, 'is blocked: Requests to localhost are not allowed'],
    ['http://127.0.0.1', false, 'is blocked: Requests to localhost are not allowed'],
    ['http://192.168.1.2', false, 'is blocked: Requests to the local network are not allowed'],
    ['http://169.254.169.254/latest', false, 'is blocked: Requests to the link local network are not allowed'],
    ['http://127.0.0.1', true, null],
    ['no scheme', true, 'is blocked: URI is invalid'],
    ['', true, 'is invalid'],
  ])('url %s (allow local: %s) → %s', (url, allowLocal, reason) => {
    expect(invalidHookUrl(url, allowLocal)).toBe(reason)
  })

  it.each([
    ['main', 'wildcard', true],
    ['release/*, main', 'wildcard', true],
    ['a..b', 'wildcard', false],
    ['feature~1', 'wildcard', false],
    ['^feat-\\d+$', 'regex', true],
    ['(unclosed', 'regex', false],
    ['anything ~ goes', 'all_branches', true],
  ] as const)('branch filter %s (%s) valid: %s', (filter, strategy, valid) => {
    expect(validBranchFilter(filter, strategy)).toBe(valid)
  })

  it.each([
    [null, 'wildcard', 'any', true],
    ['main', 'wildcard', 'main', true],
    ['main', 'wildcard', 'main2', false],
    ['release/*', 'wildcard', 'release/1.0/hotfix', true],
    ['release/*', 'wildcard', 'xrelease/1', false],
    ['^feat-\\d+$', 'regex', 'feat-12', true],
    ['^feat-\\d+$', 'regex', 'feat-x', false],
    ['main', 'all_branches', 'other', true],
  ] as const)('filter %s (%s) lets %s through: %s', (filter, strategy, branch, passes) => {
    expect(branchPasses({ push_events_branch_filter: filter, branch_filter_strategy: strategy }, branch)).toBe(passes)
  })

  const now = 1_000_000
  it.each([
    [0, null, 'executable'],
    [3, null, 'executable'],
    [4, now + 1, 'temporarily_disabled'],
    [4, now - 1, 'executable'],
    [4, null, 'disabled'],
    [39, now + 1, 'temporarily_disabled'],
    [40, now + 1, 'disabled'],
  ] as const)('%s failures, disabled until %s → %s', (failures, until, status) => {
    expect(alertStatus({ recent_failures: failures, disabled_until: until }, now)).toBe(status)
  })

  it('names events and writes times as GitLab does', () => {
    expect(hookEventName('job_hooks')).toBe('Job Hook')
    expect(hookEventName('tag_push_hooks')).toBe('Tag Push Hook')
    const at = Date.UTC(2021, 1, 23, 2, 41, 37, 886)
    expect(hookTime(at)).toBe('2021-02-23 02:41:37 UTC')
    expect(hookIsoTime(at)).toBe('2021-02-23T02:41:37Z')
    expect(hookTime(null)).toBeNull()
  })
})
