import type { EnvironmentSpec } from '../ci/types'
import { INSERTED_PIPELINE_ID } from './pipelines'

/**
 * Environments, the jobs linked to them and the deployments (`action: start` jobs). A
 * deployment's status and an environment's state are read from the jobs' statuses, so job
 * transitions need not write here.
 */

export interface EnvironmentRow {
  id: number
  project_id: number
  name: string
  slug: string
  external_url: string | null
  tier: string
  created_at: number
  updated_at: number
  /** computed: available, or stopped after a successful stop job newer than the last successful deployment */
  state: string
}

export interface DeploymentRow {
  id: number
  iid: number
  project_id: number
  environment_id: number
  job_id: number
  ref: string
  sha: string
  user_id: number | null
  created_at: number
  updated_at: number
  job_status: string
  environment_json: string
  user_json: string | null
}

/** The statements that record one job's environment, in the pipeline's creation batch. */
export function environmentStatements(
  db: D1Database,
  input: { projectId: number; jobName: string; environment: EnvironmentSpec & { slug: string }; ref: string; sha: string; userId: number | null; now: number },
): D1PreparedStatement[] {
  const { projectId, jobName, environment, now } = input
  const jobId = `(SELECT MAX(id) FROM jobs WHERE pipeline_id = ${INSERTED_PIPELINE_ID} AND name = ?2)`
  const environmentId = '(SELECT id FROM environments WHERE project_id = ?1 AND name = ?3)'
  const statements = [
    db
      .prepare(
        `INSERT INTO environments (project_id, name, slug, external_url, tier, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (project_id, name) DO UPDATE SET updated_at = excluded.updated_at,
           external_url = COALESCE(excluded.external_url, environments.external_url)`,
      )
      .bind(projectId, environment.name, environment.slug, environment.url ?? null, environment.deployment_tier ?? 'other', now),
    db
      .prepare(`INSERT INTO job_environments (job_id, environment_id, action) VALUES (${jobId}, ${environmentId}, ?4)`)
      .bind(projectId, jobName, environment.name, environment.action),
  ]
  if (environment.action === 'start') {
    statements.push(
      db
        .prepare(
          `INSERT INTO deployments (project_id, iid, environment_id, job_id, ref, sha, user_id, created_at)
           VALUES (?1, (SELECT COALESCE(MAX(iid), 0) + 1 FROM deployments WHERE project_id = ?1), ${environmentId}, ${jobId}, ?4, ?5, ?6, ?7)`,
        )
        .bind(projectId, jobName, environment.name, input.ref, input.sha, input.userId, now),
    )
  }
  return statements
}

const ENVIRONMENT_SELECT = `SELECT e.*, CASE WHEN EXISTS (
    SELECT 1 FROM job_environments je JOIN jobs js ON js.id = je.job_id
    WHERE je.environment_id = e.id AND je.action = 'stop' AND js.status = 'success'
      AND js.id > COALESCE((SELECT MAX(d.job_id) FROM deployments d JOIN jobs jd ON jd.id = d.job_id
                            WHERE d.environment_id = e.id AND jd.status = 'success'), 0)
  ) THEN 'stopped' ELSE 'available' END AS state
  FROM environments e`

export interface EnvironmentFilter {
  name?: string
  search?: string
  states?: string
}

export function environmentListStatements(db: D1Database, project: { sql: string; value: string | number }, filter: EnvironmentFilter, limit: number, offset: number): D1PreparedStatement[] {
  const where = [`e.project_id = ${project.sql}`]
  const binds: (string | number)[] = [project.value]
  if (filter.name !== undefined) {
    where.push('e.name = ?')
    binds.push(filter.name)
  }
  if (filter.search !== undefined) {
    where.push("e.name LIKE ? ESCAPE '\\'")
    binds.push(`%${filter.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)
  }
  const base = `SELECT * FROM (${ENVIRONMENT_SELECT} WHERE ${where.join(' AND ')}) x`
  const state = filter.states ? ' WHERE x.state = ?' : ''
  const stateBinds = filter.states ? [filter.states] : []
  return [
    db.prepare(`${base}${state} ORDER BY x.id LIMIT ? OFFSET ?`).bind(...binds, ...stateBinds, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM (${base}${state})`).bind(...binds, ...stateBinds),
  ]
}

