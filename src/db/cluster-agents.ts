/** Kubernetes agents registered in a project (the `cluster_agents` table). */
export interface ClusterAgentRow {
  id: number
  project_id: number
  name: string
  configuration: string
  created_at: number
}

/** Inserts the agent; no row when the project already has one of that name. */
export function insertClusterAgent(db: D1Database, agent: Omit<ClusterAgentRow, 'id'>): Promise<ClusterAgentRow | null> {
  return db
    .prepare(
      `INSERT INTO cluster_agents (project_id, name, configuration, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (project_id, name) DO NOTHING RETURNING *`,
    )
    .bind(agent.project_id, agent.name, agent.configuration, agent.created_at)
    .first<ClusterAgentRow>()
}

/** Agents of a project, by id (served by the UNIQUE (project_id, name) index's table scan per project). */
export function projectAgentsStatement(db: D1Database, project: { sql: string; value: string | number }): D1PreparedStatement {
  return db.prepare(`SELECT * FROM cluster_agents WHERE project_id = ${project.sql} ORDER BY id`).bind(project.value)
}

export function jobPipelineStatement(db: D1Database, jobId: number): D1PreparedStatement {
  return db.prepare('SELECT id, pipeline_id FROM jobs WHERE id = ?').bind(jobId)
}
