import { projectProtectedBranchesStatement, type ProtectedBranchRow, type RefProtections } from '../db/protected-branches'
import { projectProtectedTagsStatement, type ProtectedTagRow } from '../db/protected-tags'
import { ApiError } from '../http/errors'
import { can, type ProjectAccess } from './policy'
import { branchRules, matchesProtectedName } from './protected-branch-access'
import { tagRules } from './protected-tag-access'

/**
 * Whether a caller may write a ref, as GitLab decides who runs pipelines and jobs on it
 * (Gitlab::UserAccess): a branch through #can_update_branch? (push or merge allowed: unprotected,
 * or a matching protection's push or merge level admits the caller), a tag through
 * #can_create_tag? (unprotected, or a matching protection's create level admits the caller).
 * Used by Chain::Validate::Abilities#allowed_to_write_ref? (pipeline creation, triggers,
 * downstream pipelines, CI lint's dry run), PipelinePolicy's and Ci::BuildPolicy's `protected_ref`
 * (retry and cancel of a pipeline, cancel/retry/play/erase of its jobs).
 */
export function canWriteRef(access: ProjectAccess, protections: RefProtections, ref: string, tag: boolean): boolean {
  // Both checks start with `can?(:push_code)` (developers and up, admins).
  if (!can(access, 'push_code')) return false
  if (tag) {
    const matching = tagRules(protections.tags, access).protected.filter((rule) => matchesProtectedName(rule.name, ref))
    return matching.length === 0 || matching.some((rule) => rule.create)
  }
  const matching = branchRules(protections.branches, access).filter((rule) => matchesProtectedName(rule.name, ref))
  return matching.length === 0 || matching.some((rule) => rule.push || rule.merge)
}

/** The `protected_ref` rule of PipelinePolicy and Ci::BuildPolicy: 403 unless the caller may write the ref. */
export function authorizeRefWrite(access: ProjectAccess, protections: RefProtections, subject: { ref: string; tag: number | boolean }): void {
  if (!canWriteRef(access, protections, subject.ref, subject.tag === 1 || subject.tag === true)) throw ApiError.forbidden()
}

/** Both protection lists as loadProject's extra statements (read in the project's batch). */
export function refProtectionStatements(db: D1Database, project: { sql: string; value: string | number }): D1PreparedStatement[] {
  return [projectProtectedBranchesStatement(db, project), projectProtectedTagsStatement(db, project)]
}

export function protectionsOf(branches: D1Result<ProtectedBranchRow>, tags: D1Result<ProtectedTagRow>): RefProtections {
  return { branches: branches.results, tags: tags.results }
}
