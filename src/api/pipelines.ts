import * as v from 'valibot'
import { protectionsOf, refProtectionStatements } from '../auth/ref-access'
import type { ProtectedBranchRow } from '../db/protected-branches'
import type { ProtectedTagRow } from '../db/protected-tags'
import { loadProject } from '../auth/access'
import { authorize, can } from '../auth/policy'
import { AVAILABLE_STATUSES } from '../ci/statuses'
import type { Variable } from '../ci/types'
import { latestPipelineViewStatement, pipelineListStatement, pipelineViewStatement, type PipelineViewRow, type PipelineFilter } from '../db/pipeline-views'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage, MAX_COUNT_LIMIT } from '../http/pagination'
import { Hash, Int, NonBlankStr, OneOf, SortDirection, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { pipelineObject, repoObject } from '../objects/stubs'
import { pipeline as presentPipeline, pipelineBasic } from '../present/pipeline'
import { variable as presentVariable } from '../present/variable'
import { readPipelineVariables } from '../services/pipeline-variables'
import { includeSettings } from '../services/ci-sources'
import { cancelRedundantPipelines } from '../services/cancel-redundant-pipelines'
import { createPipeline } from '../services/create-pipeline'
import type { ApiContext } from './context'

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
export async function create(c: ApiContext): Promise<Response> {
  const params = await c.valid(CreateParams)
  const ctx = await loadProject<[ProtectedBranchRow, ProtectedTagRow]>(c, params.id, (project) => refProtectionStatements(c.env.DB, project))
  authorize(ctx.access, 'create_pipeline')
  const variables: Variable[] = params.variables.map((item) => ({ key: item.key, value: item.value, variable_type: item.variable_type }))
  const created = await createPipeline(c.env, {
    project: ctx.project, ref: params.ref, userId: ctx.caller.user!.id, source: 'api', variables,
    writer: { access: ctx.access, protections: protectionsOf(ctx.results[0], ctx.results[1]) },
    externalUrl: c.externalUrl, now: c.now, inputs: params.inputs, includeSettings: includeSettings(c.env),
  })
  // GitLab's render_validation_error!: {"message": {"base": [...]}}
  if (!created.ok) throw ApiError.fieldErrors({ base: created.errors })
  // Chain::CancelPendingPipelines runs for every new pipeline (a worker in GitLab; awaited here).
  await cancelRedundantPipelines(c.env, ctx.project, created.pipeline)
  await pipelineObject(c.env, created.pipeline.id).process(created.pipeline.id)
  const view = await pipelineViewStatement(c.env.DB, created.pipeline.id, ctx.project.id).first<PipelineViewRow>()
  return json(presentDetailed(view!, c), { status: 201 })
}

const ShowParams = v.looseObject({ id: Str, pipeline_id: Int })

/** GET /projects/:id/pipelines/:pipeline_id */
export async function show(c: ApiContext): Promise<Response> {
  const params = await c.valid(ShowParams)
  const ctx = await loadProject<[PipelineViewRow]>(c, params.id, (project) => [
    pipelineViewStatement(c.env.DB, params.pipeline_id, project),
  ])
  authorize(ctx.access, 'read_pipeline')
  const view = ctx.results[0].results[0]
  if (!view) throw ApiError.notFound()
  return json(presentDetailed(view, c))
}

export function presentDetailed(view: PipelineViewRow, c: ApiContext) {
  const user = view.user_json ? JSON.parse(view.user_json) : null
  return presentPipeline(view, { projectFullPath: view.project_full_path, user, committedAt: view.committed_date, yamlErrors: view.yaml_errors }, c.externalUrl)
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
  sort: v.optional(SortDirection, 'desc'),
})

/** GET /projects/:id/pipelines — PipelineBasic list, counted offset pagination. */
export async function list(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(ListParams, raw)
  const page = parseOffsetPage(raw)
  const filter: PipelineFilter = {
    scope: params.scope, status: params.status, ref: params.ref, sha: params.sha, source: params.source,
    username: params.username, orderBy: params.order_by, sort: params.sort,
  }
  const ctx = await loadProject<[PipelineViewRow, { n: number }]>(c, params.id, (project) =>
    pipelineListStatement(c.env.DB, project, filter, page),
  )
  authorize(ctx.access, 'read_pipeline')
  const rows = ctx.results[0].results
  const total = ctx.results[1].results[0]?.n ?? 0
  const hasNext = rows.length > page.perPage
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext, total: total > MAX_COUNT_LIMIT ? undefined : total })
  const base = c.externalUrl
  return json(rows.slice(0, page.perPage).map((row) => pipelineBasic(row, row.project_full_path, base)), { headers })
}

const LatestParams = v.looseObject({ id: Str, ref: v.optional(Str) })

/**
 * GET /projects/:id/pipelines/latest — Project#latest_pipeline: the newest pipeline of the ref
 * (default: the default branch) at the ref's head commit. With none, GitLab's
 * `authorize! :read_pipeline, nil` is 403, not 404.
 */
export async function latest(c: ApiContext): Promise<Response> {
  const params = await c.valid(LatestParams)
  const ctx = await loadProject(c, params.id)
  const ref = params.ref || ctx.project.default_branch || 'main'
  const head = await repoObject(c.env, ctx.project.id).commitAt(ref)
  const view = head ? await latestPipelineViewStatement(c.env.DB, ctx.project.id, ref, head.id).first<PipelineViewRow>() : null
  if (!view) throw ApiError.forbidden()
  authorize(ctx.access, 'read_pipeline')
  return json(presentDetailed(view, c))
}

/**
 * GET /projects/:id/pipelines/:pipeline_id/variables — Entities::Ci::Variable of each pipeline
 * variable (variable_type, key, value, raw). read_pipeline_variable: maintainers, or developers
 * for a pipeline they triggered (Ci::PipelinePolicy).
 */
export async function variables(c: ApiContext): Promise<Response> {
  const params = await c.valid(ShowParams)
  const ctx = await loadProject<[PipelineViewRow]>(c, params.id, (project) => [pipelineViewStatement(c.env.DB, params.pipeline_id, project)])
  const view = ctx.results[0].results[0]
  if (!view) throw ApiError.notFound()
  const userId = ctx.caller.user?.id
  if (!can(ctx.access, 'admin_pipeline') && !(can(ctx.access, 'update_pipeline') && userId !== undefined && view.user_id === userId)) {
    throw ApiError.forbidden()
  }
  return json((await readPipelineVariables(c.env, view)).map(presentVariable))
}
