import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { resourceGroupsStatement, updateProcessModeStatement, type ResourceGroupRow } from '../db/resource-groups'
import { ApiError } from '../http/errors'
import { OneOf, Str } from '../http/param-types'
import { json } from '../http/response'
import { isoTime } from '../present/time'
import type { ApiContext } from './context'

/**
 * GET /projects/:id/resource_groups, GET and PUT /projects/:id/resource_groups/:key (GitLab's
 * Resource Groups API; developers and above). A group exists once a job has asked for it.
 */

function present(row: ResourceGroupRow) {
  return { id: row.id, key: row.key, process_mode: row.process_mode, created_at: isoTime(row.created_at), updated_at: isoTime(row.updated_at) }
}

const ListParams = v.looseObject({ id: Str })

export async function list(c: ApiContext): Promise<Response> {
  const params = await c.valid(ListParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'update_build')
  const rows = await resourceGroupsStatement(c.env.DB, ctx.project.id).all<ResourceGroupRow>()
  return json(rows.results.map(present))
}

const KeyParams = v.looseObject({ id: Str, key: Str })

export async function show(c: ApiContext): Promise<Response> {
  const params = await c.valid(KeyParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'update_build')
  const row = (await resourceGroupsStatement(c.env.DB, ctx.project.id).all<ResourceGroupRow>()).results.find((group) => group.key === params.key)
  if (!row) throw ApiError.notFound()
  return json(present(row))
}

const UpdateParams = v.looseObject({ id: Str, key: Str, process_mode: v.optional(OneOf(['unordered', 'oldest_first', 'newest_first'] as const)) })

export async function update(c: ApiContext): Promise<Response> {
  const params = await c.valid(UpdateParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'update_build')
  const groups = (await resourceGroupsStatement(c.env.DB, ctx.project.id).all<ResourceGroupRow>()).results
  const row = groups.find((group) => group.key === params.key)
  if (!row) throw ApiError.notFound()
  if (!params.process_mode) return json(present(row))
  const updated = await updateProcessModeStatement(c.env.DB, ctx.project.id, params.key, params.process_mode, c.now).first<ResourceGroupRow>()
  return json(present(updated!))
}
