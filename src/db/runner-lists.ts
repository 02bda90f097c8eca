import { JOB_VIEW_SELECT } from './job-views'
import { ONLINE_CONTACT_TIMEOUT_MS } from './runner-queue'
import type { RunnerRow } from './runners'

/**
 * The runners API's reads (lib/api/ci/runners.rb): runner lists with GitLab's scopes and filters,
 * one runner with what RunnerDetails shows, and a runner's jobs. A runner row comes with its
 * creator, whether it is executing a job, and its most recently contacted manager.
 */

/** Ci::Runner::STALE_TIMEOUT */
export const STALE_TIMEOUT_MS = 7 * 24 * 60 * 60 * 1000

export const RUNNER_STATUSES = ['active', 'paused', 'online', 'offline', 'never_contacted', 'stale'] as const
export const RUNNER_TYPES = ['instance_type', 'group_type', 'project_type'] as const
/** Ci::Runner::AVAILABLE_SCOPES: the legacy scopes, the types and the statuses. */
export const RUNNER_SCOPES = ['specific', 'shared', ...RUNNER_TYPES, ...RUNNER_STATUSES] as const
export type RunnerScope = (typeof RUNNER_SCOPES)[number]

export interface RunnerViewRow extends RunnerRow {
  created_by_json: string | null
  executing: number
  m_version: string | null
  m_revision: string | null
  m_platform: string | null
  m_architecture: string | null
  m_ip_address: string | null
}

const RUNNER_VIEW_SELECT = `
SELECT r.*,
  (SELECT json_object('id', cu.id, 'username', cu.username, 'name', cu.name, 'email', cu.email, 'is_admin', cu.is_admin,
     'state', cu.state, 'created_at', cu.created_at) FROM users cu WHERE cu.id = r.created_by_id) AS created_by_json,
  EXISTS (SELECT 1 FROM jobs jr WHERE jr.runner_id = r.id AND jr.status IN ('running', 'canceling')) AS executing,
  lm.version AS m_version, lm.revision AS m_revision, lm.platform AS m_platform, lm.architecture AS m_architecture,
  lm.ip_address AS m_ip_address
FROM runners r
LEFT JOIN runner_managers lm ON lm.id = (
  SELECT id FROM runner_managers WHERE runner_id = r.id ORDER BY contacted_at DESC NULLS LAST, id DESC LIMIT 1)`

export interface RunnerListFilter {
  /** User#ci_owned_runners: the runners of projects this user maintains. */
  ownedBy?: number
  /** Ci::Runner.owned_or_instance_wide: this project's runners and the instance's. */
  project?: { sql: string; value: string | number }
  scopes: RunnerScope[]
  tags?: string[]
  versionPrefix?: string
  now: number
}

function scopeCondition(scope: RunnerScope, now: number, bind: (value: unknown) => string): string {
  switch (scope) {
    case 'active': return 'r.paused = 0'
    case 'paused': return 'r.paused = 1'
    case 'online': return `r.contacted_at > ${bind(now - ONLINE_CONTACT_TIMEOUT_MS)}`
    case 'offline': return `r.contacted_at <= ${bind(now - ONLINE_CONTACT_TIMEOUT_MS)}`
    case 'never_contacted': return 'r.contacted_at IS NULL'
    case 'stale': {
      const deadline = bind(now - STALE_TIMEOUT_MS)
      return `r.created_at <= ${deadline} AND (r.contacted_at IS NULL OR r.contacted_at <= ${deadline})`
    }
    case 'specific': return "r.runner_type <> 'instance_type'"
    case 'shared': return "r.runner_type = 'instance_type'"
    default: return `r.runner_type = ${bind(scope)}`
  }
}

/** One offset page of runners (id order) and their count (capped one above `countLimit`). */
export function runnerListStatements(db: D1Database, filter: RunnerListFilter, page: { limit: number; offset: number }, countLimit: number): D1PreparedStatement[] {
  const where: string[] = []
  const binds: unknown[] = []
  const bind = (value: unknown) => {
    binds.push(value)
    return `?${binds.length}`
  }
  if (filter.ownedBy !== undefined) {
    where.push(`r.runner_type = 'project_type' AND r.project_id IN (SELECT project_id FROM project_members WHERE user_id = ${bind(filter.ownedBy)} AND access_level >= 40)`)
  }
  if (filter.project) where.push(`(r.runner_type = 'instance_type' OR r.project_id = ${filter.project.sql.replace('?', bind(filter.project.value))})`)
  for (const scope of filter.scopes) where.push(scopeCondition(scope, filter.now, bind))
  if (filter.tags && filter.tags.length > 0) {
    where.push(`NOT EXISTS (SELECT 1 FROM json_each(${bind(JSON.stringify(filter.tags))}) t WHERE t.value NOT IN (SELECT value FROM json_each(r.tag_list)))`)
  }
  if (filter.versionPrefix !== undefined) {
    const prefix = filter.versionPrefix.replace(/[\\%_]/g, (char) => `\\${char}`)
    where.push(`EXISTS (SELECT 1 FROM runner_managers vm WHERE vm.runner_id = r.id AND vm.version LIKE ${bind(prefix)} || '%' ESCAPE '\\')`)
  }
  const filterSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  return [
    db.prepare(`${RUNNER_VIEW_SELECT} ${filterSql} ORDER BY r.id LIMIT ${Math.floor(page.limit)} OFFSET ${Math.floor(page.offset)}`).bind(...binds),
    db.prepare(`SELECT COUNT(*) AS total FROM (SELECT 1 FROM runners r ${filterSql} LIMIT ${countLimit + 1})`).bind(...binds),
  ]
}

