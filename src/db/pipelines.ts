import type { JobStatus } from '../ci/statuses'
import type { Variable } from '../ci/types'

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
  auto_cancel_on_new_commit: string | null
  auto_cancel_on_job_failure: string | null
  auto_canceled_by_id: number | null
  trigger_id: number | null
  lock_version: number
}

/** A pipeline as creation writes it (status `created`, iid assigned in the INSERT). */
export type NewPipeline = Pick<
  PipelineRow,
  'project_id' | 'sha' | 'before_sha' | 'ref' | 'tag' | 'source' | 'user_id' | 'variables' | 'parent_pipeline_id' | 'source_job_id' | 'created_at'
> & Partial<Pick<PipelineRow, 'auto_cancel_on_new_commit' | 'auto_cancel_on_job_failure' | 'trigger_id'>>

/** INSERT with the next per-project iid, computed inside the same transaction. */
export function insertPipelineStatement(db: D1Database, p: NewPipeline): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO pipelines (project_id, iid, sha, before_sha, ref, tag, status, source, user_id, variables,
         parent_pipeline_id, source_job_id, created_at, updated_at, auto_cancel_on_new_commit, auto_cancel_on_job_failure, trigger_id)
       VALUES (?1, (SELECT COALESCE(MAX(iid), 0) + 1 FROM pipelines WHERE project_id = ?1), ?2, ?3, ?4, ?5, 'created',
         ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?13, ?14)
       RETURNING *`,
    )
    .bind(
      p.project_id, p.sha, p.before_sha, p.ref, p.tag, p.source, p.user_id, p.variables, p.parent_pipeline_id, p.source_job_id, p.created_at,
      p.auto_cancel_on_new_commit ?? null, p.auto_cancel_on_job_failure ?? null, p.trigger_id ?? null,
    )
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

/** A pipeline as CancelRedundantPipelinesService weighs it. */
export interface RedundantCandidateRow {
  id: number
  source: string
  sha: string
  created_at: number
  parent_pipeline_id: number | null
  auto_cancel_on_new_commit: string | null
  /** 1 when no build of it has started (running, success, failed) without being interruptible */
  conservative_interruptible: number
}

/**
 * The project's other pipelines on `ref` with a cancelable status, newest 3000, oldest first
 * (cancel_redundant_pipelines_service.rb `cancelable_status_pipeline_ids`), each with the
 * `conservative_interruptible` scope of app/models/ci/pipeline.rb: no build (retried ones too)
 * in STARTED_STATUSES that is not interruptible.
 */
export function redundantCandidatesStatement(db: D1Database, pipeline: Pick<PipelineRow, 'id' | 'project_id' | 'ref'>, statuses: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT * FROM (
         SELECT c.id, c.source, c.sha, c.created_at, c.parent_pipeline_id, c.auto_cancel_on_new_commit,
           NOT EXISTS (SELECT 1 FROM jobs j WHERE j.pipeline_id = c.id AND j.type = 'build' AND j.status IN ('running', 'success', 'failed')
             AND COALESCE(json_extract(j.options, '$.interruptible'), 0) != 1) AS conservative_interruptible
         FROM pipelines c
         WHERE c.project_id = ? AND c.ref = ? AND c.id != ? AND c.status IN (${statuses.map(() => '?').join(',')})
         ORDER BY c.id DESC LIMIT 3000
       ) ORDER BY id ASC`,
    )
    .bind(pipeline.project_id, pipeline.ref, pipeline.id, ...statuses)
}

/** The top of a child pipeline's parent chain (Ci::Pipeline#root_ancestor), up `parent_pipeline` links. */
export async function rootAncestor(db: D1Database, pipeline: Pick<PipelineRow, 'source' | 'parent_pipeline_id' | 'created_at'>): Promise<Pick<PipelineRow, 'source' | 'parent_pipeline_id' | 'created_at'>> {
  let current = pipeline
  for (let depth = 0; current.source === 'parent_pipeline' && current.parent_pipeline_id !== null && depth < 10; depth++) {
    const parent = await getPipeline(db, current.parent_pipeline_id)
    if (!parent) break
    current = parent
  }
  return current
}

