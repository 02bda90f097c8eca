import * as v from 'valibot'
import { authenticate } from '../auth/access'
import { generateToken, PERSONAL_TOKEN_PREFIX, tokenDigest } from '../auth/tokens'
import { getUser, insertToken, insertUser, userExists, revokeToken, tokenOwnerId, userListStatements, type UserRow } from '../db/users'
import { authorizeAdmin } from '../auth/policy'
import { ApiError } from '../http/errors'
import { Bool, Int, IsoDate, NonBlankStr, OneOf, SortDirection, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json, noContent } from '../http/response'
import { userBasic, userWithAdmin } from '../present/user'
import { MAX_COUNT_LIMIT, offsetHeaders, parseOffsetPage } from '../http/pagination'
import { isoTime } from '../present/time'
import type { ApiContext } from './context'

/** GET /user — the authenticated user. */
export async function currentUser(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  return json(userWithAdmin(caller.user!, c.externalUrl))
}

async function requireAdmin(c: ApiContext) {
  const raw = await c.params()
  const caller = await authenticate(c)
  authorizeAdmin(caller)
  return { raw, admin: caller.user! }
}

const CreateUserParams = v.looseObject({
  username: NonBlankStr,
  name: NonBlankStr,
  email: v.pipe(NonBlankStr, v.check((s: string) => /^[^\s@]+@[^\s@]+$/.test(s), 'is invalid')),
  admin: v.optional(Bool, false),
})

const USERNAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,254}$/

/** POST /users (admin) */
export async function createUser(c: ApiContext): Promise<Response> {
  const { raw } = await requireAdmin(c)
  const params = validate(CreateUserParams, raw)
  if (!USERNAME.test(params.username) || /\.(git|atom)$/.test(params.username)) {
    throw ApiError.fieldErrors({ username: ['can contain only letters, digits, \'_\', \'-\' and \'.\'. Cannot start with \'-\' or end in \'.\', \'.git\' or \'.atom\'.'] })
  }
  const taken = await userExists(c.env.DB, params.username, params.email)
  // GitLab answers 409 for a taken username or email (lib/api/users.rb).
  if (taken.email) throw ApiError.conflict('Email has already been taken')
  if (taken.username) throw ApiError.conflict('Username has already been taken')
  let row
  try {
    row = await insertUser(c.env.DB, { username: params.username, name: params.name, email: params.email, isAdmin: params.admin, now: c.now })
  } catch {
    throw ApiError.conflict('Username has already been taken') // lost a race on the unique index
  }
  return json(userWithAdmin(row, c.externalUrl), { status: 201 })
}

const UserIdParams = v.looseObject({ id: Int })

/** GET /users/:id (admin) */
export async function showUser(c: ApiContext): Promise<Response> {
  const { raw } = await requireAdmin(c)
  const { id } = validate(UserIdParams, raw)
  const row = await getUser(c.env.DB, id)
  if (!row) throw ApiError.notFound('User')
  return json(userWithAdmin(row, c.externalUrl))
}

const SCOPES = ['api', 'read_api', 'read_user', 'create_runner', 'manage_runner', 'read_repository', 'write_repository', 'read_registry', 'write_registry', 'sudo', 'admin_mode', 'k8s_proxy', 'self_rotate', 'ai_features'] as const

const CreateTokenParams = v.looseObject({
  user_id: Int,
  name: NonBlankStr,
  scopes: v.pipe(
    v.union([v.array(Str, 'is invalid'), Str], 'is invalid'),
    v.transform((s) => (Array.isArray(s) ? s : s.split(',').map((x) => x.trim()).filter(Boolean))),
    v.check((s: string[]) => s.length > 0, 'is empty'),
    v.check((s: string[]) => s.every((x) => (SCOPES as readonly string[]).includes(x)), 'does not have a valid value'),
  ),
  expires_at: v.optional(IsoDate),
})

