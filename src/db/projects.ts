import type { UserRow } from './users'

/** Projects and their members. */
export interface ProjectRow {
  id: number
  name: string
  path: string
  namespace_path: string
  full_path: string
  description: string | null
  visibility: 'private' | 'internal' | 'public'
  public_jobs: number
  builds_enabled: number
  ci_config_path: string | null
  build_timeout: number
  ci_job_token_scope_enabled: number
  default_branch: string | null
  /** 1: a new pipeline auto-cancels redundant older ones on its ref (GitLab's default, `enabled`) */
  auto_cancel_pending_pipelines: number
  runners_token_digest: string | null
  creator_id: number
  created_at: number
  last_activity_at: number
  /** ProjectCiCdSetting#default_git_depth (project_ci_settings), when read with the project */
  ci_default_git_depth?: number | null
}

export interface MemberRow {
  project_id: number
  user_id: number
  access_level: number
  created_at: number
}

/** `WHERE` fragment selecting a project by numeric id or full path (GitLab's find_project). */
export function projectRefCondition(ref: string, alias = 'p'): { sql: string; value: string | number } {
  if (/^\d+$/.test(ref)) return { sql: `${alias}.id = ?`, value: Number(ref) }
  return { sql: `${alias}.full_path = ?`, value: ref }
}

