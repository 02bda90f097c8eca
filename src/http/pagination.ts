import * as v from 'valibot'
import { ApiError } from './errors'
import { parseNestedPairs, toQuery } from './nested-params'
import { Int, Str } from './param-types'
import { validate, type RawParams } from './params'

/**
 * GitLab's pagination, one piece for every list (lib/gitlab/pagination/*).
 * Offset: `page`/`per_page` (per_page 0 rejected, above 100 clamped, negative → 20, page < 1 → 1),
 * headers X-Page, X-Per-Page, X-Next-Page, X-Prev-Page, Link, and when counting X-Total and
 * X-Total-Pages. Keyset: `pagination=keyset`, opaque `cursor`, `Link: <…>; rel="next"`.
 */
export const MAX_PER_PAGE = 100
export const DEFAULT_PER_PAGE = 20
/** Counts above this are dropped (Gitlab::Pagination::OffsetPagination MAX_COUNT_LIMIT). */
export const MAX_COUNT_LIMIT = 10_000

const PageParams = v.looseObject({
  page: v.optional(Int),
  per_page: v.optional(v.pipe(Int, v.check((n: number) => n !== 0, 'has a value not allowed'))),
})

export interface OffsetPage {
  page: number
  perPage: number
  offset: number
}

export function parseOffsetPage(raw: RawParams): OffsetPage {
  const params = validate(PageParams, raw)
  let perPage = params.per_page ?? DEFAULT_PER_PAGE
  if (perPage < 0) perPage = DEFAULT_PER_PAGE
  if (perPage > MAX_PER_PAGE) perPage = MAX_PER_PAGE
  const page = Math.max(1, params.page ?? 1)
  return { page, perPage, offset: (page - 1) * perPage }
}

export interface OffsetResult {
  hasNext: boolean
  /** Total rows when counted and at most MAX_COUNT_LIMIT; undefined means "without count". */
  total?: number
}

/** The headers of one offset page. `requestUrl` supplies path and params; host comes from externalUrl. */
export function offsetHeaders(requestUrl: string, externalUrl: string, page: OffsetPage, result: OffsetResult): Headers {
  const headers = new Headers()
  headers.set('X-Per-Page', String(page.perPage))
  headers.set('X-Page', String(page.page))
  headers.set('X-Next-Page', result.hasNext ? String(page.page + 1) : '')
  headers.set('X-Prev-Page', page.page > 1 ? String(page.page - 1) : '')
  const links: string[] = []
  const link = (p: number, rel: string) =>
    links.push(`<${pageUrl(requestUrl, externalUrl, { page: String(p), per_page: String(page.perPage) })}>; rel="${rel}"`)
  if (page.page > 1) link(page.page - 1, 'prev')
  if (result.hasNext) link(page.page + 1, 'next')
  link(1, 'first')
  if (result.total !== undefined) {
    const totalPages = Math.max(1, Math.ceil(result.total / page.perPage))
    headers.set('X-Total', String(result.total))
    headers.set('X-Total-Pages', String(totalPages))
    link(totalPages, 'last')
  }
  headers.set('Link', links.join(', '))
  return headers
}

/**
 * GitLab's page links repeat the request's params (OffsetHeaderBuilder#page_href), so a 30 KB
 * query made a 60 KB `Link` line, which Node clients refuse (16 KiB). Here the links keep the
 * pagination params first, then the other params in order while the query stays under
 * MAX_LINK_QUERY, leave out any one param longer than MAX_LINK_PARAM once encoded, and never
 * repeat a token (`private_token`, `job_token`).
 */
const PAGINATION_PARAMS = ['page', 'per_page', 'pagination', 'cursor', 'order_by', 'sort']
const NEVER_LINKED = new Set(['private_token', 'job_token', 'token'])
const MAX_LINK_PARAM = 256
const MAX_LINK_QUERY = 2048