export function markAutoCanceledStatement(db: D1Database, pipelineId: number, byPipelineId: number): D1PreparedStatement {
  return db.prepare('UPDATE pipelines SET auto_canceled_by_id = ? WHERE id = ?').bind(byPipelineId, pipelineId)
}

/** Child pipelines (`trigger: include`) of a pipeline. */
export async function childPipelineIds(db: D1Database, pipelineId: number): Promise<number[]> {
  const { results } = await db.prepare("SELECT id FROM pipelines WHERE parent_pipeline_id = ? AND source = 'parent_pipeline' ORDER BY id").bind(pipelineId).all<{ id: number }>()
  return results.map((row) => row.id)
}

/**
 * The pipeline variables given at its creation (Ci::PipelineVariable), as stored in
 * `pipelines.variables`. Every reader of the column goes through here.
 */
export function storedPipelineVariables(row: Pick<PipelineRow, 'variables'>): Variable[] {
  try {
    const parsed = JSON.parse(row.variables || '[]') as unknown
    return Array.isArray(parsed) ? (parsed as Variable[]).filter((item) => item && typeof item.key === 'string') : []
  } catch {
    return []
  }
}

/**
 * Project#latest_pipeline(ref): the newest pipeline of `ref` at the ref's head commit `sha`
 * (Ci::Pipeline.newest_first(ref:, sha:)), as the pipeline view.
 */
export function latestPipelineIdStatement(db: D1Database, project: { sql: string; value: string | number }, ref: string, sha: string): D1PreparedStatement {
  return db
    .prepare(`SELECT id FROM pipelines WHERE project_id = ${project.sql} AND ref = ? AND sha = ? ORDER BY id DESC LIMIT 1`)
    .bind(project.value, ref, sha)
}

/** Every job of a pipeline, retried ones too (the jobs a deleted pipeline takes with it). */
export async function pipelineJobIds(db: D1Database, pipelineId: number): Promise<number[]> {
  const { results } = await db.prepare('SELECT id FROM jobs WHERE pipeline_id = ? ORDER BY id').bind(pipelineId).all<{ id: number }>()
  return results.map((row) => row.id)
}

/**
 * Ci::Pipeline#destroy: the pipeline and everything recorded for it and its jobs, in one batch.
 * Environments stay (their deployments of these jobs go); child and downstream pipelines stay,
 * no longer linked to it.
 */
export function destroyPipelineStatements(db: D1Database, pipelineId: number): D1PreparedStatement[] {
  const jobs = 'SELECT id FROM jobs WHERE pipeline_id = ?'
  return [
    db.prepare(`DELETE FROM job_artifacts WHERE job_id IN (${jobs})`).bind(pipelineId),
    db.prepare('DELETE FROM job_dotenv_variables WHERE pipeline_id = ?').bind(pipelineId),
    db.prepare(`DELETE FROM deployments WHERE job_id IN (${jobs})`).bind(pipelineId),
    db.prepare(`DELETE FROM job_environments WHERE job_id IN (${jobs})`).bind(pipelineId),
    db.prepare(`UPDATE resource_groups SET holder_job_id = NULL WHERE holder_job_id IN (${jobs})`).bind(pipelineId),
    db.prepare('UPDATE pipelines SET parent_pipeline_id = NULL, source_job_id = NULL WHERE parent_pipeline_id = ?').bind(pipelineId),
    db.prepare('UPDATE pipelines SET auto_canceled_by_id = NULL WHERE auto_canceled_by_id = ?').bind(pipelineId),
    db.prepare('UPDATE jobs SET downstream_pipeline_id = NULL WHERE downstream_pipeline_id = ?').bind(pipelineId),
    db.prepare('DELETE FROM jobs WHERE pipeline_id = ?').bind(pipelineId),
    db.prepare('DELETE FROM pipeline_stages WHERE pipeline_id = ?').bind(pipelineId),
    db.prepare('DELETE FROM pipeline_yaml_errors WHERE pipeline_id = ?').bind(pipelineId),
    db.prepare('DELETE FROM pipelines WHERE id = ?').bind(pipelineId),
  ]
}
