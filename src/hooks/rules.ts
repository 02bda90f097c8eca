import { compileRe2 } from '../ci/re2'
import type { BranchFilterStrategy, WebHookRow } from '../db/web-hooks'
import { blockedReason } from '../http/url-blocker'

/**
 * A hook's rules as GitLab's WebHook model has them: which URLs it may have (PublicUrlValidator
 * and AddressableUrlValidator), which branches a push filter lets through (BranchFilterValidator,
 * ActiveHookFilter). How failures back it off (WebHooks::AutoDisabling) is db/web-hooks.ts's
 * hookFailedStatement.
 */

const MAX_URL_LENGTH = 2048

/** Why a URL is refused (any reason answers 422 "Invalid url given"), or null. */
export function invalidHookUrl(url: string, allowLocal: boolean): string | null {
  if (url.trim() === '' || url.length > MAX_URL_LENGTH) return 'is invalid'
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is blocked: URI is invalid'
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'is blocked: Only allowed schemes are http, https'
  if (/[\s<>"]/.test(url)) return 'is blocked: URI is invalid'
  if (parsed.hostname === '') return 'is blocked: URI is invalid'
  if (!allowLocal) {
    const blocked = blockedReason(parsed.hostname)
    if (blocked) return `is blocked: ${blocked}`
  }
  return null
}

/** BranchFilterValidator: a wildcard filter lists branch names (with `*`); a regex one must compile in RE2. */
export function validBranchFilter(filter: string | null, strategy: BranchFilterStrategy): boolean {
  if (filter === null || filter === '' || strategy === 'all_branches') return true
  if (filter.length > 4000) return false
  if (strategy === 'regex') return compileRe2(filter) !== null
  return filter.split(',').every((part) => {
    const name = part.trim().replaceAll('*', 'x')
    return name !== '' && !/[\s~^:?[\\\x00-\x1f\x7f]|\.\.|@\{|\/\/|^\/|\/$|\.lock$|^\.|\/\./.test(name)
  })
}

/** ActiveHookFilter: whether a push to `branch` reaches the hook. */
export function branchPasses(hook: Pick<WebHookRow, 'push_events_branch_filter' | 'branch_filter_strategy'>, branch: string): boolean {
  const filter = hook.push_events_branch_filter
  if (hook.branch_filter_strategy === 'all_branches' || filter === null || filter === '') return true
  if (hook.branch_filter_strategy === 'regex') return compileRe2(filter)?.test(branch) ?? false
  // RefMatcher: `*` matches any run of characters, `/` included.
  return filter.split(',').some((part) => {
    const pattern = part.trim()
    if (!pattern.includes('*')) return pattern === branch
    const source = pattern.split('*').map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')
    return new RegExp(`^${source}$`).test(branch)
  })
}
