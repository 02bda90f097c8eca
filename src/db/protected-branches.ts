/**
 * Protected branches (GitLab's ProtectedBranch): a name or a `*` wildcard pattern, matched with
 * SQLite's GLOB (git ref names cannot contain `?`, `[` or `*`, so `*` is the only metacharacter).
 */

/** One row when the pipeline's ref is a protected branch (tag pipelines: none, no protected tags yet). */
export function protectedPipelineRefStatement(db: D1Database, pipelineId: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT 1 AS protected FROM pipelines p
        JOIN protected_branches pb ON pb.project_id = p.project_id AND p.ref GLOB pb.name
       WHERE p.id = ? AND p.tag = 0 LIMIT 1`,
    )
    .bind(pipelineId)
}

/** Whether a branch of the project is protected (Push Hook's `ref_protected`). */
export async function branchIsProtected(db: D1Database, projectId: number, branch: string): Promise<boolean> {
  const row = await db.prepare('SELECT 1 AS protected FROM protected_branches WHERE project_id = ? AND ? GLOB name LIMIT 1').bind(projectId, branch).first()
  return row !== null
}
