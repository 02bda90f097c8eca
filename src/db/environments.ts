import type { EnvironmentSpec } from '../ci/types'
import { INSERTED_PIPELINE_ID } from './pipelines'

/**
 * Environments, the jobs linked to them and the deployments (`action: start` jobs). A
 * deployment's status is read from its job's status; an environment's state is kept on its row
 * and moved by its jobs finishing (environmentAfterJobStatements), stopping and auto-stop.
 */

export interface EnvironmentRow {
  id: number
  project_id: number
  name: string
  slug: string
  external_url: string | null
  tier: string
  description: string | null
  /** available, stopping, stopped (Environment's state machine) */
  state: 'available' | 'stopping' | 'stopped'
  auto_stop_at: number | null
  created_at: number
  updated_at: number
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

const ENVIRONMENT_SELECT = 'SELECT e.* FROM environments e'

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
  if (filter.states !== undefined) {
    where.push('e.state = ?')
    binds.push(filter.states)
  }
  const base = `${ENVIRONMENT_SELECT} WHERE ${where.join(' AND ')}`
  return [
    db.prepare(`${base} ORDER BY e.id LIMIT ? OFFSET ?`).bind(...binds, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM (${base})`).bind(...binds),
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

/** Deployment#status from its job's status (Deployment state machine, mirrored from the job); any other status is `created`. */
const DEPLOYMENT_STATUS_OF_JOB: Record<string, string> = {
  running: 'running', success: 'success', failed: 'failed', canceled: 'canceled', canceling: 'canceled', skipped: 'skipped', manual: 'blocked',
}

/** The same mapping as SQL over the joined job `j`. */
export const JOB_STATUS_OF_DEPLOYMENT = `CASE j.status ${Object.entries(DEPLOYMENT_STATUS_OF_JOB)
  .map(([job, deployment]) => `WHEN '${job}' THEN '${deployment}'`)
  .join(' ')} ELSE 'created' END`

export function deploymentStatus(jobStatus: string): string {
  return DEPLOYMENT_STATUS_OF_JOB[jobStatus] ?? 'created'
}

// ---- writes: the Environments API, state transitions, retried jobs --------------------------

export function insertEnvironmentStatement(
  db: D1Database, projectId: number, env: { name: string; slug: string; external_url: string | null; tier: string }, now: number,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO environments (project_id, name, slug, external_url, tier, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_id, name) DO NOTHING RETURNING *`,
    )
    .bind(projectId, env.name, env.slug, env.external_url, env.tier, now, now)
}

export function nameTakenStatement(db: D1Database, projectId: number, name: string, exceptId: number): D1PreparedStatement {
  return db.prepare('SELECT 1 AS taken FROM environments WHERE project_id = ? AND name = ? AND id != ?').bind(projectId, name, exceptId)
}

export function updateEnvironmentStatement(
  db: D1Database, id: number, changes: Partial<Pick<EnvironmentRow, 'name' | 'external_url' | 'tier'>>, now: number,
): D1PreparedStatement {
  const keys = Object.keys(changes) as Array<keyof typeof changes>
  const sets = [...keys.map((key) => `${key} = ?`), 'updated_at = ?']
  return db.prepare(`UPDATE environments SET ${sets.join(', ')} WHERE id = ? RETURNING *`).bind(...keys.map((key) => changes[key] ?? null), now, id)
}

/** Environment#destroy: its deployments go with it (use_fast_destroy :all_deployments), and the jobs' links. */
export function deleteEnvironmentStatements(db: D1Database, id: number): D1PreparedStatement[] {
  return [
    db.prepare('DELETE FROM deployments WHERE environment_id = ?').bind(id),
    db.prepare('DELETE FROM job_environments WHERE environment_id = ?').bind(id),
    db.prepare('DELETE FROM environments WHERE id = ?').bind(id),
  ]
}

/** `stop` is `stop_wait` when the environment has stop actions to wait for, else `stop_now`. */
export type EnvironmentEvent = 'start' | 'stop_wait' | 'stop_now' | 'stop_complete' | 'recover_stuck_stopping'

/**
 * One event of Environment's state machine, applied only from the states it allows: `start`
 * (stopped, stopping → available), `stop` (available → stopping or stopped), `stop_complete`
 * (available, stopping → stopped; clears auto_stop_at), `recover_stuck_stopping` (stopping → available).
 */
export function environmentEventStatement(
  db: D1Database, id: number, event: EnvironmentEvent, now: number,
): D1PreparedStatement {
  const [from, to] = {
    start: [['stopped', 'stopping'], 'available'],
    stop_wait: [['available'], 'stopping'],
    stop_now: [['available'], 'stopped'],
    stop_complete: [['available', 'stopping'], 'stopped'],
    recover_stuck_stopping: [['stopping'], 'available'],
  }[event] as [string[], string]
  const clear = to === 'stopped' ? ', auto_stop_at = NULL' : ''
  return db
    .prepare(`UPDATE environments SET state = ?, updated_at = ?${clear} WHERE id = ? AND state IN (${from.map(() => '?').join(', ')}) RETURNING *`)
    .bind(to, now, id, ...from)
}

/** The environment a job is linked to, and how. */
export function jobEnvironmentStatement(db: D1Database, jobId: number): D1PreparedStatement {
  return db.prepare('SELECT je.action, e.* FROM job_environments je JOIN environments e ON e.id = je.environment_id WHERE je.job_id = ?').bind(jobId)
}

/**
 * What a finished job does to its environment: a successful deployment starts it again and
 * renews auto_stop_at from the job's `auto_stop_in` (Deployments::UpdateEnvironmentService); a
 * successful stop job completes the stop (Environments::StopJobSuccessWorker); a failed one
 * brings a stopping environment back (Environments::StopJobFailedWorker).
 */
export function environmentAfterJobStatements(
  db: D1Database, environmentId: number, action: string, jobStatus: string, autoStopSeconds: number | null, now: number,
): D1PreparedStatement[] {
  if (action === 'start' && jobStatus === 'success') {
    return [
      environmentEventStatement(db, environmentId, 'start', now),
      db.prepare('UPDATE environments SET auto_stop_at = ?, updated_at = ? WHERE id = ?').bind(autoStopSeconds === null ? null : now + autoStopSeconds * 1000, now, environmentId),
    ]
  }
  if (action === 'stop' && jobStatus === 'success') return [environmentEventStatement(db, environmentId, 'stop_complete', now)]
  if (action === 'stop' && jobStatus === 'failed') return [environmentEventStatement(db, environmentId, 'recover_stuck_stopping', now)]
  return []
}

/**
 * Environment#stop_actions: the manual `on_stop` jobs of the deployments in the pipeline of the
 * environment's last finished deployment (Deployment#stop_action looks among the pipeline's
 * manual actions: `when: manual` jobs that are manual or finished).
 */
export function stopActionsStatement(db: D1Database, environmentId: number): D1PreparedStatement {
  return db
    .prepare(
      `WITH last AS (
         SELECT j.pipeline_id FROM deployments d JOIN jobs j ON j.id = d.job_id
         WHERE d.environment_id = ?1 AND j.status IN ('success', 'failed', 'canceled') ORDER BY d.id DESC LIMIT 1
       )
       SELECT DISTINCT s.* FROM deployments d JOIN jobs j ON j.id = d.job_id
         JOIN jobs s ON s.pipeline_id = j.pipeline_id AND s.retried = 0 AND s.when_ = 'manual'
           AND s.name = json_extract(j.options, '$.environment.on_stop')
           AND s.status IN ('manual', 'success', 'failed', 'canceled', 'skipped')
       WHERE d.environment_id = ?1 AND j.pipeline_id = (SELECT pipeline_id FROM last) AND s.id != j.id`,
    )
    .bind(environmentId)
}

/** Environments whose auto_stop_at has passed (Environment.auto_stoppable). */
export function autoStoppableStatement(db: D1Database, now: number, limit: number): D1PreparedStatement {
  return db.prepare("SELECT * FROM environments WHERE state = 'available' AND auto_stop_at < ? ORDER BY auto_stop_at LIMIT ?").bind(now, limit)
}

/**
 * A retried job keeps its environment and, for a deployment, gets a new one (Ci::RetryJobService
 * runs Deployments::CreateForJobService for the clone). Runs in the retry's batch, after the
 * clone's INSERT: the clone is the pipeline's newest job of that name (when the clone lost its
 * lock race there is none newer, and nothing is written).
 */
export function retriedJobEnvironmentStatements(db: D1Database, oldJobId: number, pipelineId: number, name: string, userId: number, now: number): D1PreparedStatement[] {
  const newJob = '(SELECT MAX(id) FROM jobs WHERE pipeline_id = ?2 AND name = ?3)'
  return [
    db
      .prepare(`INSERT OR IGNORE INTO job_environments (job_id, environment_id, action) SELECT ${newJob}, environment_id, action FROM job_environments WHERE job_id = ?1 AND ${newJob} > ?1`)
      .bind(oldJobId, pipelineId, name),
    db
      .prepare(
        `INSERT OR IGNORE INTO deployments (project_id, iid, environment_id, job_id, ref, sha, user_id, created_at)
         SELECT d.project_id, (SELECT COALESCE(MAX(iid), 0) + 1 FROM deployments WHERE project_id = d.project_id), d.environment_id, ${newJob}, d.ref, d.sha, ?4, ?5
         FROM deployments d WHERE d.job_id = ?1 AND ${newJob} > ?1`,
      )
      .bind(oldJobId, pipelineId, name, userId, now),
  ]
}
