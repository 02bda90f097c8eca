/**
 * Protected tags (GitLab's ProtectedTag with one create access level): a tag name or a `*`
 * wildcard pattern (only `*` is a wildcard; see protected-branches.ts's globPattern).
 */

export interface ProtectedTagRow {
  id: number
  project_id: number
  name: string
  create_access_level: number
  created_at: number
}

type ProjectRef = { sql: string; value: string | number }

export function protectedTagListStatements(db: D1Database, project: ProjectRef, limit: number, offset: number): D1PreparedStatement[] {
  return [
    db.prepare(`SELECT * FROM protected_tags WHERE project_id = ${project.sql} ORDER BY id LIMIT ? OFFSET ?`).bind(project.value, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM protected_tags WHERE project_id = ${project.sql}`).bind(project.value),
  ]
}

export function projectProtectedTagsStatement(db: D1Database, project: ProjectRef): D1PreparedStatement {
  return db.prepare(`SELECT * FROM protected_tags WHERE project_id = ${project.sql} ORDER BY id`).bind(project.value)
}

export function protectedTagStatement(db: D1Database, project: ProjectRef, name: string): D1PreparedStatement {
  return db.prepare(`SELECT * FROM protected_tags WHERE project_id = ${project.sql} AND name = ?`).bind(project.value, name)
}

/** Inserted unless the name is protected already (then no row). */
export function insertProtectedTagStatement(db: D1Database, projectId: number, tag: { name: string; create_access_level: number }, now: number): D1PreparedStatement {
  return db
    .prepare('INSERT INTO protected_tags (project_id, name, create_access_level, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (project_id, name) DO NOTHING RETURNING *')
    .bind(projectId, tag.name, tag.create_access_level, now)
}

export function deleteProtectedTagStatement(db: D1Database, id: number): D1PreparedStatement {
  return db.prepare('DELETE FROM protected_tags WHERE id = ?').bind(id)
}