export function environmentStatement(db: D1Database, project: { sql: string; value: string | number }, id: number): D1PreparedStatement {
  return db.prepare(`${ENVIRONMENT_SELECT} WHERE e.id = ? AND e.project_id = ${project.sql}`).bind(id, project.value)
}

const DEPLOYMENT_SELECT = `SELECT d.*, COALESCE(j.finished_at, j.started_at, j.updated_at, d.created_at) AS updated_at, j.status AS job_status,
  json_object('id', e.id, 'name', e.name, 'slug', e.slug, 'external_url', e.external_url, 'created_at', e.created_at,
    'updated_at', e.updated_at, 'tier', e.tier) AS environment_json,
  CASE WHEN u.id IS NULL THEN NULL ELSE json_object('id', u.id, 'username', u.username, 'name', u.name, 'state', u.state) END AS user_json
  FROM deployments d JOIN jobs j ON j.id = d.job_id JOIN environments e ON e.id = d.environment_id LEFT JOIN users u ON u.id = d.user_id`

export function deploymentListStatements(
  db: D1Database,
  project: { sql: string; value: string | number },
  filter: { environment?: string; status?: string[]; orderBy: string; sort: 'asc' | 'desc' },
  limit: number,
  offset: number,
): D1PreparedStatement[] {
  const where = [`d.project_id = ${project.sql}`]
  const binds: (string | number)[] = [project.value]
  if (filter.environment !== undefined) {
    where.push('e.name = ?')
    binds.push(filter.environment)
  }
  if (filter.status) {
    where.push(`(${JOB_STATUS_OF_DEPLOYMENT}) IN (${filter.status.map(() => '?').join(', ')})`)
    binds.push(...filter.status)
  }
  const order = { id: 'd.id', iid: 'd.iid', created_at: 'd.created_at', updated_at: 'updated_at', ref: 'd.ref' }[filter.orderBy] ?? 'd.id'
  const direction = filter.sort === 'desc' ? 'DESC' : 'ASC'
  return [
    db.prepare(`${DEPLOYMENT_SELECT} WHERE ${where.join(' AND ')} ORDER BY ${order} ${direction}, d.id ${direction} LIMIT ? OFFSET ?`).bind(...binds, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM deployments d JOIN jobs j ON j.id = d.job_id JOIN environments e ON e.id = d.environment_id WHERE ${where.join(' AND ')}`).bind(...binds),
  ]
}

export function deploymentStatement(db: D1Database, project: { sql: string; value: string | number }, id: number): D1PreparedStatement {
  return db.prepare(`${DEPLOYMENT_SELECT} WHERE d.id = ? AND d.project_id = ${project.sql}`).bind(id, project.value)
}

export function lastDeploymentStatement(db: D1Database, environmentId: number): D1PreparedStatement {
  return db.prepare(`${DEPLOYMENT_SELECT} WHERE d.environment_id = ? ORDER BY d.id DESC LIMIT 1`).bind(environmentId)
}

/** Deployment#status from its job's status (Deployment state machine, mirrored from the job). */
export const JOB_STATUS_OF_DEPLOYMENT = `CASE j.status WHEN 'running' THEN 'running' WHEN 'success' THEN 'success' WHEN 'failed' THEN 'failed'
  WHEN 'canceled' THEN 'canceled' WHEN 'canceling' THEN 'canceled' WHEN 'skipped' THEN 'skipped' WHEN 'manual' THEN 'blocked' ELSE 'created' END`

export function deploymentStatus(jobStatus: string): string {
  const map: Record<string, string> = { running: 'running', success: 'success', failed: 'failed', canceled: 'canceled', canceling: 'canceled', skipped: 'skipped', manual: 'blocked' }
  return map[jobStatus] ?? 'created'
}
