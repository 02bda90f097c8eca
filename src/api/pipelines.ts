import * as v from 'valibot'
import type { Env } from '../env'
import { loadProject } from '../auth/access'
import { can } from '../auth/policy'
import { AVAILABLE_STATUSES } from '../ci/statuses'
import type { Variable } from '../ci/types'
import { pipelineListStatement, pipelineViewStatement, type PipelineViewRow, type PipelineFilter } from '../db/pipeline-views'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage, MAX_COUNT_LIMIT } from '../http/pagination'
import { Hash, Int, NonBlankStr, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { pipelineObject } from '../objects/PipelineObject'
import { pipeline as presentPipeline, pipelineBasic } from '../present/pipeline'
import { includeSettings } from '../services/ci-sources'
import { cancelRedundantPipelines } from '../services/cancel-redundant-pipelines'
import { createPipeline } from '../services/create-pipeline'
import { externalUrl, paramsOf, type ApiRequest } from './request'

const CreateParams = v.looseObject({
  id: Str,
  ref: NonBlankStr,
  variables: v.optional(
    v.array(
      v.looseObject({
        key: NonBlankStr,
        value: Str,
        variable_type: v.optional(OneOf(['env_var', 'file'] as const), 'env_var'),
      }),
      'is invalid',
    ),
    [],
  ),
  inputs: v.optional(Hash),
})

/** POST /projects/:id/pipeline — a pipeline from the CI config at the ref's head. */
export async function create(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(CreateParams, raw)
  const ctx = await loadProject(env, request, raw, params.id)
  if (!can(ctx.access, 'create_pipeline')) throw ApiError.forbidden()
  const variables: Variable[] = params.variables.map((item) => ({ key: item.key, value: item.value, variable_type: item.variable_type }))
  const created = await createPipeline(env, {
    project: ctx.project, ref: params.ref, userId: ctx.caller.user!.id, source: 'api', variables,
    externalUrl: externalUrl(env), now: Date.now(), inputs: params.inputs, includeSettings: includeSettings(env),
  })
  // GitLab's render_validation_error!: {"message": {"base": [...]}}
  if (!created.ok) throw new ApiError(400, { message: { base: created.errors } })
  // Chain::CancelPendingPipelines runs for every new pipeline (a worker in GitLab; awaited here).
  await cancelRedundantPipelines(env, ctx.project, created.pipeline)
  await pipelineObject(env, created.pipeline.id).process(created.pipeline.id)
  const view = await pipelineViewStatement(env.DB, created.pipeline.id, ctx.project.id).first<PipelineViewRow>()
  return json(presentDetailed(view!, env), { status: 201 })
}

const ShowParams = v.looseObject({ id: Str, pipeline_id: Int })

/** GET /projects/:id/pipelines/:pipeline_id */
export async function show(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(ShowParams, raw)
  const ctx = await loadProject<[PipelineViewRow]>(env, request, raw, params.id, { requireUser: false, jobTokenAllowed: true }, (project) => [
    pipelineViewStatement(env.DB, params.pipeline_id, project),
  ])
  if (!can(ctx.access, 'read_pipeline')) throw ApiError.forbidden()
  const view = ctx.results[0].results[0]
  if (!view) throw ApiError.notFound()
  return json(presentDetailed(view, env))
}

function presentDetailed(view: PipelineViewRow, env: Env) {
  const user = view.user_json ? JSON.parse(view.user_json) : null
  return presentPipeline(view, { projectFullPath: view.project_full_path, user, committedAt: view.committed_date, yamlErrors: view.yaml_errors }, externalUrl(env))
}

const ListParams = v.looseObject({
  id: Str,
  scope: v.optional(OneOf(['running', 'pending', 'finished', 'branches', 'tags'] as const)),
  status: v.optional(OneOf(AVAILABLE_STATUSES)),
  ref: v.optional(Str),
  sha: v.optional(Str),
  source: v.optional(Str),
  username: v.optional(Str),
  order_by: v.optional(OneOf(['id', 'status', 'ref', 'updated_at', 'user_id'] as const), 'id'),
  sort: v.optional(OneOf(['asc', 'desc'] as const), 'desc'),
})

/** GET /projects/:id/pipelines — PipelineBasic list, counted offset pagination. */
export async function list(request: ApiRequest, env: Env): Promise<Response> {
  const raw = await paramsOf(request, env)
  const params = validate(ListParams, raw)
  const page = parseOffsetPage(raw)
  const filter: PipelineFilter = {
    scope: params.scope, status: params.status, ref: params.ref, sha: params.sha, source: params.source,
    username: params.username, orderBy: params.order_by, sort: params.sort,
  }
  const ctx = await loadProject<[PipelineViewRow, { n: number }]>(env, request, raw, params.id, { requireUser: false, jobTokenAllowed: true }, (project) =>
    pipelineListStatement(env.DB, project, filter, page),
  )
  if (!can(ctx.access, 'read_pipeline')) throw ApiError.forbidden()
  const rows = ctx.results[0].results
  const total = ctx.results[1].results[0]?.n ?? 0
  const hasNext = rows.length > page.perPage
  const headers = offsetHeaders(request.url, externalUrl(env), page, { hasNext, total: total > MAX_COUNT_LIMIT ? undefined : total })
  const base = externalUrl(env)
  return json(rows.slice(0, page.perPage).map((row) => pipelineBasic(row, row.project_full_path, base)), { headers })
}
