import * as v from 'valibot'
import { authenticate, loadProject, type Caller } from '../auth/access'
import { authorize } from '../auth/policy'
import { insertClusterAgent, jobPipelineStatement, projectAgentsStatement, type ClusterAgentRow } from '../db/cluster-agents'
import { getJobView } from '../db/job-views'
import { ApiError } from '../http/errors'
import { Hash, Str } from '../http/param-types'
import { json } from '../http/response'
import { allowedAgent, clusterAgent, rolesInProject } from '../present/cluster-agent'
import { job as presentJob } from '../present/job'
import type { ApiContext } from './context'

/**
 * What a CI job can ask about itself with its token (lib/api/ci/jobs.rb `GET /job`,
 * `GET /job/allowed_agents`; gitlab-behavior.md §3.4, §3.5). A finished job's token is 401; a
 * personal token is authenticated but has no job: 404 `Job Not Found`.
 */
async function jobCaller(c: ApiContext): Promise<{ caller: Caller; job: NonNullable<Caller['job']>; raw: Record<string, unknown> }> {
  const raw = await c.params()
  const caller = await authenticate(c)
  if (!caller.job) throw ApiError.notFound('Job')
  return { caller, job: caller.job, raw }
}

/** GET /job — the Job entity of the token's job. */
export async function currentJob(c: ApiContext): Promise<Response> {
  const { job } = await jobCaller(c)
  const view = await getJobView(c.env.DB, job.id)
  if (!view) throw ApiError.notFound('Job')
  return json(presentJob(view, c.externalUrl, c.now))
}

/** GET /job/allowed_agents — the agents registered in the job's project (no environments here). */
export async function allowedAgents(c: ApiContext): Promise<Response> {
  const { caller, job, raw } = await jobCaller(c)
  const ctx = await loadProject<[ClusterAgentRow, { id: number; pipeline_id: number }]>(
    c, String(job.projectId),
    (project) => [projectAgentsStatement(c.env.DB, project), jobPipelineStatement(c.env.DB, job.id)],
  )
  const agents = ctx.results[0].results
  const pipelineId = ctx.results[1].results[0]?.pipeline_id
  const user = caller.user!
  return json({
    allowed_agents: agents.map((agent) => allowedAgent(agent, ctx.project)),
    job: { id: job.id },
    pipeline: { id: pipelineId },
    // Personal projects only: no groups above them.
    project: { id: ctx.project.id, groups: [] },
    user: { id: user.id, username: user.username, roles_in_project: rolesInProject(ctx.access.accessLevel) },
  })
}

const AGENT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

const CreateAgentParams = v.looseObject({ id: Str, name: Str, configuration: v.optional(Hash) })

/** POST /projects/:id/cluster_agents — registers an agent (maintainer+); 201 Agent. */
export async function createClusterAgent(c: ApiContext): Promise<Response> {
  const params = await c.valid(CreateAgentParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'admin_project')
  if (params.name.length > 63 || !AGENT_NAME.test(params.name)) {
    throw ApiError.fieldErrors({ name: ['can contain only lowercase letters, digits, and \'-\', but cannot start or end with \'-\''] })
  }
  const row = await insertClusterAgent(c.env.DB, {
    project_id: ctx.project.id,
    name: params.name,
    configuration: JSON.stringify(params.configuration ?? {}),
    created_at: c.now,
  })
  if (!row) throw ApiError.fieldErrors({ name: ['has already been taken'] })
  return json(clusterAgent(row, ctx.project, ctx.caller.user!.id), { status: 201 })
}
