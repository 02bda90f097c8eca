import type { ClusterAgentRow } from '../db/cluster-agents'
import type { ProjectRow } from '../db/projects'
import { projectIdentity } from './project'
import { isoTime } from './time'

/** Clusters::Agent (lib/api/entities/clusters/agent.rb). */
export function clusterAgent(agent: ClusterAgentRow, project: ProjectRow, createdByUserId: number) {
  return {
    id: agent.id,
    name: agent.name,
    config_project: projectIdentity(project),
    created_at: isoTime(agent.created_at),
    created_by_user_id: createdByUserId,
  }
}

/** One allowed agent (clusters/agents/authorizations/ci_access.rb): id, config_project, configuration. */
export function allowedAgent(agent: ClusterAgentRow, project: ProjectRow) {
  return { id: agent.id, config_project: projectIdentity(project), configuration: JSON.parse(agent.configuration) as unknown }
}

/** Gitlab::Access role names at or below an access level, in GitLab's order. */
const ROLES: ReadonlyArray<[string, number]> = [
  ['guest', 10], ['planner', 15], ['reporter', 20], ['developer', 30], ['maintainer', 40], ['owner', 50], ['security_manager', 25],
]

export function rolesInProject(accessLevel: number): string[] {
  return ROLES.filter(([, level]) => level <= accessLevel).map(([name]) => name)
}
