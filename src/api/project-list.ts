import * as v from 'valibot'
import { authenticate } from '../auth/access'
import { VALID_ACCESS_LEVELS } from '../auth/policy'
import { projectListStatements, type ProjectListQuery, type ProjectListRow, type ProjectOrder } from '../db/project-lists'
import { ApiError } from '../http/errors'
import { DEFAULT_PER_PAGE, MAX_COUNT_LIMIT, MAX_PER_PAGE, offsetHeaders, pageUrl, parseOffsetPage } from '../http/pagination'
import { Bool, DateTime, Int, OneOf, SortDirection, Str } from '../http/param-types'
import { validate, type RawParams } from '../http/params'
import { json } from '../http/response'
import { basicProjectDetails, projectWithAccess } from '../present/project'
import type { ApiContext } from './context'

/**
 * GET /projects (lib/api/projects.rb `present_projects`, ProjectsFinder): anonymous callers see
 * public projects, users public, internal and their member projects, admins every project.
 * Offset pagination with counts, or keyset (`pagination=keyset`, only `order_by=id`: the
 * Gitlab::Pagination::Keyset request context, whose next link carries `id_after`/`id_before`).
 */
const STATISTICS_ORDERS = ['storage_size', 'repository_size', 'wiki_size', 'packages_size'] as const
const ORDERS = ['id', 'name', 'path', 'created_at', 'updated_at', 'last_activity_at', 'similarity', 'star_count', ...STATISTICS_ORDERS] as const

const ListParams = v.looseObject({
  order_by: v.optional(OneOf(ORDERS), 'created_at'),
  sort: v.optional(SortDirection, 'desc'),
  archived: v.optional(Bool),
  visibility: v.optional(OneOf(['private', 'internal', 'public'] as const)),
  search: v.optional(Str),
  search_namespaces: v.optional(Bool, false),
  owned: v.optional(Bool, false),
  membership: v.optional(Bool, false),
  starred: v.optional(Bool, false),
  min_access_level: v.optional(v.pipe(Int, v.check((n: number) => (VALID_ACCESS_LEVELS as readonly number[]).includes(n), 'does not have a valid value'))),
  id_after: v.optional(Int),
  id_before: v.optional(Int),
  last_activity_after: v.optional(DateTime),
  last_activity_before: v.optional(DateTime),
  updated_after: v.optional(DateTime),
  updated_before: v.optional(DateTime),
  simple: v.optional(Bool, false),
  statistics: v.optional(Bool, false),
})

const KEYSET_UNAVAILABLE = 'Keyset pagination is not yet available for this type of request'

export async function listProjects(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const params = validate(ListParams, raw)
  // validate_updated_at_order_and_filter!
  if ((params.updated_after !== undefined || params.updated_before !== undefined) && params.order_by !== 'updated_at') {
    throw ApiError.badRequest('`updated_at` filter and `updated_at` sorting must be paired')
  }
  const user = caller.user
  const isAdmin = user?.is_admin === 1
  const query: ProjectListQuery = {
    userId: user?.id ?? null,
    isAdmin,
    owned: params.owned,
    membership: params.membership,
    minAccessLevel: params.min_access_level,
    search: params.search,
    searchNamespaces: params.search_namespaces,
    visibility: params.visibility,
    archived: params.archived,
    idAfter: params.id_after,
    idBefore: params.id_before,
    // Projects keep no separate updated_at: last_activity_at moves on every update.
    activityAfter: maxOf(params.last_activity_after, params.updated_after),
    activityBefore: minOf(params.last_activity_before, params.updated_before),
    orderBy: orderOf(params.order_by, isAdmin),
    sort: params.sort,
  }
  // Nobody stars projects here: `starred=true` lists nothing.
  const keyset = raw.pagination === 'keyset'
  if (keyset && params.order_by !== 'id') throw ApiError.plain(405, KEYSET_UNAVAILABLE)
  const page = keyset ? { page: 1, perPage: keysetPerPage(raw), offset: 0 } : parseOffsetPage(raw)
  const statements = params.starred
    ? null
    : projectListStatements(c.env.DB, query, { limit: keyset ? page.perPage : page.perPage + 1, offset: page.offset }, keyset ? null : MAX_COUNT_LIMIT)
  const results = statements ? await c.env.DB.batch(statements) : []
  const rows = (results[0]?.results ?? []) as ProjectListRow[]
  const shown = rows.slice(0, page.perPage)
  const present = (row: ProjectListRow) =>
    params.simple || !user ? basicProjectDetails(row, c.externalUrl) : projectWithAccess(row, row.member_access, c.externalUrl)
  const body = shown.map(present)
  if (keyset) return json(body, { headers: keysetLink(c, shown, params.sort) })
  const total = (results[1]?.results[0] as { total: number } | undefined)?.total ?? 0
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: total > MAX_COUNT_LIMIT ? undefined : total })
  return json(body, { headers })
}

function maxOf(...values: Array<number | undefined>): number | undefined {
  const given = values.filter((value): value is number => value !== undefined)
  return given.length > 0 ? Math.max(...given) : undefined
}

function minOf(...values: Array<number | undefined>): number | undefined {
  const given = values.filter((value): value is number => value !== undefined)
  return given.length > 0 ? Math.min(...given) : undefined
}

/** Stars and statistics are all zero here, so their orders are the id's; statistics orders are admins' only. */
function orderOf(order: (typeof ORDERS)[number], isAdmin: boolean): ProjectOrder {
  if (order === 'star_count') return 'id'
  if ((STATISTICS_ORDERS as readonly string[]).includes(order)) return isAdmin ? 'id' : 'created_at'
  return order as ProjectOrder
}

const KeysetPageParams = v.looseObject({ per_page: v.optional(Int) })

/** Gitlab::Pagination::Keyset::Page#per_page: non-positive → the default, at most the maximum. */
function keysetPerPage(raw: RawParams): number {
  const perPage = validate(KeysetPageParams, raw).per_page ?? DEFAULT_PER_PAGE
  return perPage <= 0 ? DEFAULT_PER_PAGE : Math.min(perPage, MAX_PER_PAGE)
}

/**
 * Keyset::Pager#finalize: a page with rows links the next one through the last row's id
 * (`id_before` descending, `id_after` ascending), the request's other params kept; an empty page
 * has no link.
 */
function keysetLink(c: ApiContext, rows: ProjectListRow[], sort: 'asc' | 'desc'): Headers {
  const headers = new Headers()
  const last = rows.at(-1)
  if (!last) return headers
  const bound = sort === 'asc' ? 'id_after' : 'id_before'
  headers.set('Link', `<${pageUrl(c.request.url, c.externalUrl, { [bound]: String(last.id) })}>; rel="next"`)
  return headers
}
