import type { ProjectRow } from './projects'

/**
 * `GET /projects` in SQL (ProjectsFinder): which projects a viewer sees, narrowed by the list's
 * filters, in the requested order, with the viewer's member access level on each row.
 */
export type ProjectOrder = 'id' | 'name' | 'path' | 'created_at' | 'updated_at' | 'last_activity_at' | 'similarity'

export interface ProjectListQuery {
  /** null: anonymous */
  userId: number | null
  isAdmin: boolean
  owned: boolean
  membership: boolean
  minAccessLevel?: number
  search?: string
  searchNamespaces: boolean
  visibility?: string
  /** edgejobs keeps no archived projects: true selects none, false all. */
  archived?: boolean
  idAfter?: number
  idBefore?: number
  /** last_activity_at strictly after / before (ms) */
  activityAfter?: number
  activityBefore?: number
  orderBy: ProjectOrder
  sort: 'asc' | 'desc'
}

export type ProjectListRow = ProjectRow & { member_access: number }

/** Gitlab::SQL::Pattern::MIN_CHARS_FOR_PARTIAL_MATCHING: shorter terms match a whole value. */
const MIN_CHARS_FOR_PARTIAL_MATCHING = 3

/** Our columns for GitLab's order keys: projects keep no separate updated_at (last_activity_at moves on update). */
const ORDER_COLUMNS: Record<Exclude<ProjectOrder, 'similarity'>, string> = {
  id: 'p.id', name: 'p.name', path: 'p.path', created_at: 'p.created_at', updated_at: 'p.last_activity_at', last_activity_at: 'p.last_activity_at',
}

function likeEscaped(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`)
}

function conditions(query: ProjectListQuery): { where: string[]; binds: unknown[] } | null {
  const where: string[] = []
  const binds: unknown[] = []
  const bind = (value: unknown) => {
    binds.push(value)
    return `?${binds.length}`
  }
  const member = (minimum: number) =>
    `EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = ${bind(query.userId)} AND m.access_level >= ${bind(minimum)})`
  if (query.userId === null) {
    // ProjectsFinder#collection_without_user
    if (query.owned || query.minAccessLevel !== undefined) return null
    where.push("p.visibility = 'public'")
  } else if (query.owned) {
    // User#owned_projects: the projects of the user's own (personal) namespace.
    where.push(`p.namespace_path = (SELECT username FROM users WHERE id = ${bind(query.userId)}) COLLATE NOCASE`)
  } else if (query.minAccessLevel !== undefined) {
    where.push(member(query.minAccessLevel))
  } else if (query.membership) {
    where.push(member(1))
  } else if (!query.isAdmin) {
    where.push(`(p.visibility IN ('public', 'internal') OR ${member(1)})`)
  }
  if (query.archived === true) return null
  if (query.visibility !== undefined) where.push(`p.visibility = ${bind(query.visibility)}`)
  if (query.idAfter !== undefined) where.push(`p.id > ${bind(query.idAfter)}`)
  if (query.idBefore !== undefined) where.push(`p.id < ${bind(query.idBefore)}`)
  if (query.activityAfter !== undefined) where.push(`p.last_activity_at > ${bind(query.activityAfter)}`)
  if (query.activityBefore !== undefined) where.push(`p.last_activity_at < ${bind(query.activityBefore)}`)
  if (query.search !== undefined && query.search !== '') {
    // Project.search: name, path, description (and the full path with search_namespaces).
    const term = query.search.toLowerCase()
    const pattern = term.length >= MIN_CHARS_FOR_PARTIAL_MATCHING ? `%${likeEscaped(term)}%` : likeEscaped(term)
    const columns = ['p.name', 'p.path', 'p.description', ...(query.searchNamespaces ? ['p.full_path'] : [])]
    const like = bind(pattern)
    where.push(`(${columns.map((column) => `lower(${column}) LIKE ${like} ESCAPE '\\'`).join(' OR ')})`)
  }
  return { where, binds }
}

/** The order: the column asked for, then the id in the same direction (reorder_projects). */
function orderClause(query: ProjectListQuery, binds: unknown[]): string {
  const direction = query.sort === 'asc' ? 'ASC' : 'DESC'
  if (query.orderBy === 'similarity' && query.search) {
    // sorted_by_similarity_desc: exact name/path first, then prefixes, then anything matching.
    binds.push(query.search.toLowerCase())
    const term = `?${binds.length}`
    return `CASE WHEN lower(p.name) = ${term} OR lower(p.path) = ${term} THEN 0
      WHEN lower(p.name) LIKE ${term} || '%' OR lower(p.path) LIKE ${term} || '%' THEN 1 ELSE 2 END, p.id DESC`
  }
  const key = query.orderBy === 'similarity' ? 'created_at' : query.orderBy
  return key === 'id' ? `p.id ${direction}` : `${ORDER_COLUMNS[key]} ${direction}, p.id ${direction}`
}

/** One page of the list and its count (capped one above `countLimit`); null when nothing can match. */
export function projectListStatements(
  db: D1Database,
  query: ProjectListQuery,
  page: { limit: number; offset: number },
  countLimit: number | null,
): D1PreparedStatement[] | null {
  const selected = conditions(query)
  if (!selected) return null
  const { where, binds } = selected
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  const countBinds = [...binds]
  const order = orderClause(query, binds)
  binds.push(query.userId ?? 0)
  const userBind = `?${binds.length}`
  const rows = db
    .prepare(
      `SELECT p.*, COALESCE((SELECT m.access_level FROM project_members m WHERE m.project_id = p.id AND m.user_id = ${userBind}), 0) AS member_access
       FROM projects p ${filter} ORDER BY ${order} LIMIT ${Math.floor(page.limit)} OFFSET ${Math.floor(page.offset)}`,
    )
    .bind(...binds)
  if (countLimit === null) return [rows]
  const count = db
    .prepare(`SELECT COUNT(*) AS total FROM (SELECT 1 FROM projects p ${filter} LIMIT ${countLimit + 1})`)
    .bind(...countBinds)
  return [rows, count]
}