/** POST /users/:user_id/personal_access_tokens (admin): the token value is shown once. */
export async function createPersonalAccessToken(c: ApiContext): Promise<Response> {
  const { raw } = await requireAdmin(c)
  const params = validate(CreateTokenParams, raw)
  const owner = await getUser(c.env.DB, params.user_id)
  if (!owner) throw ApiError.notFound('User')
  const now = c.now
  if (params.expires_at && Date.parse(`${params.expires_at}T00:00:00Z`) <= now - 86_400_000) {
    throw ApiError.fieldErrors({ expires_at: ['must be in the future'] })
  }
  const token = generateToken(PERSONAL_TOKEN_PREFIX)
  const row = await insertToken(c.env.DB, {
    userId: owner.id, name: params.name, scopes: params.scopes, digest: await tokenDigest(token),
    expiresAt: params.expires_at ?? null, now,
  })
  return json(
    {
      id: row.id,
      name: row.name,
      revoked: false,
      created_at: isoTime(row.created_at),
      description: null,
      scopes: params.scopes,
      user_id: owner.id,
      last_used_at: null,
      active: true,
      expires_at: row.expires_at,
      token,
    },
    { status: 201 },
  )
}

const RevokeParams = v.looseObject({ token_id: Int })

/** DELETE /personal_access_tokens/:token_id — the owner or an admin revokes a token. */
export async function revokePersonalAccessToken(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const { token_id } = validate(RevokeParams, raw)
  const ownerId = await tokenOwnerId(c.env.DB, token_id)
  if (ownerId === null || (ownerId !== caller.user!.id && caller.user!.is_admin !== 1)) throw ApiError.notFound()
  await revokeToken(c.env.DB, ownerId, token_id)
  return noContent()
}

const ListUsersParams = v.looseObject({
  username: v.optional(Str),
  search: v.optional(Str),
  active: v.optional(Bool, false),
  blocked: v.optional(Bool, false),
  external: v.optional(Bool, false),
  admins: v.optional(Bool, false),
  extern_uid: v.optional(Str),
  provider: v.optional(Str),
  order_by: v.optional(OneOf(['id', 'name', 'username', 'created_at', 'updated_at'] as const), 'id'),
  sort: v.optional(SortDirection, 'desc'),
})

/**
 * GET /users (lib/api/users.rb, UsersFinder): any signed-in user lists users as UserBasic; an
 * admin sees UserWithAdmin and may order and search emails; anonymous callers only with an exact
 * `username` (0 or 1 user). Nobody here has an external identity or is external.
 */
export async function listUsers(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const params = validate(ListUsersParams, raw)
  if ((params.extern_uid === undefined) !== (params.provider === undefined)) {
    throw ApiError.plain(400, 'extern_uid, provider provide all or none of parameters')
  }
  const isAdmin = caller.user?.is_admin === 1
  if (params.extern_uid !== undefined) authorizeAdmin(caller)
  if (!caller.user && params.username === undefined) throw ApiError.forbidden('Not authorized to access /api/v4/users')
  // paginate_with_strategies: no keyset pagination for users.
  if (raw.pagination === 'keyset') throw ApiError.plain(405, 'Keyset pagination is not yet available for this type of request')
  const page = parseOffsetPage(raw)
  const statements = userListStatements(c.env.DB, {
    username: params.username,
    search: params.search,
    searchEmails: isAdmin,
    active: params.active,
    blocked: params.blocked,
    // by_external_identity finds nobody: no identities are kept.
    external: params.external || params.extern_uid !== undefined,
    admins: params.admins && isAdmin,
    // Non-admins' order and sort are dropped (can_read_all_resources?).
    orderBy: isAdmin ? params.order_by : 'id',
    sort: isAdmin ? params.sort : 'desc',
  }, { limit: page.perPage + 1, offset: page.offset }, MAX_COUNT_LIMIT)
  const [rows, count] = statements ? await c.env.DB.batch(statements) : [{ results: [] }, { results: [{ total: 0 }] }]
  const users = rows.results as UserRow[]
  const total = (count.results[0] as { total: number } | undefined)?.total ?? 0
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: users.length > page.perPage, total: total > MAX_COUNT_LIMIT ? undefined : total })
  const present = isAdmin ? userWithAdmin : userBasic
  return json(users.slice(0, page.perPage).map((user) => present(user, c.externalUrl)), { headers })
}
