import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { PROTECTED_ACCESS_LEVELS } from '../auth/protected-branch-access'
import {
  deleteProtectedTagStatement, insertProtectedTagStatement, protectedTagListStatements, protectedTagStatement, type ProtectedTagRow,
} from '../db/protected-tags'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Int, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { protectedTag } from '../present/protected-tag'
import type { ApiContext } from './context'

/**
 * GitLab's protected tags API (lib/api/protected_tags.rb, CE): list, show, protect, unprotect,
 * maintainers only (admin_project); a tag not protected is `404 Not found` (find_by!).
 */
const AccessLevelParam = v.pipe(Int, v.check((n: number) => (PROTECTED_ACCESS_LEVELS as readonly number[]).includes(n), 'does not have a valid value'))

export async function listProtectedTags(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(v.looseObject({ id: Str }), raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject<[ProtectedTagRow, { n: number }]>(c, params.id, (project) =>
    protectedTagListStatements(c.env.DB, project, page.perPage + 1, page.offset),
  )
  authorize(ctx.access, 'admin_protected_branch')
  const rows = ctx.results[0].results
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(rows.slice(0, page.perPage).map(protectedTag), { headers })
}

const NameParams = v.looseObject({ id: Str, name: Str })

async function findProtectedTag(c: ApiContext, params: { id: string; name: string }): Promise<ProtectedTagRow> {
  const ctx = await loadProject<[ProtectedTagRow]>(c, params.id, (project) => [protectedTagStatement(c.env.DB, project, params.name)])
  authorize(ctx.access, 'admin_protected_branch')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  return row
}

export async function showProtectedTag(c: ApiContext): Promise<Response> {
  return json(protectedTag(await findProtectedTag(c, await c.valid(NameParams))))
}

const CreateParams = v.looseObject({ id: Str, name: Str, create_access_level: v.optional(AccessLevelParam) })

/** POST /projects/:id/protected_tags → 201; an existing name is 409. */
export async function protectTag(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const name = typeof raw.name === 'string' ? raw.name : ''
  const ctx = await loadProject<[ProtectedTagRow]>(c, String(raw.id), (project) => [protectedTagStatement(c.env.DB, project, name)])
  authorize(ctx.access, 'admin_protected_branch')
  const params = validate(CreateParams, raw)
  if (ctx.results[0].results[0]) throw ApiError.conflict(`Protected tag '${params.name}' already exists`)
  if (params.name.trim() === '') throw new ApiError(422, { message: ["Name can't be blank"] })
  const row = await insertProtectedTagStatement(c.env.DB, ctx.project.id, { name: params.name, create_access_level: params.create_access_level ?? 40 }, c.now)
    .first<ProtectedTagRow>()
  if (!row) throw ApiError.conflict(`Protected tag '${params.name}' already exists`)
  return json(protectedTag(row), { status: 201 })
}

export async function unprotectTag(c: ApiContext): Promise<Response> {
  const row = await findProtectedTag(c, await c.valid(NameParams))
  await deleteProtectedTagStatement(c.env.DB, row.id).run()
  return new Response(null, { status: 204 })
}
