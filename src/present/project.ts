import type { ProjectRow, MemberRow } from '../db/projects'
import type { UserRow } from '../db/users'
import { isoTime } from './time'
import { userBasic } from './user'

/** Project entity subset: the fields a CI client reads, with GitLab's names. */
export function project(row: ProjectRow, externalUrl: string) {
  return {
    ...projectIdentity(row),
    default_branch: row.default_branch,
    web_url: `${externalUrl}/${row.full_path}`,
    http_url_to_repo: `${externalUrl}/${row.full_path}.git`,
    namespace: { path: row.namespace_path, full_path: row.namespace_path, name: row.namespace_path },
    visibility: row.visibility,
    jobs_enabled: row.builds_enabled === 1,
    builds_access_level: row.builds_enabled === 1 ? 'enabled' : 'disabled',
    public_jobs: row.public_jobs === 1,
    ci_config_path: row.ci_config_path,
    build_timeout: row.build_timeout,
    auto_cancel_pending_pipelines: row.auto_cancel_pending_pipelines === 1 ? 'enabled' : 'disabled',
    ci_default_git_depth: row.ci_default_git_depth ?? 20,
    ci_job_token_scope_enabled: row.ci_job_token_scope_enabled === 1,
    creator_id: row.creator_id,
    last_activity_at: isoTime(row.last_activity_at),
  }
}

/** ProjectIdentity (lib/api/entities/project_identity.rb). */
export function projectIdentity(row: ProjectRow) {
  return {
    id: row.id,
    description: row.description,
    name: row.name,
    name_with_namespace: `${row.namespace_path} / ${row.name}`,
    path: row.path,
    path_with_namespace: row.full_path,
    created_at: isoTime(row.created_at),
  }
}

/** NamespaceBasic of a project's (personal) namespace. */
function namespaceBasic(row: ProjectRow, externalUrl: string) {
  return {
    name: row.namespace_path, path: row.namespace_path, kind: 'user', full_path: row.namespace_path, parent_id: null,
    avatar_url: null, web_url: `${externalUrl}/${row.namespace_path}`,
  }
}

/**
 * BasicProjectDetails (lib/api/entities/basic_project_details.rb): the list entity for anonymous
 * callers and `simple=true`. Topics, stars, forks and avatars do not exist here: empty and zero.
 */
export function basicProjectDetails(row: ProjectRow, externalUrl: string) {
  const host = new URL(externalUrl).host
  return {
    ...projectIdentity(row),
    default_branch: row.default_branch,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@${host}:${row.full_path}.git`,
    http_url_to_repo: `${externalUrl}/${row.full_path}.git`,
    web_url: `${externalUrl}/${row.full_path}`,
    readme_url: null,
    forks_count: 0,
    avatar_url: null,
    star_count: 0,
    last_activity_at: isoTime(row.last_activity_at),
    namespace: namespaceBasic(row, externalUrl),
  }
}

/** NotificationSetting level `global`, every member's default. */
const NOTIFICATION_GLOBAL = 3

/** ProjectWithAccess: the project with the caller's `permissions` (no groups here, so no group_access). */
export function projectWithAccess(row: ProjectRow, memberAccess: number, externalUrl: string) {
  return {
    ...basicProjectDetails(row, externalUrl),
    ...project(row, externalUrl),
    namespace: namespaceBasic(row, externalUrl),
    archived: false,
    permissions: {
      project_access: memberAccess > 0 ? { access_level: memberAccess, notification_level: NOTIFICATION_GLOBAL } : null,
      group_access: null,
    },
  }
}

/** Member entity: UserBasic plus access_level, created_at, expires_at. */
export function member(row: MemberRow, user: UserRow, externalUrl: string) {
  return {
    ...userBasic(user, externalUrl),
    access_level: row.access_level,
    created_at: isoTime(row.created_at),
    expires_at: null,
  }
}
