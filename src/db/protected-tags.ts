/**
 * Protected tags (GitLab's ProtectedTag with one create access level): a tag name or a `*`
 * wildcard pattern (only `*` is a wildcard; see protected-branches.ts's globPattern).
 */

import { projectRowByNameStatement, projectRowListStatements, projectRowsStatement, type ProjectCondition } from './project-rows'

export interface ProtectedTagRow {
  id: number
  project_id: number
  name: string
  create_access_level: number
  created_at: number
}

export function protectedTagListStatements(db: D1Database, project: ProjectCondition, limit: number, offset: number): D1PreparedStatement[] {
  return projectRowListStatements(db, 'protected_tags', project, limit, offset)
}

export function projectProtectedTagsStatement(db: D1Database, project: ProjectCondition): D1PreparedStatement {
  return projectRowsStatement(db, 'protected_tags', project)
}

export function protectedTagStatement(db: D1Database, project: ProjectCondition, name: string): D1PreparedStatement {
  return projectRowByNameStatement(db, 'protected_tags', project, name)
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
