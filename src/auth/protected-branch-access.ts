import type { ProtectedBranchRow } from '../db/protected-branches'
import { AccessLevel, type ProjectAccess } from './policy'

/**
 * What a protected branch lets a caller do (ProtectedRefAccess#check_access, Gitlab::UserAccess,
 * lib/gitlab/checks/branch_check.rb). Access levels: 0 no one, 30 developers and maintainers,
 * 40 maintainers, 60 administrators (ProtectedRefAccess::ALLOWED_ACCESS_LEVELS).
 */
export const PROTECTED_ACCESS_LEVELS = [0, 30, 40, 60] as const

/** One protection as the caller meets it; sent to the repository's object with a push. */
export interface BranchRule {
  name: string
  push: boolean
  merge: boolean
  forcePush: boolean
  /** push_to_delete_protected_branch: maintainers with push access */
  delete: boolean
}

/** ProtectedRef matching: the name itself, or a pattern whose `*` matches any characters. */
export function matchesProtectedName(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch
  const parts = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${parts.join('.*')}$`, 's').test(branch)
}

function allows(level: number, access: ProjectAccess): boolean {
  if (level === 0) return false
  if (access.isAdmin) return true
  if (level === 60) return false
  return access.accessLevel >= level
}

export function branchRules(rows: readonly ProtectedBranchRow[], access: ProjectAccess): BranchRule[] {
  const maintainer = access.isAdmin || access.accessLevel >= AccessLevel.maintainer
  return rows.map((row) => {
    const push = allows(row.push_access_level, access)
    return { name: row.name, push, merge: allows(row.merge_access_level, access), forcePush: row.allow_force_push === 1, delete: maintainer && push }
  })
}

/** Gitlab::UserAccess#can_push_to_branch?: unprotected, or any matching protection allows the push. */
export function canPushToBranch(rules: readonly BranchRule[], branch: string): boolean {
  const matching = rules.filter((rule) => matchesProtectedName(rule.name, branch))
  return matching.length === 0 || matching.some((rule) => rule.push)
}

export const PUSH_PROTECTED_BRANCH = 'You are not allowed to push code to protected branches on this project.'

/** BranchCheck#protected_branch_checks for one ref update, or null when it may go through. */
export function protectedBranchRefusal(
  rules: readonly BranchRule[],
  branch: string,
  change: { creation: boolean; deletion: boolean; forced: () => boolean },
): string | null {
  const matching = rules.filter((rule) => matchesProtectedName(rule.name, branch))
  if (matching.length === 0) return null
  if (!matching.every((rule) => rule.forcePush) && change.forced()) return 'You are not allowed to force push code to a protected branch on this project.'
  if (change.deletion) {
    if (!matching.some((rule) => rule.delete)) {
      return 'You are not allowed to delete protected branches from this project. Only a project maintainer or owner can delete a protected branch.'
    }
    return 'You can only delete protected branches using the web interface.'
  }
  if (matching.some((rule) => rule.push)) return null
  if (change.creation && !matching.some((rule) => rule.merge)) return 'You are not allowed to create protected branches on this project.'
  return PUSH_PROTECTED_BRANCH
}
