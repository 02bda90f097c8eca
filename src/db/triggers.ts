import type { UserRow } from './users'

/** A pipeline trigger token (Ci::Trigger) with its owner and its newest pipeline's creation time. */
export interface TriggerRow {
  id: number
  project_id: number
  owner_id: number
  description: string | null
  token_digest: string
  short_token: string
  created_at: number
  updated_at: number
  expires_at: number | null
  /** Ci::Trigger#last_used: created_at of its newest pipeline */
  last_used: number | null
  owner_json: string | null
}

const TRIGGER_SELECT = `
SELECT t.*,
  (SELECT p.created_at FROM pipelines p WHERE p.trigger_id = t.id ORDER BY p.id DESC LIMIT 1) AS last_used,
  (SELECT json_object('id', u.id, 'username', u.username, 'name', u.name, 'email', u.email, 'is_admin', u.is_admin,
     'state', u.state, 'created_at', u.created_at) FROM users u WHERE u.id = t.owner_id) AS owner_json
FROM pipeline_triggers t`

export function triggerOwner(row: TriggerRow): UserRow | null {
  return row.owner_json ? (JSON.parse(row.owner_json) as UserRow) : null
}

/** A page of the project's triggers (one more than asked, to tell a next page) and their count. */
export function triggerPageStatements(db: D1Database, project: { sql: string; value: string | number }, limit: number, offset: number): D1PreparedStatement[] {
  return [
    db.prepare(`${TRIGGER_SELECT} WHERE t.project_id = ${project.sql} ORDER BY t.id LIMIT ? OFFSET ?`).bind(project.value, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM pipeline_triggers WHERE project_id = ${project.sql}`).bind(project.value),
  ]
}

export function triggerStatement(db: D1Database, project: { sql: string; value: string | number }, triggerId: number): D1PreparedStatement {
  return db.prepare(`${TRIGGER_SELECT} WHERE t.id = ? AND t.project_id = ${project.sql}`).bind(triggerId, project.value)
}

/** The trigger whose token has this digest (the digest column is UNIQUE). */
export function triggerByDigest(db: D1Database, digest: string): Promise<TriggerRow | null> {
  return db.prepare(`${TRIGGER_SELECT} WHERE t.token_digest = ?`).bind(digest).first<TriggerRow>()
}

export function insertTrigger(
  db: D1Database,
  values: { projectId: number; ownerId: number; description: string | null; digest: string; shortToken: string },
  now: number,
): Promise<TriggerRow | null> {
  return db
    .prepare(
      `INSERT INTO pipeline_triggers (project_id, owner_id, description, token_digest, short_token, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .bind(values.projectId, values.ownerId, values.description, values.digest, values.shortToken, now, now)
    .first<{ id: number }>()
    .then((row) => (row ? triggerById(db, row.id) : null))
}

function triggerById(db: D1Database, id: number): Promise<TriggerRow | null> {
  return db.prepare(`${TRIGGER_SELECT} WHERE t.id = ?`).bind(id).first<TriggerRow>()
}

export async function updateTriggerDescription(db: D1Database, id: number, description: string | null, now: number): Promise<TriggerRow | null> {
  await db.prepare('UPDATE pipeline_triggers SET description = ?, updated_at = ? WHERE id = ?').bind(description, now, id).run()
  return triggerById(db, id)
}

/** Deleting a trigger keeps its pipelines (GitLab nullifies ci_pipelines.trigger_id). */
export function deleteTriggerStatements(db: D1Database, id: number): D1PreparedStatement[] {
  return [
    db.prepare('UPDATE pipelines SET trigger_id = NULL WHERE trigger_id = ?').bind(id),
    db.prepare('DELETE FROM pipeline_triggers WHERE id = ?').bind(id),
  ]
}
