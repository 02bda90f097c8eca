import { can, canReadProject, type ProjectAccess } from '../auth/policy'
import { digestsEqual, tokenDigest } from '../auth/tokens'
import type { Variable } from '../ci/types'
import { jobByTokenDigest } from '../db/jobs'
import type { PipelineRow } from '../db/pipelines'
import { userAccessToProject, type ProjectRow } from '../db/projects'
import { triggerByDigest } from '../db/triggers'
import type { Env } from '../env'
import { pipelineObject, repoObject } from '../objects/stubs'
import { cancelRedundantPipelines } from './cancel-redundant-pipelines'
import { includeSettings } from './ci-sources'
import { createFailedPipeline, createPipeline, type CreatePipelineInput } from './create-pipeline'

/**
 * Ci::PipelineTriggerService: `POST /projects/:id/trigger/pipeline` with a pipeline trigger token
 * (a `trigger` pipeline run as the trigger's owner) or the CI_JOB_TOKEN of a running job (a
 * `pipeline` pipeline run as the job's user, its upstream the job and its pipeline). A token that
 * is neither, or whose project is not this one (or not readable by the job's user), is `null`:
 * the API answers 404 without saying whether the project exists.
 */
export interface TriggerRequest {
  project: ProjectRow
  token: string
  ref: string
  variables: Record<string, string>
  inputs?: Record<string, unknown>
  /** the request's params without `token`, as JSON: the TRIGGER_PAYLOAD file variable */
  payload: string
  externalUrl: string
  now: number
}

export type TriggerOutcome =
  | { ok: true; pipeline: PipelineRow }
  | { ok: false; status: 400 | 422; errors: Record<string, string[]> }
  | { ok: false; status: 401; message: string }
  | null

const INSUFFICIENT: TriggerOutcome = { ok: false, status: 400, errors: { base: ['Insufficient permissions to create a new pipeline'] } }

export async function triggerPipeline(env: Env, request: TriggerRequest): Promise<TriggerOutcome> {
  const digest = await tokenDigest(request.token)
  const trigger = await triggerByDigest(env.DB, digest)
  if (trigger && digestsEqual(trigger.token_digest, digest)) {
    if (trigger.project_id !== request.project.id) return null
    const access = await accessOf(env, request.project, trigger.owner_id)
    // Chain::Validate::Abilities: the owner must still be allowed to create pipelines, and to write
    // a protected ref (allowed_to_write_ref?, in createPipeline).
    if (!access || !can(access, 'create_pipeline')) return INSUFFICIENT
    return create(env, request, { userId: trigger.owner_id, writer: { access }, source: 'trigger', triggerId: trigger.id })
  }
  const job = await jobByTokenDigest(env.DB, digest)
  if (!job?.token_digest || !digestsEqual(job.token_digest, digest)) return null
  // Ci::AuthJobFinder#execute!: a job token authenticates only while its job runs.
  if (job.status !== 'running') return { ok: false, status: 401, message: 'Job is not running' }
  if (job.user_id === null) return null
  const access = await accessOf(env, request.project, job.user_id)
  if (!access || !canReadProject(access)) return null
  if (!can(access, 'create_pipeline')) return INSUFFICIENT
  return create(env, request, { userId: job.user_id, writer: { access }, source: 'pipeline', parent: { pipelineId: job.pipeline_id, bridgeJobId: job.id } })
}

async function accessOf(env: Env, project: ProjectRow, userId: number): Promise<ProjectAccess | null> {
  const row = await userAccessToProject(env.DB, project.id, userId)
  if (!row) return null
  return {
    visibility: project.visibility, publicJobs: project.public_jobs === 1, accessLevel: row.level, authenticated: true,
    isAdmin: row.is_admin === 1, buildsEnabled: project.builds_enabled === 1,
  }
}

async function create(
  env: Env,
  request: TriggerRequest,
  who: Pick<CreatePipelineInput, 'userId' | 'writer' | 'source' | 'triggerId' | 'parent'>,
): Promise<TriggerOutcome> {
  const variables: Variable[] = Object.entries(request.variables).map(([key, value]) => ({ key, value, variable_type: 'env_var' }))
  variables.push({ key: 'TRIGGER_PAYLOAD', value: request.payload, variable_type: 'file' })
  const input: CreatePipelineInput = {
    project: request.project, ref: request.ref, variables, externalUrl: request.externalUrl, now: request.now,
    inputs: request.inputs, includeSettings: includeSettings(env), ...who,
  }
  const created = await createPipeline(env, input)
  if (!created.ok) {
    // An invalid config is kept as a failed pipeline (save_on_errors), answered 422
    // (pipeline_service_response: persisted, not created_successfully); other refusals save nothing.
    const head = created.reason === 'invalid' ? await repoObject(env, request.project.id).commitAt(request.ref) : null
    if (head && (await createFailedPipeline(env, { ...input, sha: head.id }, created.errors))) {
      return { ok: false, status: 422, errors: { base: created.errors } }
    }
    return { ok: false, status: 400, errors: { base: created.errors } }
  }
  await cancelRedundantPipelines(env, request.project, created.pipeline)
  await pipelineObject(env, created.pipeline.id).process(created.pipeline.id)
  return { ok: true, pipeline: created.pipeline }
}
