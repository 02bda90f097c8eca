import type { UserRow } from './users'

/**
 * The credential lookups of authentication (auth/access.ts): the token's row with its user, and
 * the SQL that names the caller's user id inside another statement of the same batch, so that
 * authentication, the project with the caller's membership and a handler's page are ONE round trip.
 */
export interface CallerRow extends UserRow {
  t_digest: string
  t_expires_at?: string | null
  t_revoked?: number
  t_scopes?: string
  job_id?: number
  job_status?: string
  job_project_id?: number
  job_erased_at?: number | null
  job_project_path?: string
}

export interface CallerLookup {
  caller?: D1PreparedStatement
  /** SQL giving the caller's user id (with `binds`), usable in a subquery. */
  userIdSql: string
  binds: unknown[]
}

export function personalTokenCaller(db: D1Database, digest: string): CallerLookup {
  return {
    caller: db.prepare(
      `SELECT u.*, t.token_digest AS t_digest, t.expires_at AS t_expires_at, t.revoked AS t_revoked,
              t.scopes AS t_scopes
       FROM personal_access_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_digest = ?`,
    ).bind(digest),
    userIdSql: '(SELECT user_id FROM personal_access_tokens WHERE token_digest = ?)',
    binds: [digest],
  }
}

export function jobTokenCaller(db: D1Database, digest: string): CallerLookup {
  return {
    caller: db.prepare(
      `SELECT u.*, j.token_digest AS t_digest, j.id AS job_id, j.status AS job_status,
              j.project_id AS job_project_id, j.erased_at AS job_erased_at,
              (SELECT full_path FROM projects WHERE id = j.project_id) AS job_project_path
       FROM jobs j LEFT JOIN users u ON u.id = j.user_id WHERE j.token_digest = ?`,
    ).bind(digest),
    userIdSql: '(SELECT user_id FROM jobs WHERE token_digest = ?)',
    binds: [digest],
  }
}

/** The project selected by `condition`, with the caller's access level as `member_access`. */
export function projectWithMembershipStatement(db: D1Database, condition: { sql: string; value: string | number }, who: CallerLookup): D1PreparedStatement {
  return db.prepare(
    `SELECT p.*, COALESCE((SELECT m.access_level FROM project_members m
        WHERE m.project_id = p.id AND m.user_id = ${who.userIdSql}), 0) AS member_access
     FROM projects p WHERE ${condition.sql}`,
  ).bind(...who.binds, condition.value)
}
