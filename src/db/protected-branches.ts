import { projectProtectedTagsStatement, type ProtectedTagRow } from './protected-tags'

/**
 * Protected branches (GitLab's ProtectedBranch with one push and one merge access level each): a
 * name or a `*` wildcard pattern. ProtectedRef matching knows one wildcard, `*`; SQLite's GLOB
 * also treats `?` and `[...]` as wildcards, so a protection's name is escaped before it is used
 * as a GLOB pattern ({@link globPattern}): a protection named `v?` protects only `v?`.
 */

/**
 * SQL turning a protection's name column into the GLOB pattern that matches as ProtectedRef does:
 * `[` becomes `[[]` and `?` becomes `[?]` (literal), `*` stays the wildcard. `]` outside a set is
 * literal in GLOB already.
 */
export function globPattern(column: string): string {
  return `replace(replace(${column}, '[', '[[]'), '?', '[?]')`
}

export interface ProtectedBranchRow {
  id: number
  project_id: number
  name: string
  push_access_level: number
  merge_access_level: number
  allow_force_push: number
  created_at: number
}

type ProjectRef = { sql: string; value: string | number }

/** One row when the pipeline's ref is a protected branch or, for a tag pipeline, a protected tag. */
export function protectedPipelineRefStatement(db: D1Database, pipelineId: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT 1 AS protected FROM pipelines p
        JOIN protected_branches pb ON pb.project_id = p.project_id AND p.ref GLOB ${globPattern('pb.name')}
       WHERE p.id = ?1 AND p.tag = 0
       UNION ALL
       SELECT 1 FROM pipelines p
        JOIN protected_tags pt ON pt.project_id = p.project_id AND p.ref GLOB ${globPattern('pt.name')}
       WHERE p.id = ?1 AND p.tag = 1
       LIMIT 1`,
    )
    .bind(pipelineId)
}

/** One row when `ref` is a protected branch (or, with `tag`, a protected tag) of the project. */
export function protectedRefNameStatement(db: D1Database, projectId: number, ref: string, tag: boolean): D1PreparedStatement {
  const table = tag ? 'protected_tags' : 'protected_branches'
  return db.prepare(`SELECT 1 AS protected FROM ${table} WHERE project_id = ? AND ? GLOB ${globPattern('name')} LIMIT 1`).bind(projectId, ref)
}

export function protectedBranchListStatements(db: D1Database, project: ProjectRef, limit: number, offset: number): D1PreparedStatement[] {
  return [
    db.prepare(`SELECT * FROM protected_branches WHERE project_id = ${project.sql} ORDER BY id LIMIT ? OFFSET ?`).bind(project.value, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM protected_branches WHERE project_id = ${project.sql}`).bind(project.value),
  ]
}

/** Every protection of the project (git push and the files API match a branch against them). */
export function projectProtectedBranchesStatement(db: D1Database, project: ProjectRef): D1PreparedStatement {
  return db.prepare(`SELECT * FROM protected_branches WHERE project_id = ${project.sql} ORDER BY id`).bind(project.value)
}

export function protectedBranchStatement(db: D1Database, project: ProjectRef, name: string): D1PreparedStatement {
  return db.prepare(`SELECT * FROM protected_branches WHERE project_id = ${project.sql} AND name = ?`).bind(project.value, name)
}

/** Inserted unless the name is protected already (then no row). */
export function insertProtectedBranchStatement(
  db: D1Database,
  projectId: number,
  branch: { name: string; push_access_level: number; merge_access_level: number; allow_force_push: boolean },
  now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO protected_branches (project_id, name, push_access_level, merge_access_level, allow_force_push, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, name) DO NOTHING RETURNING *`,
    )
    .bind(projectId, branch.name, branch.push_access_level, branch.merge_access_level, branch.allow_force_push ? 1 : 0, now)
}

export function updateProtectedBranchStatement(db: D1Database, id: number, changes: { allow_force_push: boolean }): D1PreparedStatement {
  return db.prepare('UPDATE protected_branches SET allow_force_push = ? WHERE id = ? RETURNING *').bind(changes.allow_force_push ? 1 : 0, id)
}

export function deleteProtectedBranchStatement(db: D1Database, id: number): D1PreparedStatement {
  return db.prepare('DELETE FROM protected_branches WHERE id = ?').bind(id)
}

/** Whether a branch of the project is protected (Push Hook's `ref_protected`). */
export async function branchIsProtected(db: D1Database, projectId: number, branch: string): Promise<boolean> {
  const row = await db.prepare(`SELECT 1 AS protected FROM protected_branches WHERE project_id = ? AND ? GLOB ${globPattern('name')} LIMIT 1`).bind(projectId, branch).first()
  return row !== null
}

/** A project's branch and tag protections, both (what deciding who may write a ref needs). */
export interface RefProtections {
  branches: readonly ProtectedBranchRow[]
  tags: readonly ProtectedTagRow[]
}

/** Both protection lists of a project in one batch. */
export async function refProtections(db: D1Database, projectId: number): Promise<RefProtections> {
  const project = { sql: '?', value: projectId }
  const [branches, tags] = await db.batch([
    projectProtectedBranchesStatement(db, project),
    projectProtectedTagsStatement(db, project),
  ])
  return { branches: branches.results as ProtectedBranchRow[], tags: tags.results as ProtectedTagRow[] }
}
