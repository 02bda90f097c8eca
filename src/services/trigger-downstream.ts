import { AccessLevel, type ProjectAccess } from '../auth/policy'
import type { Variable } from '../ci/types'
import type { Env } from '../env'
import type { JobRow } from '../db/jobs'
import { getPipeline } from '../db/pipelines'
import { getProject, getProjectByPath, userAccessToProject, type ProjectRow } from '../db/projects'
import { configOf } from '../config'
import { includeSettings } from './ci-sources'
import { cancelRedundantPipelines } from './cancel-redundant-pipelines'
import { createPipeline } from './create-pipeline'
import { jobOptions } from '../db/jobs'
import { parentArtifactReader } from './parent-artifact'
import { readPipelineVariables } from './pipeline-variables'

/**
 * CreateDownstreamPipelineService: a bridge's turn has come. A `trigger: include` makes a child
 * pipeline in the same project on the same sha; `trigger: project` makes a pipeline in another
 * project, as the bridge's user, who must be allowed to run pipelines there.
 */
export type TriggerOutcome = { ok: true; pipelineId: number } | { ok: false; reason: string }

export async function triggerDownstream(env: Env, bridge: JobRow): Promise<TriggerOutcome> {
  const trigger = jobOptions(bridge).trigger
  const parent = await getPipeline(env.DB, bridge.pipeline_id)
  const project = await getProject(env.DB, bridge.project_id)
  if (!trigger || !parent || !project) return { ok: false, reason: 'invalid_bridge_trigger' }
  const variables = forwardedVariables(bridge, await readPipelineVariables(env, parent), trigger.forward)
  const now = Date.now()
  if (trigger.include || trigger.includes) {
    const created = await createPipeline(env, {
      project, ref: parent.ref, sha: parent.sha, userId: bridge.user_id, source: 'parent_pipeline', variables,
      // a child pipeline runs on its parent's ref and sha, which its user ran already
      writer: null,
      ...(trigger.includes ? { configSource: JSON.stringify({ include: trigger.includes }) } : { configPath: trigger.include }), parent: { pipelineId: parent.id, bridgeJobId: bridge.id }, externalUrl: configOf(env).externalUrl, now,
      includeSettings: { ...includeSettings(env), readParentArtifact: parentArtifactReader(env, parent.id) },
    })
    return created.ok ? { ok: true, pipelineId: created.pipeline.id } : { ok: false, reason: 'downstream_pipeline_creation_failed' }
  }
  const target = trigger.project ? await getProjectByPath(env.DB, trigger.project) : null
  if (!target) return { ok: false, reason: 'downstream_bridge_project_not_found' }
  if (target.id === project.id && !trigger.branch) return { ok: false, reason: 'invalid_bridge_trigger' }
  const access = await downstreamAccess(env, target, bridge.user_id)
  if (!access) return { ok: false, reason: 'insufficient_bridge_permissions' }
  const created = await createPipeline(env, {
    project: target, ref: trigger.branch ?? target.default_branch ?? 'main', userId: bridge.user_id, source: 'pipeline',
    // can_create_downstream_pipeline?: the user must also be able to update the target ref
    writer: { access }, variables, parent: { pipelineId: parent.id, bridgeJobId: bridge.id }, externalUrl: configOf(env).externalUrl, now,
    includeSettings: includeSettings(env),
  })
  if (!created.ok) return { ok: false, reason: created.reason === 'forbidden' ? 'insufficient_bridge_permissions' : 'downstream_pipeline_creation_failed' }
  await cancelRedundantPipelines(env, target, created.pipeline)
  return { ok: true, pipelineId: created.pipeline.id }
}

/** The bridge's yaml variables go downstream by default; pipeline variables only when forwarded. */
function forwardedVariables(bridge: JobRow, pipelineVariables: Variable[], forward: { yaml_variables: boolean; pipeline_variables: boolean } | undefined): Variable[] {
  const out: Variable[] = []
  if (forward?.yaml_variables ?? true) out.push(...(JSON.parse(bridge.yaml_variables) as Variable[]))
  if (forward?.pipeline_variables ?? false) out.push(...pipelineVariables)
  return out
}

/** The bridge user's access to the target project, when they may run pipelines there (create_pipeline). */
async function downstreamAccess(env: Env, target: ProjectRow, userId: number | null): Promise<ProjectAccess | null> {
  if (userId === null) return null
  const row = await userAccessToProject(env.DB, target.id, userId)
  if (!row || (row.is_admin !== 1 && row.level < AccessLevel.developer)) return null
  return {
    visibility: target.visibility, publicJobs: target.public_jobs === 1, accessLevel: row.level, authenticated: true,
    isAdmin: row.is_admin === 1, buildsEnabled: target.builds_enabled === 1,
  }
}
