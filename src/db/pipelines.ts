import type { JobStatus } from '../ci/statuses'

export interface PipelineRow {
  id: number
  project_id: number
  iid: number
  sha: string
  before_sha: string
  ref: string
  tag: number
  status: JobStatus
  source: string
  user_id: number | null
  variables: string
  parent_pipeline_id: number | null
  source_job_id: number | null
  created_at: number
  updated_at: number
  started_at: number | null
  finished_at: number | null
  duration: number | null
  queued_duration: number | null
  coverage: string | null
  lock_version: number
}

/** A pipeline as creation writes it (status `created`, iid assigned in the INSERT). */
export type NewPipeline = Pick<
  PipelineRow,
  'project_id' | 'sha' | 'before_sha' | 'ref' | 'tag' | 'source' | 'user_id' | 'variables' | 'parent_pipeline_id' | 'source_job_id' | 'created_at'
>

/** INSERT with the next per-project iid, computed inside the same transaction. */
export function insertPipelineStatement(db: D1Database, p: NewPipeline): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO pipelines (project_id, iid, sha, before_sha, ref, tag, status, source, user_id, variables,
         parent_pipeline_id, source_job_id, created_at, updated_at)
       VALUES (?1, (SELECT COALESCE(MAX(iid), 0) + 1 FROM pipelines WHERE project_id = ?1), ?2, ?3, ?4, ?5, 'created',
         ?6, ?7, ?8, ?9, ?10, ?11, ?11)
       RETURNING *`,
    )
    .bind(p.project_id, p.sha, p.before_sha, p.ref, p.tag, p.source, p.user_id, p.variables, p.parent_pipeline_id, p.source_job_id, p.created_at)
}

/**
 * The id of the pipeline inserted earlier in the same batch. D1 runs a batch as one transaction
 * with no other writer in between, so the newest id is ours.
 */
export const INSERTED_PIPELINE_ID = '(SELECT MAX(id) FROM pipelines)'

export function insertStageStatement(db: D1Database, idx: number, name: string): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO pipeline_stages (pipeline_id, idx, name, status) VALUES (${INSERTED_PIPELINE_ID}, ?, ?, 'created')`)
    .bind(idx, name)
}

export function pipelineStatement(db: D1Database, id: number): D1PreparedStatement {
  return db.prepare('SELECT * FROM pipelines WHERE id = ?').bind(id)
}

export function getPipeline(db: D1Database, id: number): Promise<PipelineRow | null> {
  return pipelineStatement(db, id).first<PipelineRow>()
}

export async function getPipelines(db: D1Database, ids: number[]): Promise<Map<number, PipelineRow>> {
  const unique = [...new Set(ids)]
  const out = new Map<number, PipelineRow>()
  if (unique.length === 0) return out
  const { results } = await db.prepare(`SELECT * FROM pipelines WHERE id IN (${unique.map(() => '?').join(',')})`).bind(...unique).all<PipelineRow>()
  for (const row of results) out.set(row.id, row)
  return out
}

export type PipelineChanges = Partial<Pick<PipelineRow, 'status' | 'started_at' | 'finished_at' | 'duration' | 'queued_duration' | 'coverage'>>

export function updatePipelineStatement(db: D1Database, id: number, changes: PipelineChanges, now: number): D1PreparedStatement {
  const keys = Object.keys(changes) as Array<keyof PipelineChanges>
  const sets = [...keys.map((k) => `${k} = ?`), 'updated_at = ?', 'lock_version = lock_version + 1']
  return db.prepare(`UPDATE pipelines SET ${sets.join(', ')} WHERE id = ? RETURNING *`).bind(...keys.map((k) => changes[k] ?? null), now, id)
}

export function updateStageStatement(db: D1Database, pipelineId: number, idx: number, status: JobStatus): D1PreparedStatement {
  return db.prepare('UPDATE pipeline_stages SET status = ? WHERE pipeline_id = ? AND idx = ?').bind(status, pipelineId, idx)
}

/** The pipeline being inserted (same batch) ends at once: `skipped` (ci.skip) or `failed` (invalid config). */
export function finishInsertedPipelineStatement(db: D1Database, status: 'skipped' | 'failed', now: number): D1PreparedStatement {
  return db.prepare(`UPDATE pipelines SET status = ?, finished_at = ? WHERE id = ${INSERTED_PIPELINE_ID}`).bind(status, now)
}

/** GitLab's yaml_errors of the pipeline being inserted (same batch). */
export function insertedPipelineYamlErrorsStatement(db: D1Database, errors: string[]): D1PreparedStatement {
  return db.prepare(`INSERT INTO pipeline_yaml_errors (pipeline_id, errors) VALUES (${INSERTED_PIPELINE_ID}, ?)`).bind(errors.join(', '))
}