export async function insertProject(
  db: D1Database,
  project: Omit<ProjectRow, 'id' | 'runners_token_digest' | 'last_activity_at'> & { runnersTokenDigest: string },
): Promise<ProjectRow> {
  const [inserted] = await db.batch<ProjectRow>([
    db
      .prepare(
        `INSERT INTO projects (name, path, namespace_path, full_path, description, visibility, public_jobs,
           builds_enabled, ci_config_path, build_timeout, ci_job_token_scope_enabled, default_branch,
           auto_cancel_pending_pipelines, runners_token_digest, creator_id, created_at, last_activity_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .bind(
        project.name, project.path, project.namespace_path, project.full_path, project.description,
        project.visibility, project.public_jobs, project.builds_enabled, project.ci_config_path,
        project.build_timeout, project.ci_job_token_scope_enabled, project.default_branch,
        project.auto_cancel_pending_pipelines, project.runnersTokenDigest, project.creator_id, project.created_at, project.created_at,
      ),
    // The creator becomes the owner, as in GitLab.
    db
      .prepare(
        `INSERT INTO project_members (project_id, user_id, access_level, created_at)
         VALUES (last_insert_rowid(), ?, 50, ?)`,
      )
      .bind(project.creator_id, project.created_at),
  ])
  return inserted.results[0]
}

export function projectPathTaken(db: D1Database, fullPath: string): Promise<{ taken: number } | null> {
  return db.prepare('SELECT 1 AS taken FROM projects WHERE full_path = ?').bind(fullPath).first<{ taken: number }>()
}

export function getProject(db: D1Database, id: number): Promise<ProjectRow | null> {
  return db.prepare('SELECT * FROM projects WHERE id = ?').bind(id).first<ProjectRow>()
}

export function getProjectByPath(db: D1Database, fullPath: string): Promise<ProjectRow | null> {
  return db.prepare('SELECT * FROM projects WHERE full_path = ?').bind(fullPath).first<ProjectRow>()
}

export type ProjectUpdate = Partial<
  Pick<ProjectRow, 'name' | 'description' | 'visibility' | 'public_jobs' | 'builds_enabled' | 'ci_config_path' | 'build_timeout' | 'ci_job_token_scope_enabled' | 'default_branch' | 'auto_cancel_pending_pipelines'>
>

export async function updateProject(db: D1Database, id: number, changes: ProjectUpdate, now: number): Promise<ProjectRow> {
  const keys = Object.keys(changes) as Array<keyof ProjectUpdate>
  const sets = [...keys.map((k) => `${k} = ?`), 'last_activity_at = ?']
  const row = await db
    .prepare(`UPDATE projects SET ${sets.join(', ')} WHERE id = ? RETURNING *`)
    .bind(...keys.map((k) => changes[k] ?? null), now, id)
    .first<ProjectRow>()
  return row!
}

export function upsertMember(db: D1Database, projectId: number, userId: number, accessLevel: number, now: number): Promise<MemberRow | null> {
  return db
    .prepare(
      `INSERT INTO project_members (project_id, user_id, access_level, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_id, user_id) DO NOTHING RETURNING *`,
    )
    .bind(projectId, userId, accessLevel, now)
    .first<MemberRow>()
}

/** A member row joined with its user, as read by `memberPageStatements`. */
export interface MemberWithUser {
  member: MemberRow
  user: UserRow
}

/**
 * One offset page of a project's members (user id order, served by the primary key) and their
 * count, capped one above `countLimit`. `project` selects the project inside the statements.
 */
export function memberPageStatements(
  db: D1Database,
  project: { sql: string; value: string | number },
  page: { offset: number; limit: number },
  countLimit: number,
): [D1PreparedStatement, D1PreparedStatement] {
  return [
    db
      .prepare(
        `SELECT m.project_id AS m_project_id, m.access_level AS m_access_level, m.created_at AS m_created_at, u.*
         FROM project_members m JOIN users u ON u.id = m.user_id
         WHERE m.project_id = ${project.sql} ORDER BY m.user_id LIMIT ? OFFSET ?`,
      )
      .bind(project.value, page.limit, page.offset),
    db
      .prepare(`SELECT COUNT(*) AS total FROM (SELECT 1 FROM project_members WHERE project_id = ${project.sql} LIMIT ?)`)
      .bind(project.value, countLimit + 1),
  ]
}

export type MemberPageRow = UserRow & { m_project_id: number; m_access_level: number; m_created_at: number }

export function memberWithUser(row: MemberPageRow): MemberWithUser {
  const { m_project_id, m_access_level, m_created_at, ...user } = row
  return {
    member: { project_id: m_project_id, user_id: user.id, access_level: m_access_level, created_at: m_created_at },
    user,
  }
}

/** The project's build timeout in seconds (null: the project is gone). */
export async function projectBuildTimeout(db: D1Database, projectId: number): Promise<number | null> {
  const row = await db.prepare('SELECT build_timeout FROM projects WHERE id = ?').bind(projectId).first<{ build_timeout: number }>()
  return row?.build_timeout ?? null
}

/** A user's admin flag and access level on a project (null: no such user). */
export function userAccessToProject(db: D1Database, projectId: number, userId: number): Promise<{ is_admin: number; level: number } | null> {
  return db.prepare(
    `SELECT u.is_admin AS is_admin, COALESCE((SELECT access_level FROM project_members WHERE project_id = ? AND user_id = u.id), 0) AS level
     FROM users u WHERE u.id = ?`,
  ).bind(projectId, userId).first<{ is_admin: number; level: number }>()
}

/** A project by full path (case-insensitive), with a user's access level and admin flag (0 for anonymous). */
export function projectByPathWithAccess(db: D1Database, path: string, userId: number | null): Promise<(ProjectRow & { member_access: number; is_admin: number }) | null> {
  return db
    .prepare(
      `SELECT p.*, COALESCE((SELECT m.access_level FROM project_members m WHERE m.project_id = p.id AND m.user_id = ?2), 0) AS member_access,
         COALESCE((SELECT is_admin FROM users WHERE id = ?2), 0) AS is_admin
       FROM projects p WHERE lower(p.full_path) = ?1`,
    )
    .bind(path.toLowerCase(), userId ?? 0)
    .first<ProjectRow & { member_access: number; is_admin: number }>()
}

/** The first branch of an empty repository becomes the default branch, as in GitLab. */
export async function setDefaultBranchIfUnset(db: D1Database, projectId: number, branch: string): Promise<void> {
  await db.prepare('UPDATE projects SET default_branch = ? WHERE id = ? AND default_branch IS NULL').bind(branch, projectId).run()
}

/** GitLab's default `ci_default_git_depth` for new projects (ProjectCiCdSetting::DEFAULT_GIT_DEPTH). */
export const DEFAULT_GIT_DEPTH = 20

export async function getCiDefaultGitDepth(db: D1Database, projectId: number): Promise<number> {
  const row = await db.prepare('SELECT default_git_depth FROM project_ci_settings WHERE project_id = ?').bind(projectId).first<{ default_git_depth: number }>()
  return row?.default_git_depth ?? DEFAULT_GIT_DEPTH
}

export async function setCiDefaultGitDepth(db: D1Database, projectId: number, depth: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO project_ci_settings (project_id, default_git_depth) VALUES (?, ?)
       ON CONFLICT (project_id) DO UPDATE SET default_git_depth = excluded.default_git_depth`,
    )
    .bind(projectId, depth)
    .run()
}

/** The projects `ids` (those that exist), in id order. */
export async function projectsByIds(db: D1Database, ids: number[]): Promise<ProjectRow[]> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return []
  const { results } = await db.prepare(`SELECT * FROM projects WHERE id IN (${unique.map(() => '?').join(', ')}) ORDER BY id`).bind(...unique).all<ProjectRow>()
  return results
}
