import type { JobStatus } from '../ci/statuses'
import { MAX_COUNT_LIMIT } from '../http/pagination'
import { JOB_VIEW_SELECT } from './job-views'

/**
 * The job list queries. Each is ONE statement whose WHERE matches a partial index of schema.sql
 * and whose order is that index's order (id DESC), so a page reads about per_page + 1 rows at
 * any depth; offset pages skip rows, keyset pages start below a cursor id.
 */
export interface ProjectJobsFilter {
  statuses?: JobStatus[]
  ref?: string
  name?: string
  beforeId?: number
}

type ProjectSql = { sql: string; value: string | number }

function statusCondition(statuses: JobStatus[] | undefined, where: string[], binds: unknown[]): void {
  if (!statuses || statuses.length === 0) return
  where.push(statuses.length === 1 ? 'j.status = ?' : `j.status IN (${statuses.map(() => '?').join(',')})`)
  binds.push(...statuses)
}

/**
 * GET /projects/:id/jobs: builds only, retried included, id DESC. Returns `limit` rows.
 * Several statuses would make SQLite walk the whole project in id order, filtering; instead each
 * status reads its own index range (at most limit + offset ids) and the union is ordered.
 */
export function projectJobsStatement(db: D1Database, project: ProjectSql, filter: ProjectJobsFilter, limit: number, offset = 0): D1PreparedStatement {
  const statuses = filter.statuses ?? []
  if (statuses.length <= 1) {
    const { where, binds } = projectJobsWhere(project, filter, statuses[0])
    return db.prepare(`${JOB_VIEW_SELECT} WHERE ${where} ORDER BY j.id DESC LIMIT ? OFFSET ?`).bind(...binds, limit, offset)
  }
  const branches = statuses.map((status) => projectJobsWhere(project, filter, status))
  const union = branches
    .map((b) => `SELECT id FROM (SELECT j.id FROM jobs j WHERE ${b.where} ORDER BY j.id DESC LIMIT ${limit + offset})`)
    .join(' UNION ALL ')
  return db
    .prepare(`${JOB_VIEW_SELECT} WHERE j.id IN (${union}) ORDER BY j.id DESC LIMIT ? OFFSET ?`)
    .bind(...branches.flatMap((b) => b.binds), limit, offset)
}

function projectJobsWhere(project: ProjectSql, filter: ProjectJobsFilter, status: JobStatus | undefined): { where: string; binds: unknown[] } {
  const where = [`j.project_id = ${project.sql}`, `j.type = 'build'`]
  const binds: unknown[] = [project.value]
  const optional: Array<[string, unknown]> = [
    ['j.status = ?', status],
    ['j.ref = ?', filter.ref],
    ['j.name = ?', filter.name],
    ['j.id < ?', filter.beforeId],
  ]
  for (const [condition, value] of optional) {
    if (value === undefined) continue
    where.push(condition)
    binds.push(value)
  }
  return { where: where.join(' AND '), binds }
}

export interface PipelineJobsFilter {
  type: 'build' | 'bridge'
  statuses?: JobStatus[]
  includeRetried: boolean
  /** Only jobs with at least one artifact (the log counts). */
  withArtifacts?: boolean
  beforeId?: number
}

/** Jobs or bridges of one pipeline (of this project), id DESC, with the limited count. */
export function pipelineJobsStatements(
  db: D1Database,
  project: ProjectSql,
  pipelineId: number,
  filter: PipelineJobsFilter,
  limit: number,
  offset = 0,
): { page: D1PreparedStatement; count: D1PreparedStatement; pipeline: D1PreparedStatement } {
  const where = ['j.pipeline_id = ?', 'j.type = ?']
  const binds: unknown[] = [pipelineId, filter.type]
  if (!filter.includeRetried) where.push('j.retried = 0')
  if (filter.withArtifacts) where.push('EXISTS (SELECT 1 FROM job_artifacts a WHERE a.job_id = j.id)')
  statusCondition(filter.statuses, where, binds)
  const countWhere = where.join(' AND ')
  const countBinds = [...binds]
  if (filter.beforeId !== undefined) {
    where.push('j.id < ?')
    binds.push(filter.beforeId)
  }
  return {
    pipeline: db.prepare(`SELECT id FROM pipelines WHERE id = ? AND project_id = ${project.sql}`).bind(pipelineId, project.value),
    page: db.prepare(`${JOB_VIEW_SELECT} WHERE ${where.join(' AND ')} ORDER BY j.id DESC LIMIT ? OFFSET ?`).bind(...binds, limit, offset),
    count: db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs j WHERE ${countWhere} LIMIT ${MAX_COUNT_LIMIT + 1})`).bind(...countBinds),
  }
}

/** One job of a project by id (builds and bridges; callers decide what they accept). */
export function projectJobStatement(db: D1Database, project: ProjectSql, jobId: number): D1PreparedStatement {
  return db.prepare(`${JOB_VIEW_SELECT} WHERE j.id = ? AND j.project_id = ${project.sql}`).bind(jobId, project.value)
}

/** The variables of the job's pipeline (JSON), for rules that read a job's effective variables. */
export function jobPipelineVariablesStatement(db: D1Database, project: ProjectSql, jobId: number): D1PreparedStatement {
  return db
    .prepare(`SELECT p.variables FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.id = ? AND j.project_id = ${project.sql}`)
    .bind(jobId, project.value)
}