/**
 * Request URL re-rooted on the external URL, its params merged with `overrides` and rebuilt with
 * Rails' to_query, so `scope[]=a&scope[]=b` and `scope[x]=a` survive as Rack parsed them.
 */
export function pageUrl(requestUrl: string, externalUrl: string, overrides: Record<string, string>): string {
  const url = new URL(requestUrl)
  const base = new URL(externalUrl)
  const parsed = parseNestedPairs(url.searchParams.entries())
  const names = [...PAGINATION_PARAMS.filter((name) => Object.hasOwn(parsed, name)), ...Object.keys(parsed).filter((name) => !PAGINATION_PARAMS.includes(name))]
  const kept: Record<string, unknown> = {}
  let length = toQuery(overrides).length
  for (const name of names) {
    if (NEVER_LINKED.has(name) || Object.hasOwn(overrides, name)) continue
    const part = toQuery({ [name]: parsed[name] }).length
    if (part > MAX_LINK_PARAM || length + part + 1 > MAX_LINK_QUERY) continue
    kept[name] = parsed[name]
    length += part + 1
  }
  const basePath = base.pathname.replace(/\/$/, '')
  return `${base.origin}${basePath}${url.pathname}?${toQuery({ ...kept, ...overrides })}`
}

// ---- keyset -------------------------------------------------------------------------------

const KEYSET_UNAVAILABLE = 'Keyset pagination is not yet available for this type of request'

const KeysetParams = v.looseObject({
  per_page: v.optional(v.pipe(Int, v.check((n: number) => n !== 0, 'has a value not allowed'))),
  cursor: v.optional(Str),
  order_by: v.optional(Str),
  sort: v.optional(Str),
})

export interface KeysetPage {
  perPage: number
  /** Rows strictly below this id (id DESC order); undefined for the first page. */
  beforeId?: number
}

export function isKeysetRequested(raw: RawParams): boolean {
  return raw.pagination === 'keyset'
}

/** Only `order_by=id&sort=desc` is supported, as for Ci::Build in GitLab; else 405. */
export function parseKeysetPage(raw: RawParams): KeysetPage {
  const params = validate(KeysetParams, raw)
  if ((params.order_by ?? 'id') !== 'id' || (params.sort ?? 'desc') !== 'desc') {
    throw ApiError.plain(405, KEYSET_UNAVAILABLE)
  }
  let perPage = params.per_page ?? DEFAULT_PER_PAGE
  if (perPage < 0) perPage = DEFAULT_PER_PAGE
  if (perPage > MAX_PER_PAGE) perPage = MAX_PER_PAGE
  return { perPage, beforeId: params.cursor ? decodeCursor(params.cursor) : undefined }
}

/** Cursor = URL-safe base64 of `{"id":"<last id>","_kd":"n"}`, as GitLab's keyset paginator. */
export function encodeCursor(lastId: number): string {
  const text = JSON.stringify({ id: String(lastId), _kd: 'n' })
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function decodeCursor(cursor: string): number {
  try {
    const padded = cursor.replace(/-/g, '+').replace(/_/g, '/')
    const parsed = JSON.parse(atob(padded + '='.repeat((4 - (padded.length % 4)) % 4))) as { id?: unknown; _kd?: unknown }
    const id = Number(parsed.id)
    if (!Number.isSafeInteger(id) || id < 0 || (parsed._kd !== undefined && parsed._kd !== 'n')) throw new Error('bad')
    return id
  } catch {
    throw ApiError.invalid('cursor', 'is invalid')
  }
}

/** `Link: <…cursor=…>; rel="next"` only when a next page exists. */
export function keysetHeaders(requestUrl: string, externalUrl: string, nextAfterId: number | undefined): Headers {
  const headers = new Headers()
  if (nextAfterId !== undefined) {
    headers.set('Link', `<${pageUrl(requestUrl, externalUrl, { cursor: encodeCursor(nextAfterId) })}>; rel="next"`)
  }
  return headers
}
