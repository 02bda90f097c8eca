/**
 * The queries every per-project table of settings-like rows shares (CI/CD variables, protected
 * branches, protected tags): a page of the project's rows in id order with their count, all of
 * them, and the one with a name. `project` is the condition auth/access.ts's loadProject passes
 * (a project id or a subquery by path).
 */

export type ProjectCondition = { sql: string; value: string | number }

/** The tables these queries serve; the name goes into the SQL, so only these literals. */
export type ProjectRowTable = 'ci_variables' | 'protected_branches' | 'protected_tags'

/** A page of the project's rows (id order) and their total count (`n`). */
export function projectRowListStatements(db: D1Database, table: ProjectRowTable, project: ProjectCondition, limit: number, offset: number): D1PreparedStatement[] {
  return [
    db.prepare(`SELECT * FROM ${table} WHERE project_id = ${project.sql} ORDER BY id LIMIT ? OFFSET ?`).bind(project.value, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE project_id = ${project.sql}`).bind(project.value),
  ]
}

/** Every row of the project, in id order. */
export function projectRowsStatement(db: D1Database, table: 'protected_branches' | 'protected_tags', project: ProjectCondition): D1PreparedStatement {
  return db.prepare(`SELECT * FROM ${table} WHERE project_id = ${project.sql} ORDER BY id`).bind(project.value)
}

/** The project's row named `name` (a protection's name or pattern, matched literally). */
export function projectRowByNameStatement(db: D1Database, table: 'protected_branches' | 'protected_tags', project: ProjectCondition, name: string): D1PreparedStatement {
  return db.prepare(`SELECT * FROM ${table} WHERE project_id = ${project.sql} AND name = ?`).bind(project.value, name)
}
