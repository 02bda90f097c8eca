import { ApiError } from '../http/errors'
/**
 * GitLab's role table for the abilities edgejobs needs (gitlab-behavior.md §1.5;
 * app/policies/project_policy.rb, config/authz/roles/*.yml, app/policies/ci/build_policy.rb).
 */
export const AccessLevel = {
  none: 0,
  guest: 10,
  reporter: 20,
  developer: 30,
  maintainer: 40,
  owner: 50,
} as const

export const VALID_ACCESS_LEVELS = [10, 20, 30, 40, 50] as const

export type Visibility = 'private' | 'internal' | 'public'

export interface ProjectAccess {
  visibility: Visibility
  publicJobs: boolean
  /** The user's member access level (0 when not a member). */
  accessLevel: number
  authenticated: boolean
  isAdmin: boolean
  /** The project's CI/CD (builds) feature; absent means enabled. */
  buildsEnabled?: boolean
}

export type ProjectAbility =
  | 'read_project'
  | 'read_build'
  | 'read_pipeline'
  | 'read_code'
  | 'create_pipeline'
  | 'update_pipeline'
  | 'admin_pipeline'
  | 'destroy_pipeline'
  | 'push_code'
  | 'cancel_build'
  | 'update_build'
  | 'play_job'
  | 'retry_job'
  | 'keep_job_artifacts'
  | 'admin_build'
  | 'force_cancel_build'
  | 'admin_project'
  | 'admin_project_member'
  | 'rename_project'
  | 'change_visibility_level'
  | 'manage_owners'
  | 'read_project_member'
  | 'create_runner'
  | 'remove_project'

/** The effective level: admins act as owners everywhere. */
function level(access: ProjectAccess): number {
  return access.isAdmin ? AccessLevel.owner : access.accessLevel
}

export function canReadProject(access: ProjectAccess): boolean {
  if (level(access) >= AccessLevel.guest) return true
  if (access.visibility === 'public') return true
  return access.visibility === 'internal' && access.authenticated
}

/**
 * What `rule { builds_disabled | repository_disabled }` prevents: reading and writing jobs.
 * read_pipeline stays, as GitLab keeps pipelines readable when only internal CI is off.
 */
const BUILD_ABILITIES: ReadonlySet<ProjectAbility> = new Set<ProjectAbility>([
  'read_build', 'cancel_build', 'update_build', 'play_job', 'retry_job', 'keep_job_artifacts', 'admin_build', 'force_cancel_build',
])

/** GitLab's `authorize!`: 403 Forbidden unless the caller has the ability on the project. */
export function authorize(access: ProjectAccess, ability: ProjectAbility): void {
  if (!can(access, ability)) throw ApiError.forbidden()
}

/** `authenticated_as_admin!`: 403 unless the caller is an administrator. */
export function authorizeAdmin(caller: { user: { is_admin: number } | null }): void {
  if (caller.user?.is_admin !== 1) throw ApiError.forbidden()
}

export function can(access: ProjectAccess, ability: ProjectAbility): boolean {
  if (!canReadProject(access)) return false
  if (access.buildsEnabled === false && BUILD_ABILITIES.has(ability)) return false
  const lvl = level(access)
  switch (ability) {
    case 'read_project':
    case 'read_project_member':
      return true
    case 'read_build':
      // Reporter+ always; everyone else who can see the project only with public_jobs.
      return lvl >= AccessLevel.reporter || access.publicJobs
    case 'read_pipeline':
      if (lvl >= AccessLevel.reporter) return true
      if (access.visibility === 'public') return true
      if (access.visibility === 'internal' && access.authenticated) return true
      return lvl >= AccessLevel.guest && access.publicJobs
    case 'read_code':
      // download_code: reporter+, or anyone who sees a public/internal project.
      return lvl >= AccessLevel.reporter || access.visibility !== 'private'
    case 'create_pipeline':
    case 'update_pipeline': // also cancel_pipeline
    case 'push_code':
    case 'cancel_build':
    case 'update_build':
    case 'play_job':
    case 'retry_job':
    case 'keep_job_artifacts':
      return lvl >= AccessLevel.developer
    case 'admin_build': // also admin_trigger's first half and manage_trigger (TriggerPolicy)
    case 'admin_pipeline':
    case 'force_cancel_build':
    case 'admin_project':
    case 'admin_project_member':
    case 'create_runner':
      return lvl >= AccessLevel.maintainer
    case 'destroy_pipeline':
    case 'rename_project':
    case 'change_visibility_level':
    case 'manage_owners':
    case 'remove_project':
      return lvl >= AccessLevel.owner
  }
}

/**
 * erase_build: admin_build, or update_build on a job the user triggered (BuildPolicy).
 */
export function canEraseJob(access: ProjectAccess, userId: number | undefined, jobUserId: number | null): boolean {
  if (can(access, 'admin_build')) return true
  return can(access, 'update_build') && userId !== undefined && jobUserId === userId
}

/**
 * read_job_artifacts (Ci::JobArtifactPolicy): read_build, unless the job's `artifacts:access` is
 * `none` (nobody downloads them); with `access: developer` or `public: false`, developer+ only.
 */
export function canReadJobArtifacts(access: ProjectAccess, artifacts: { access?: 'none' | 'developer' | 'all'; public?: boolean } | undefined): boolean {
  if (!can(access, 'read_build')) return false
  if (artifacts?.access === 'none') return false
  const publicAccess = artifacts?.access === undefined ? artifacts?.public !== false : artifacts.access === 'all'
  return publicAccess || level(access) >= AccessLevel.developer
}
