/** Users and their personal access tokens. */
export interface UserRow {
  id: number
  username: string
  name: string
  email: string
  is_admin: number
  state: string
  created_at: number
}

export interface TokenRow {
  id: number
  user_id: number
  name: string
  scopes: string
  token_digest: string
  expires_at: string | null
  revoked: number
  created_at: number
  last_used_at: number | null
}

export async function insertUser(
  db: D1Database,
  user: { username: string; name: string; email: string; isAdmin: boolean; now: number },
): Promise<UserRow> {
  const row = await db
    .prepare('INSERT INTO users (username, name, email, is_admin, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *')
    .bind(user.username, user.name, user.email, user.isAdmin ? 1 : 0, user.now)
    .first<UserRow>()
  return row!
}

export function getUser(db: D1Database, id: number): Promise<UserRow | null> {
  return db.prepare('SELECT * FROM users WHERE id = ?').bind(id).first<UserRow>()
}

export async function getUsers(db: D1Database, ids: number[]): Promise<Map<number, UserRow>> {
  const unique = [...new Set(ids)]
  const out = new Map<number, UserRow>()
  if (unique.length === 0) return out
  const { results } = await db
    .prepare(`SELECT * FROM users WHERE id IN (${unique.map(() => '?').join(',')})`)
    .bind(...unique)
    .all<UserRow>()
  for (const row of results) out.set(row.id, row)
  return out
}

export async function userExists(db: D1Database, username: string, email: string): Promise<{ username: boolean; email: boolean }> {
  const row = await db
    .prepare(
      `SELECT EXISTS(SELECT 1 FROM users WHERE username = ?1) AS username,
              EXISTS(SELECT 1 FROM users WHERE email = ?2) AS email`,
    )
    .bind(username, email)
    .first<{ username: number; email: number }>()
  return { username: row!.username === 1, email: row!.email === 1 }
}

export async function insertToken(
  db: D1Database,
  token: { userId: number; name: string; scopes: string[]; digest: string; expiresAt: string | null; now: number },
): Promise<TokenRow> {
  const row = await db
    .prepare(
      `INSERT INTO personal_access_tokens (user_id, name, scopes, token_digest, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?) RETURNING *`,
    )
    .bind(token.userId, token.name, JSON.stringify(token.scopes), token.digest, token.expiresAt, token.now)
    .first<TokenRow>()
  return row!
}

/** Whose token this is (null when there is no such token). */
export async function tokenOwnerId(db: D1Database, tokenId: number): Promise<number | null> {
  const row = await db.prepare('SELECT user_id FROM personal_access_tokens WHERE id = ?').bind(tokenId).first<{ user_id: number }>()
  return row?.user_id ?? null
}

export function revokeToken(db: D1Database, userId: number, tokenId: number): Promise<D1Result> {
  return db.prepare('UPDATE personal_access_tokens SET revoked = 1 WHERE id = ? AND user_id = ?').bind(tokenId, userId).run()
}

/** The root user and its token, made once from INITIAL_ROOT_TOKEN (idempotent). */
export function bootstrapRootStatements(db: D1Database, digest: string, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare(
        `INSERT INTO users (username, name, email, is_admin, created_at)
         SELECT 'root', 'Administrator', 'admin@example.com', 1, ?1
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = 'root')`,
      )
      .bind(now),
    db
      .prepare(
        `INSERT INTO personal_access_tokens (user_id, name, scopes, token_digest, created_at)
         SELECT id, 'initial root token', '["api"]', ?1, ?2 FROM users WHERE username = 'root'
         AND NOT EXISTS (SELECT 1 FROM personal_access_tokens WHERE token_digest = ?1)`,
      )
      .bind(digest, now),
  ]
}

export interface UserListQuery {
  username?: string
  search?: string
  /** searching emails (exact match) is for admins only */
  searchEmails: boolean
  active: boolean
  blocked: boolean
  /** no external users exist here: true selects none */
  external: boolean
  admins: boolean
  orderBy: 'id' | 'name' | 'username' | 'created_at' | 'updated_at'
  sort: 'asc' | 'desc'
}

/** UsersFinder: one offset page of users and their count (capped one above `countLimit`). */
export function userListStatements(db: D1Database, query: UserListQuery, page: { limit: number; offset: number }, countLimit: number): D1PreparedStatement[] | null {
  if (query.external) return null
  const where: string[] = []
  const binds: unknown[] = []
  const bind = (value: unknown) => {
    binds.push(value)
    return `?${binds.length}`
  }
  // An exact, case-insensitive match (the column is COLLATE NOCASE).
  if (query.username !== undefined) where.push(`username = ${bind(query.username)}`)
  if (query.active) where.push("state = 'active'")
  if (query.blocked) where.push("state IN ('blocked', 'ldap_blocked')")
  if (query.admins) where.push('is_admin = 1')
  if (query.search !== undefined && query.search !== '') {
    // User.search: name and username fuzzily (3 characters or more), the email exactly.
    const term = query.search.toLowerCase()
    const pattern = term.length >= 3 ? `%${term.replace(/[\\%_]/g, (char) => `\\${char}`)}%` : term.replace(/[\\%_]/g, (char) => `\\${char}`)
    const like = bind(pattern)
    const email = query.searchEmails ? ` OR lower(email) = ${bind(term)}` : ''
    where.push(`(lower(name) LIKE ${like} ESCAPE '\\' OR lower(username) LIKE ${like} ESCAPE '\\'${email})`)
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''
  const direction = query.sort === 'asc' ? 'ASC' : 'DESC'
  // Users keep no updated_at: their creation stands in for it.
  const column = query.orderBy === 'updated_at' ? 'created_at' : query.orderBy
  const order = column === 'id' ? `id ${direction}` : `${column} ${direction}, id ${direction}`
  return [
    db.prepare(`SELECT * FROM users ${filter} ORDER BY ${order} LIMIT ${Math.floor(page.limit)} OFFSET ${Math.floor(page.offset)}`).bind(...binds),
    db.prepare(`SELECT COUNT(*) AS total FROM (SELECT 1 FROM users ${filter} LIMIT ${countLimit + 1})`).bind(...binds),
  ]
}
