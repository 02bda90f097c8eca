import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { PROTECTED_ACCESS_LEVELS } from '../auth/protected-branch-access'
import {
  deleteProtectedBranchStatement, insertProtectedBranchStatement, protectedBranchListStatements, protectedBranchStatement,
  updateProtectedBranchStatement, type ProtectedBranchRow,
} from '../db/protected-branches'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Bool, Int, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { protectedBranch } from '../present/protected-branch'
import type { ApiContext } from './context'

/**
 * GitLab's protected branches API (lib/api/protected_branches.rb, CE): list, show, protect,
 * update (allow_force_push), unprotect. Every call takes admin_project (maintainer), as
 * ProtectedBranchPolicy does; a branch not protected is `404 Not found` (find_by!).
 */
const AccessLevelParam = v.pipe(Int, v.check((n: number) => (PROTECTED_ACCESS_LEVELS as readonly number[]).includes(n), 'does not have a valid value'))

export async function listProtectedBranches(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(v.looseObject({ id: Str }), raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject<[ProtectedBranchRow, { n: number }]>(c, params.id, (project) =>
    protectedBranchListStatements(c.env.DB, project, page.perPage + 1, page.offset),
  )
  authorize(ctx.access, 'admin_protected_branch')
  const rows = ctx.results[0].results
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(rows.slice(0, page.perPage).map(protectedBranch), { headers })
}

const NameParams = v.looseObject({ id: Str, name: Str })

async function findProtectedBranch(c: ApiContext, params: { id: string; name: string }): Promise<ProtectedBranchRow> {
  const ctx = await loadProject<[ProtectedBranchRow]>(c, params.id, (project) => [protectedBranchStatement(c.env.DB, project, params.name)])
  authorize(ctx.access, 'admin_protected_branch')
  const row = ctx.results[0].results[0]
  if (!row) throw ApiError.notFound()
  return row
}

export async function showProtectedBranch(c: ApiContext): Promise<Response> {
  const params = await c.valid(NameParams)
  return json(protectedBranch(await findProtectedBranch(c, params)))
}

const CreateParams = v.looseObject({
  id: Str,
  name: Str,
  push_access_level: v.optional(AccessLevelParam),
  merge_access_level: v.optional(AccessLevelParam),
  allow_force_push: v.optional(Bool),
})

/** POST /projects/:id/protected_branches → 201; an existing name is 409. */
export async function protectBranch(c: ApiContext): Promise<Response> {
  // Grape's `before { authorize_admin_project }` runs before the params are validated.
  const raw = await c.params()
  const name = typeof raw.name === 'string' ? raw.name : ''
  const ctx = await loadProject<[ProtectedBranchRow]>(c, String(raw.id), (project) => [protectedBranchStatement(c.env.DB, project, name)])
  authorize(ctx.access, 'admin_protected_branch')
  const params = validate(CreateParams, raw)
  if (ctx.results[0].results[0]) throw ApiError.conflict(`Protected branch '${params.name}' already exists`)
  // ProtectedBranch validations, rendered as render_api_error!(errors.full_messages, 422).
  if (params.name.trim() === '') throw new ApiError(422, { message: ["Name can't be blank"] })
  const row = await insertProtectedBranchStatement(c.env.DB, ctx.project.id, {
    name: params.name,
    push_access_level: params.push_access_level ?? 40,
    merge_access_level: params.merge_access_level ?? 40,
    allow_force_push: params.allow_force_push ?? false,
  }, c.now).first<ProtectedBranchRow>()
  if (!row) throw ApiError.conflict(`Protected branch '${params.name}' already exists`)
  return json(protectedBranch(row), { status: 201 })
}

const UpdateParams = v.looseObject({ id: Str, name: Str, allow_force_push: v.optional(Bool) })

/** PATCH /projects/:id/protected_branches/:name → 200 (CE updates allow_force_push). */
export async function updateProtectedBranch(c: ApiContext): Promise<Response> {
  const row = await findProtectedBranch(c, await c.valid(NameParams))
  const params = await c.valid(UpdateParams)
  if (params.allow_force_push === undefined) return json(protectedBranch(row))
  const updated = await updateProtectedBranchStatement(c.env.DB, row.id, { allow_force_push: params.allow_force_push }).first<ProtectedBranchRow>()
  if (!updated) throw ApiError.notFound()
  return json(protectedBranch(updated))
}

export async function unprotectBranch(c: ApiContext): Promise<Response> {
  const params = await c.valid(NameParams)
  const row = await findProtectedBranch(c, params)
  await deleteProtectedBranchStatement(c.env.DB, row.id).run()
  return new Response(null, { status: 204 })
}
