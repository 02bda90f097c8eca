import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { authorizeRefWrite, protectionsOf, refProtectionStatements } from '../auth/ref-access'
import { pipelineViewStatement, type PipelineViewRow } from '../db/pipeline-views'
import type { ProtectedBranchRow } from '../db/protected-branches'
import type { ProtectedTagRow } from '../db/protected-tags'
import { ApiError } from '../http/errors'
import { Int, Str } from '../http/param-types'
import { json } from '../http/response'
import { pipelineObject } from '../objects/stubs'
import { destroyPipeline } from '../services/destroy-pipeline'
import { retryPipeline } from '../services/retry-pipeline'
import type { ApiContext } from './context'
import { presentDetailed } from './pipelines'

/**
 * The pipeline commands of lib/api/ci/pipelines.rb: retry and cancel (update_pipeline and
 * cancel_pipeline, developer), delete (destroy_pipeline, owner). Personal tokens only: none of
 * them has `job_token_allowed`. Retry and cancel also need write access to the pipeline's ref
 * (PipelinePolicy: `rule { protected_ref }.prevent :update_pipeline / :cancel_pipeline`).
 */
const PipelineParams = v.looseObject({ id: Str, pipeline_id: Int })

async function loadPipeline(c: ApiContext) {
  const params = await c.valid(PipelineParams)
  const ctx = await loadProject<[PipelineViewRow, ProtectedBranchRow, ProtectedTagRow]>(c, params.id, (project) => [
    pipelineViewStatement(c.env.DB, params.pipeline_id, project),
    ...refProtectionStatements(c.env.DB, project),
  ])
  const view = ctx.results[0].results[0]
  // `user_project.all_pipelines.find` comes before authorize!: an unknown id is 404 for anyone who sees the project.
  if (!view) throw ApiError.notFound()
  return { ctx, view, protections: protectionsOf(ctx.results[1], ctx.results[2]) }
}

async function presentFresh(c: ApiContext, view: PipelineViewRow, status: number): Promise<Response> {
  const fresh = await pipelineViewStatement(c.env.DB, view.id, view.project_id).first<PipelineViewRow>()
  return json(presentDetailed(fresh!, c), { status })
}

/** POST /projects/:id/pipelines/:pipeline_id/retry → 201 with the pipeline (Ci::RetryPipelineService). */
export async function retry(c: ApiContext): Promise<Response> {
  const { ctx, view, protections } = await loadPipeline(c)
  authorize(ctx.access, 'update_pipeline')
  authorizeRefWrite(ctx.access, protections, view)
  await retryPipeline(c.env, view.id, ctx.caller.user!.id)
  return presentFresh(c, view, 201)
}

/**
 * POST /projects/:id/pipelines/:pipeline_id/cancel → 200 (GitLab's `status 200`) with the
 * pipeline, canceled or not: every cancelable job through its own object, child pipelines too.
 */
export async function cancel(c: ApiContext): Promise<Response> {
  const { ctx, view, protections } = await loadPipeline(c)
  authorize(ctx.access, 'update_pipeline')
  authorizeRefWrite(ctx.access, protections, view)
  await pipelineObject(c.env, view.id).cancelJobs(view.id, { cascade: true })
  return presentFresh(c, view, 200)
}

/** DELETE /projects/:id/pipelines/:pipeline_id → 204 (Ci::DestroyPipelineService). */
export async function destroy(c: ApiContext): Promise<Response> {
  const { ctx, view } = await loadPipeline(c)
  authorize(ctx.access, 'destroy_pipeline')
  await destroyPipeline(c.env, view)
  return new Response(null, { status: 204 })
}
