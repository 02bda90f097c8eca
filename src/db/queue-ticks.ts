/**
 * The runners' queue value (X-GitLab-Last-Update): GitLab keeps one per runner and ticks it
 * whenever a build the runner could take is queued (Ci::UpdateBuildQueueService#tick_for). Here a
 * counter per scope grows when a build becomes pending: `project:<id>` (what project runners see)
 * and `instance` (what instance runners see). Tags are not considered, so a runner may see a
 * change that brings nothing for it, never the reverse.
 */
export type QueueScope = 'instance' | `project:${number}`

/**
 * Ticks both scopes of the project, only if the guarded update before it in the same batch moved
 * the job to pending (its lock_version is then `lockVersion + 1`).
 */
export function tickQueueStatements(db: D1Database, projectId: number, jobId: number, lockVersion: number): D1PreparedStatement[] {
  return (['instance', `project:${projectId}`] as const).map((scope) =>
    db
      .prepare(
        `INSERT INTO runner_queue_ticks (scope, tick)
         SELECT ?1, 1 WHERE EXISTS (SELECT 1 FROM jobs WHERE id = ?2 AND lock_version = ?3 AND status = 'pending')
         ON CONFLICT (scope) DO UPDATE SET tick = tick + 1`,
      )
      .bind(scope, jobId, lockVersion + 1),
  )
}

export function queueTickStatement(db: D1Database, scope: QueueScope): D1PreparedStatement {
  return db.prepare('SELECT tick FROM runner_queue_ticks WHERE scope = ?').bind(scope)
}
