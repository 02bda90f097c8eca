/**
 * CI/CD variables of projects (GitLab's ci_variables) and of the instance (ci_instance_variables).
 * `value` is stored encrypted (auth/secret-box.ts); these queries never see plaintext. Lists are
 * in id order (ci_variables_project; the instance table by its primary key).
 */

import type { VariableValues } from '../ci/variable-rules'
import { projectRowListStatements, type ProjectCondition } from './project-rows'

/** The writable attributes, as stored (value already encrypted); every variable row has them. */
export interface VariableAttributes {
  /** encrypted */
  value: string
  variable_type: 'env_var' | 'file'
  protected: number
  masked: number
  raw: number
  description: string | null
}

export interface InstanceVariableRow extends VariableAttributes {
  id: number
  key: string
  created_at: number
  updated_at: number
}

export interface ProjectVariableRow extends InstanceVariableRow {
  project_id: number
  hidden: number
  environment_scope: string
}

export interface ProjectVariableAttributes extends VariableAttributes {
  key: string
  hidden: number
  environment_scope: string
}

/** The stored columns of a variable's settings, with its value already encrypted. */
export function variableAttributes(values: VariableValues, encryptedValue: string): VariableAttributes {
  return {
    value: encryptedValue,
    variable_type: values.variable_type,
    protected: values.protected ? 1 : 0,
    masked: values.masked ? 1 : 0,
    raw: values.raw ? 1 : 0,
    description: values.description,
  }
}

export function projectVariableListStatements(db: D1Database, project: ProjectCondition, limit: number, offset: number): D1PreparedStatement[] {
  return projectRowListStatements(db, 'ci_variables', project, limit, offset)
}

/** The project's variables with `key` (and `scope`, when filtered): more than one is ambiguous. */
export function projectVariablesByKeyStatement(db: D1Database, project: ProjectCondition, key: string, scope: string | undefined): D1PreparedStatement {
  if (scope === undefined) {
    return db.prepare(`SELECT * FROM ci_variables WHERE project_id = ${project.sql} AND key = ? ORDER BY id LIMIT 2`).bind(project.value, key)
  }
  return db
    .prepare(`SELECT * FROM ci_variables WHERE project_id = ${project.sql} AND key = ? AND environment_scope = ? ORDER BY id LIMIT 2`)
    .bind(project.value, key, scope)
}

/** Inserted unless the key is taken in that scope (then no row). */
export function insertProjectVariableStatement(db: D1Database, projectId: number, attrs: ProjectVariableAttributes, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ci_variables (project_id, key, value, variable_type, protected, masked, hidden, raw, environment_scope, description, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, key, environment_scope) DO NOTHING RETURNING *`,
    )
    .bind(projectId, attrs.key, attrs.value, attrs.variable_type, attrs.protected, attrs.masked, attrs.hidden, attrs.raw, attrs.environment_scope, attrs.description, now, now)
}

/** Updated unless the new environment_scope is taken by another variable of that key (then no row). */
export function updateProjectVariableStatement(db: D1Database, row: ProjectVariableRow, attrs: ProjectVariableAttributes, now: number): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE ci_variables SET value = ?, variable_type = ?, protected = ?, masked = ?, raw = ?, environment_scope = ?, description = ?, updated_at = ?
        WHERE id = ? AND NOT EXISTS (SELECT 1 FROM ci_variables o WHERE o.project_id = ? AND o.key = ? AND o.environment_scope = ? AND o.id != ?)
        RETURNING *`,
    )
    .bind(
      attrs.value, attrs.variable_type, attrs.protected, attrs.masked, attrs.raw, attrs.environment_scope, attrs.description, now,
      row.id, row.project_id, row.key, attrs.environment_scope, row.id,
    )
}

export function deleteProjectVariableStatement(db: D1Database, id: number): D1PreparedStatement {
  return db.prepare('DELETE FROM ci_variables WHERE id = ?').bind(id)
}

/** Every variable of the project (the runner payload filters by environment and protection). */
export function projectVariablesStatement(db: D1Database, projectId: number): D1PreparedStatement {
  return db.prepare('SELECT * FROM ci_variables WHERE project_id = ? ORDER BY id').bind(projectId)
}

// ---- instance ----

export function instanceVariableListStatements(db: D1Database, limit: number, offset: number): D1PreparedStatement[] {
  return [
    db.prepare('SELECT * FROM ci_instance_variables ORDER BY id LIMIT ? OFFSET ?').bind(limit, offset),
    db.prepare('SELECT COUNT(*) AS n FROM ci_instance_variables'),
  ]
}

export function instanceVariableStatement(db: D1Database, key: string): D1PreparedStatement {
  return db.prepare('SELECT * FROM ci_instance_variables WHERE key = ?').bind(key)
}

export function insertInstanceVariableStatement(db: D1Database, key: string, attrs: VariableAttributes, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ci_instance_variables (key, value, variable_type, protected, masked, raw, description, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING RETURNING *`,
    )
    .bind(key, attrs.value, attrs.variable_type, attrs.protected, attrs.masked, attrs.raw, attrs.description, now, now)
}

export function updateInstanceVariableStatement(db: D1Database, id: number, attrs: VariableAttributes, now: number): D1PreparedStatement {
  return db
    .prepare('UPDATE ci_instance_variables SET value = ?, variable_type = ?, protected = ?, masked = ?, raw = ?, description = ?, updated_at = ? WHERE id = ? RETURNING *')
    .bind(attrs.value, attrs.variable_type, attrs.protected, attrs.masked, attrs.raw, attrs.description, now, id)
}

export function deleteInstanceVariableStatement(db: D1Database, id: number): D1PreparedStatement {
  return db.prepare('DELETE FROM ci_instance_variables WHERE id = ?').bind(id)
}

export function instanceVariablesStatement(db: D1Database): D1PreparedStatement {
  return db.prepare('SELECT * FROM ci_instance_variables ORDER BY id')
}

/**
 * The project's and the instance's CI_DEBUG_TRACE / CI_DEBUG_SERVICES variables (whether a job's
 * log is a debug log), encrypted.
 */
export function debugVariablesStatement(db: D1Database, project: ProjectCondition): D1PreparedStatement {
  return db
    .prepare(
      `SELECT key, value FROM ci_variables WHERE project_id = ${project.sql} AND key IN ('CI_DEBUG_TRACE', 'CI_DEBUG_SERVICES')
       UNION ALL SELECT key, value FROM ci_instance_variables WHERE key IN ('CI_DEBUG_TRACE', 'CI_DEBUG_SERVICES')`,
    )
    .bind(project.value)
}
