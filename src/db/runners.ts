/** Runners, their per-machine runner managers, and project registration tokens (digests only). */
export interface RunnerRow {
  id: number
  runner_type: 'instance_type' | 'project_type'
  project_id: number | null
  description: string
  token_digest: string
  token_prefix: string
  tag_list: string
  run_untagged: number
  paused: number
  locked: number
  maximum_timeout: number | null
  created_by_id: number | null
  created_at: number
  /** last change of the record itself (heartbeats leave it, as GitLab's update_columns does) */
  updated_at: number | null
  contacted_at: number | null
  access_level: 'not_protected' | 'ref_protected'
  maintenance_note: string | null
}

export interface NewRunner {
  runner_type: RunnerRow['runner_type']
  project_id: number | null
  description: string
  token_digest: string
  token_prefix: string
  tag_list: string[]
  run_untagged: boolean
  paused: boolean
  locked: boolean
  maximum_timeout: number | null
  access_level: RunnerRow['access_level']
  maintenance_note: string | null
  created_by_id: number | null
  created_at: number
}

/** What a runner reports about the machine it runs on (`info` + `system_id`). */
export interface ManagerInfo {
  system_id: string
  version: string | null
  revision: string | null
  platform: string | null
  architecture: string | null
  executor: string | null
  /** JSON of info.features, or null when the request carried none */
  features: string | null
  ip_address: string | null
}

/** The runner found by a token digest, with the manager of the calling machine if known. */
export interface AuthenticatedRunnerRow extends RunnerRow {
  m_id: number | null
  m_version: string | null
  m_revision: string | null
  m_platform: string | null
  m_architecture: string | null
  m_executor: string | null
  m_features: string | null
  m_contacted_at: number | null
}

export function insertRunner(db: D1Database, runner: NewRunner): Promise<RunnerRow | null> {
  return db
    .prepare(
      `INSERT INTO runners (runner_type, project_id, description, token_digest, token_prefix, tag_list, run_untagged,
         paused, locked, maximum_timeout, created_by_id, created_at, updated_at, access_level, maintenance_note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?12, ?, ?) RETURNING *`,
    )
    .bind(
      runner.runner_type, runner.project_id, runner.description, runner.token_digest, runner.token_prefix,
      JSON.stringify(runner.tag_list), runner.run_untagged ? 1 : 0, runner.paused ? 1 : 0, runner.locked ? 1 : 0,
      runner.maximum_timeout, runner.created_by_id, runner.created_at, runner.access_level, runner.maintenance_note,
    )
    .first<RunnerRow>()
}

/** The runner with this token digest, joined with its manager for `systemId`. */
export function findRunnerByDigest(db: D1Database, digest: string, systemId: string): Promise<AuthenticatedRunnerRow | null> {
  return db
    .prepare(
      `SELECT r.*, m.id AS m_id, m.version AS m_version, m.revision AS m_revision, m.platform AS m_platform,
         m.architecture AS m_architecture, m.executor AS m_executor, m.features AS m_features,
         m.contacted_at AS m_contacted_at
       FROM runners r LEFT JOIN runner_managers m ON m.runner_id = r.id AND m.system_id = ?
       WHERE r.token_digest = ?`,
    )
    .bind(systemId, digest)
    .first<AuthenticatedRunnerRow>()
}

/**
 * Creates or refreshes the runner manager of one machine; returns its id. Values the request did
 * not carry (null) keep what is stored.
 */
export function upsertManagerStatement(db: D1Database, runnerId: number, info: ManagerInfo, now: number): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO runner_managers (runner_id, system_id, version, revision, platform, architecture, executor, features,
         ip_address, created_at, updated_at, contacted_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, COALESCE(?8, '{}'), ?9, ?10, ?10, ?10)
       ON CONFLICT (runner_id, system_id) DO UPDATE SET
         version = COALESCE(?3, version), revision = COALESCE(?4, revision), platform = COALESCE(?5, platform),
         architecture = COALESCE(?6, architecture), executor = COALESCE(?7, executor), features = COALESCE(?8, features),
         ip_address = COALESCE(?9, ip_address), contacted_at = ?10
       RETURNING id`,
    )
    .bind(runnerId, info.system_id, info.version, info.revision, info.platform, info.architecture, info.executor, info.features, info.ip_address, now)
}

export function touchRunnerStatement(db: D1Database, runnerId: number, now: number): D1PreparedStatement {
  return db.prepare('UPDATE runners SET contacted_at = ? WHERE id = ?').bind(now, runnerId)
}

export function deleteRunnerStatements(db: D1Database, runnerId: number): D1PreparedStatement[] {
  return [
    db.prepare('DELETE FROM runner_managers WHERE runner_id = ?').bind(runnerId),
    db.prepare('DELETE FROM runners WHERE id = ?').bind(runnerId),
  ]
}

export async function deleteManager(db: D1Database, runnerId: number, systemId: string): Promise<boolean> {
  const result = await db.prepare('DELETE FROM runner_managers WHERE runner_id = ? AND system_id = ?').bind(runnerId, systemId).run()
  return (result.meta.changes ?? 0) > 0
}

export function updateRunnerToken(db: D1Database, runnerId: number, digest: string): Promise<D1Result> {
  return db.prepare('UPDATE runners SET token_digest = ?, updated_at = ? WHERE id = ?').bind(digest, Date.now(), runnerId).run()
}

export function findManager(db: D1Database, runnerId: number, systemId: string): Promise<{ id: number; created_at: number; updated_at: number | null } | null> {
  return db
    .prepare('SELECT id, created_at, updated_at FROM runner_managers WHERE runner_id = ? AND system_id = ?')
    .bind(runnerId, systemId)
    .first<{ id: number; created_at: number; updated_at: number | null }>()
}

/** The project whose legacy registration token has this digest. */
export function findProjectByRegistrationDigest(db: D1Database, digest: string): Promise<{ id: number; runners_token_digest: string } | null> {
  return db
    .prepare('SELECT id, runners_token_digest FROM projects WHERE runners_token_digest = ?')
    .bind(digest)
    .first<{ id: number; runners_token_digest: string }>()
}

export function setRegistrationDigest(db: D1Database, projectId: number, digest: string): Promise<D1Result> {
  return db.prepare('UPDATE projects SET runners_token_digest = ? WHERE id = ?').bind(digest, projectId).run()
}

/** The features a runner manager last reported (`info.features`); none when unknown or unreadable. */
export async function managerFeatures(db: D1Database, managerId: number): Promise<Record<string, unknown>> {
  const row = await db.prepare('SELECT features FROM runner_managers WHERE id = ?').bind(managerId).first<{ features: string | null }>()
  try {
    const parsed = JSON.parse(row?.features ?? '{}') as unknown
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
