import type { ProtectedBranchRow } from '../db/protected-branches'

/**
 * GitLab's Entities::ProtectedBranch (CE): one push and one merge access level per branch, each
 * an Entities::ProtectedRefAccess (the push level also names its deploy key: none here).
 */
export function protectedBranch(row: ProtectedBranchRow) {
  return {
    id: row.id,
    name: row.name,
    push_access_levels: [{ ...accessLevel(row.id, row.push_access_level), deploy_key_id: null }],
    merge_access_levels: [accessLevel(row.id, row.merge_access_level)],
    allow_force_push: row.allow_force_push === 1,
  }
}

/** ProtectedRefAccess#humanize */
const ACCESS_LEVEL_DESCRIPTIONS: Record<number, string> = {
  0: 'No one',
  30: 'Developers + Maintainers',
  40: 'Maintainers',
  60: 'Admins',
}

export function accessLevel(id: number, level: number) {
  return { id, access_level: level, access_level_description: ACCESS_LEVEL_DESCRIPTIONS[level] ?? String(level) }
}
