import type { OffsetPage } from '../http/pagination'
import { MAX_COUNT_LIMIT } from '../http/pagination'
import type { PipelineRow } from './pipelines'

/** A pipeline with what its entities show (project path, user, commit date), in one statement. */
export interface PipelineViewRow extends PipelineRow {
  project_full_path: string
  user_json: string | null
  committed_date: number | null
  yaml_errors: string | null
}

const VIEW_SELECT = `
SELECT p.*, pr.full_path AS project_full_path,
  (SELECT json_object('id', u.id, 'username', u.username, 'name', u.name, 'email', u.email, 'is_admin', u.is_admin,
     'state', u.state, 'created_at', u.created_at) FROM users u WHERE u.id = p.user_id) AS user_json,
  (SELECT c.committed_date FROM commits c WHERE c.project_id = p.project_id AND c.sha = p.sha) AS committed_date,
  (SELECT e.errors FROM pipeline_yaml_errors e WHERE e.pipeline_id = p.id) AS yaml_errors
FROM pipelines p JOIN projects pr ON pr.id = p.project_id`

/** `project` is the SQL (and value) selecting the project id, from loadProject. */
export function pipelineViewStatement(db: D1Database, pipelineId: number, project: { sql: string; value: string | number } | number): D1PreparedStatement {
  const p = typeof project === 'number' ? { sql: '?', value: project } : project
  return db.prepare(`${VIEW_SELECT} WHERE p.id = ? AND p.project_id = ${p.sql}`).bind(pipelineId, p.value)
}

/**
 * Project#latest_pipeline(ref): the newest pipeline of `ref` at the ref's head commit `sha`
 * (Ci::Pipeline.newest_first(ref:, sha:)), served by pipelines_project_ref.
 */
export function latestPipelineViewStatement(db: D1Database, projectId: number, ref: string, sha: string): D1PreparedStatement {
  return db.prepare(`${VIEW_SELECT} WHERE p.project_id = ? AND p.ref = ? AND p.sha = ? ORDER BY p.id DESC LIMIT 1`).bind(projectId, ref, sha)
}

export interface PipelineFilter {
  scope?: 'running' | 'pending' | 'finished' | 'branches' | 'tags'
  status?: string
  ref?: string
  sha?: string
  source?: string
  username?: string
  orderBy: 'id' | 'status' | 'ref' | 'updated_at' | 'user_id'
  sort: 'asc' | 'desc'
}

const SCOPE_STATUSES: Record<string, string[]> = {
  running: ['running'],
  pending: ['pending'],
  finished: ['success', 'failed', 'canceled', 'skipped'],
}

/** The page (per_page + 1 rows) and the limited count, as two statements of the same batch. */
export function pipelineListStatement(
  db: D1Database,
  project: { sql: string; value: string | number },
  filter: PipelineFilter,
  page: OffsetPage,
): D1PreparedStatement[] {
  const where = [`p.project_id = ${project.sql}`]
  const binds: unknown[] = [project.value]
  const scoped = filter.scope ? SCOPE_STATUSES[filter.scope] : undefined
  if (scoped) {
    where.push(`p.status IN (${scoped.map(() => '?').join(',')})`)
    binds.push(...scoped)
  }
  if (filter.scope === 'tags') where.push('p.tag = 1')
  if (filter.scope === 'branches') where.push('p.tag = 0')
  for (const [column, value] of [['p.status', filter.status], ['p.ref', filter.ref], ['p.sha', filter.sha], ['p.source', filter.source]] as const) {
    if (value !== undefined) {
      where.push(`${column} = ?`)
      binds.push(value)
    }
  }
  if (filter.username !== undefined) {
    where.push('p.user_id = (SELECT id FROM users WHERE username = ?)')
    binds.push(filter.username)
  }
  const order = `p.${filter.orderBy} ${filter.sort.toUpperCase()}${filter.orderBy === 'id' ? '' : `, p.id ${filter.sort.toUpperCase()}`}`
  const condition = where.join(' AND ')
  return [
    db.prepare(`${VIEW_SELECT} WHERE ${condition} ORDER BY ${order} LIMIT ? OFFSET ?`).bind(...binds, page.perPage + 1, page.offset),
    db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM pipelines p WHERE ${condition} LIMIT ${MAX_COUNT_LIMIT + 1})`).bind(...binds),
  ]
}
