import type { ProtectedTagRow } from '../db/protected-tags'
import { AccessLevel, type ProjectAccess } from './policy'
import { matchesProtectedName } from './protected-branch-access'

/**
 * What tags a caller may push (lib/gitlab/checks/tag_check.rb, ProtectedTag::CreateAccessLevel):
 * only maintainers (admin_tag) change or delete an existing tag; a protected tag is never moved,
 * deleted only through the web interface, and created only by those its create level allows.
 */
export interface TagRules {
  /** admin_tag: maintainers and owners */
  adminTag: boolean
  protected: Array<{ name: string; create: boolean }>
}

export function tagRules(rows: readonly ProtectedTagRow[], access: ProjectAccess): TagRules {
  const maintainer = access.isAdmin || access.accessLevel >= AccessLevel.maintainer
  const allows = (level: number) => level !== 0 && (access.isAdmin || (level !== 60 && access.accessLevel >= level))
  return { adminTag: maintainer, protected: rows.map((row) => ({ name: row.name, create: allows(row.create_access_level) })) }
}

/** TagCheck#validate! for one tag update, or null when it may go through. */
export function tagRefusal(rules: TagRules, tag: string, change: { creation: boolean; deletion: boolean; defaultBranch: string | null }): string | null {
  if (!change.creation && !rules.adminTag) return 'You are not allowed to change existing tags on this project.'
  if (change.creation && tag === change.defaultBranch) return 'You cannot use default branch name to create a tag'
  const matching = rules.protected.filter((rule) => matchesProtectedName(rule.name, tag))
  if (matching.length === 0) return null
  if (!change.creation && !change.deletion) return 'Protected tags cannot be updated.'
  if (change.deletion) {
    if (!rules.adminTag) return 'You are not allowed to delete protected tags from this project. Only a project maintainer or owner can delete a protected tag.'
    return 'You can only delete protected tags using the web interface.'
  }
  return matching.some((rule) => rule.create) ? null : 'You are not allowed to create this tag as it is protected.'
}