export type RunnerWithAccessRow = RunnerViewRow & { caller_access: number }

/** One runner with the caller's member access to its project (0 for instance runners and strangers). */
export function runnerViewStatement(db: D1Database, runnerId: number, userId: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT * FROM (${RUNNER_VIEW_SELECT} WHERE r.id = ?1) v,
         (SELECT COALESCE((SELECT access_level FROM project_members WHERE project_id = (SELECT project_id FROM runners WHERE id = ?1) AND user_id = ?2), 0) AS caller_access)`,
    )
    .bind(runnerId, userId)
}

export interface RunnerUpdate {
  description?: string
  paused?: boolean
  tag_list?: string[]
  run_untagged?: boolean
  locked?: boolean
  access_level?: RunnerRow['access_level']
  maximum_timeout?: number
  maintenance_note?: string
}

export function updateRunnerStatement(db: D1Database, runnerId: number, changes: RunnerUpdate, now: number): D1PreparedStatement {
  const columns: Array<[string, unknown]> = []
  if (changes.description !== undefined) columns.push(['description', changes.description])
  if (changes.paused !== undefined) columns.push(['paused', changes.paused ? 1 : 0])
  if (changes.tag_list !== undefined) columns.push(['tag_list', JSON.stringify(changes.tag_list)])
  if (changes.run_untagged !== undefined) columns.push(['run_untagged', changes.run_untagged ? 1 : 0])
  if (changes.locked !== undefined) columns.push(['locked', changes.locked ? 1 : 0])
  if (changes.access_level !== undefined) columns.push(['access_level', changes.access_level])
  if (changes.maximum_timeout !== undefined) columns.push(['maximum_timeout', changes.maximum_timeout])
  if (changes.maintenance_note !== undefined) columns.push(['maintenance_note', changes.maintenance_note])
  columns.push(['updated_at', now])
  return db
    .prepare(`UPDATE runners SET ${columns.map(([name]) => `${name} = ?`).join(', ')} WHERE id = ?`)
    .bind(...columns.map(([, value]) => value), runnerId)
}

/** Ci::RunnerJobsFinder: the runner's jobs, for non-admins only in projects where they are reporter+. */
export function runnerJobsStatements(
  db: D1Database,
  runnerId: number,
  filter: { statuses?: string[]; readerId?: number; systemId?: string; sort: 'asc' | 'desc' },
  page: { limit: number; offset: number },
  countLimit: number,
): D1PreparedStatement[] {
  const where = ['j.runner_id = ?']
  const binds: unknown[] = [runnerId]
  if (filter.statuses && filter.statuses.length > 0) {
    where.push(`j.status IN (${filter.statuses.map(() => '?').join(', ')})`)
    binds.push(...filter.statuses)
  }
  if (filter.readerId !== undefined) {
    where.push('j.project_id IN (SELECT project_id FROM project_members WHERE user_id = ? AND access_level >= 20)')
    binds.push(filter.readerId)
  }
  if (filter.systemId !== undefined) {
    where.push('j.runner_manager_id IN (SELECT id FROM runner_managers WHERE runner_id = ? AND system_id = ?)')
    binds.push(runnerId, filter.systemId)
  }
  const direction = filter.sort === 'asc' ? 'ASC' : 'DESC'
  return [
    db.prepare(`${JOB_VIEW_SELECT} WHERE ${where.join(' AND ')} ORDER BY j.id ${direction} LIMIT ${Math.floor(page.limit)} OFFSET ${Math.floor(page.offset)}`).bind(...binds),
    db.prepare(`SELECT COUNT(*) AS total FROM (SELECT 1 FROM jobs j WHERE ${where.join(' AND ')} LIMIT ${countLimit + 1})`).bind(...binds),
  ]
}

export interface ManagerRow {
  id: number
  system_id: string
  version: string | null
  revision: string | null
  platform: string | null
  architecture: string | null
  ip_address: string | null
  created_at: number
  contacted_at: number | null
  executing: number
}

/** The runner's managers (machines), oldest first, each with whether it is executing a job. */
export function runnerManagersStatement(db: D1Database, runnerId: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT m.id, m.system_id, m.version, m.revision, m.platform, m.architecture, m.ip_address, m.created_at, m.contacted_at,
         EXISTS (SELECT 1 FROM jobs j WHERE j.runner_id = m.runner_id AND j.runner_manager_id = m.id AND j.status IN ('running', 'canceling')) AS executing
       FROM runner_managers m WHERE m.runner_id = ? ORDER BY m.id`,
    )
    .bind(runnerId)
}
