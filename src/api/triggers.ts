import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize, can } from '../auth/policy'
import { generateToken, tokenDigest } from '../auth/tokens'
import { pipelineViewStatement, type PipelineViewRow } from '../db/pipeline-views'
import { getProject, getProjectByPath } from '../db/projects'
import {
  deleteTriggerStatements, insertTrigger, triggerPageStatements, triggerStatement, updateTriggerDescription, type TriggerRow,
} from '../db/triggers'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Hash, Int, NonBlankStr, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { trigger as presentTrigger } from '../present/trigger'
import { triggerPipeline } from '../services/trigger-pipeline'
import type { ApiContext } from './context'
import { presentDetailed } from './pipelines'

/**
 * Pipeline trigger tokens and triggering (lib/api/ci/triggers.rb). Reading and managing tokens
 * takes admin_build (maintainer); changing one takes admin_trigger, which is admin_build and
 * being the token's owner (Ci::TriggerPolicy).
 */
export const TRIGGER_TOKEN_PREFIX = 'glptt-'

const ListParams = v.looseObject({ id: Str })

/** GET /projects/:id/triggers */
export async function list(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(ListParams, raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject<[TriggerRow, { n: number }]>(c, params.id, (project) =>
    triggerPageStatements(c.env.DB, project, page.perPage + 1, page.offset),
  )
  authorize(ctx.access, 'admin_build')
  const rows = ctx.results[0].results
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(rows.slice(0, page.perPage).map((row) => presentTrigger(row, c.externalUrl)), { headers })
}

const TriggerParams = v.looseObject({ id: Str, trigger_id: Int })

async function loadTrigger(c: ApiContext) {
  const params = await c.valid(TriggerParams)
  const ctx = await loadProject<[TriggerRow]>(c, params.id, (project) => [triggerStatement(c.env.DB, project, params.trigger_id)])
  return { ctx, row: ctx.results[0].results[0] as TriggerRow | undefined }
}

/** GET /projects/:id/triggers/:trigger_id */
export async function show(c: ApiContext): Promise<Response> {
  const { ctx, row } = await loadTrigger(c)
  authorize(ctx.access, 'admin_build')
  if (!row) throw ApiError.notFound()
  return json(presentTrigger(row, c.externalUrl))
}

const CreateParams = v.looseObject({ id: Str, description: Str })

/** POST /projects/:id/triggers → 201; the whole token is in this answer only. */
export async function create(c: ApiContext): Promise<Response> {
  const params = await c.valid(CreateParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'admin_build')
  // Ci::Trigger#set_default_values: glptt- and 40 hex characters.
  const token = `${TRIGGER_TOKEN_PREFIX}${randomHex(20)}`
  const row = await insertTrigger(c.env.DB, {
    projectId: ctx.project.id, ownerId: ctx.caller.user!.id, description: params.description,
    digest: await tokenDigest(token), shortToken: token.slice(TRIGGER_TOKEN_PREFIX.length, TRIGGER_TOKEN_PREFIX.length + 4),
  }, c.now)
  return json(presentTrigger(row!, c.externalUrl, token), { status: 201 })
}

const UpdateParams = v.looseObject({ id: Str, trigger_id: Int, description: v.optional(Str) })

/** PUT /projects/:id/triggers/:trigger_id — Ci::PipelineTriggers::UpdateService. */
export async function update(c: ApiContext): Promise<Response> {
  const params = await c.valid(UpdateParams)
  const { ctx, row } = await loadTrigger(c)
  if (!row) throw ApiError.notFound()
  if (!can(ctx.access, 'admin_build') || row.owner_id !== ctx.caller.user!.id) {
    throw ApiError.forbidden('The current user is not authorized to update the pipeline trigger token')
  }
  // GitLab updates `description` with the declared value, so leaving it out clears it.
  const updated = await updateTriggerDescription(c.env.DB, row.id, params.description ?? null, c.now)
  return json(presentTrigger(updated!, c.externalUrl))
}

/** DELETE /projects/:id/triggers/:trigger_id → 204; its pipelines stay. */
export async function destroy(c: ApiContext): Promise<Response> {
  const { ctx, row } = await loadTrigger(c)
  authorize(ctx.access, 'admin_build')
  if (!row) throw ApiError.notFound()
  await c.env.DB.batch(deleteTriggerStatements(c.env.DB, row.id))
  return new Response(null, { status: 204 })
}

const TriggerPipelineParams = v.looseObject({
  id: Str,
  ref: NonBlankStr,
  token: Str,
  variables: v.optional(Hash),
  inputs: v.optional(Hash),
})

/**
 * POST /projects/:id/trigger/pipeline and /projects/:id/ref/:ref/trigger/pipeline → 201 with the
 * pipeline. No authentication: the `token` param is the credential.
 */
export async function triggerPipelineHandler(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(TriggerPipelineParams, raw)
  // A pipeline webhook calling back into the trigger API would loop (gitlab_pipeline_hook_request?).
  if (c.request.headers.get('X-Gitlab-Event') === 'Pipeline Hook') throw ApiError.forbidden()
  const variables = params.variables ?? {}
  if (!Object.values(variables).every((value) => typeof value === 'string')) {
    throw ApiError.withMessage(400, 'variables needs to be a map of key-valued strings')
  }
  const project = /^\d+$/.test(params.id) ? await getProject(c.env.DB, Number(params.id)) : await getProjectByPath(c.env.DB, params.id)
  // not_found! without a resource: "404 Not Found", for a missing project and a wrong token alike.
  if (!project) throw ApiError.withMessage(404, '404 Not Found')
  const payload: Record<string, unknown> = Object.create(null)
  for (const [key, value] of Object.entries(raw)) if (key !== 'token') payload[key] = key === 'variables' ? variables : value
  const outcome = await triggerPipeline(c.env, {
    project, token: params.token, ref: params.ref, variables: variables as Record<string, string>, inputs: params.inputs,
    payload: JSON.stringify(payload), externalUrl: c.externalUrl, now: c.now,
  })
  if (!outcome) throw ApiError.withMessage(404, '404 Not Found')
  if (!outcome.ok) throw outcome.status === 401 ? ApiError.withMessage(401, outcome.message) : ApiError.fieldErrors(outcome.errors)
  const view = await pipelineViewStatement(c.env.DB, outcome.pipeline.id, project.id).first<PipelineViewRow>()
  return json(presentDetailed(view!, c), { status: 201 })
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('')
}
