import type { JobOptions } from '../ci/types'
import { INSERTED_PIPELINE_ID } from './pipelines'
import { CANCELABLE_STATUSES, type JobStatus } from '../ci/statuses'

/** Jobs (builds and bridges): rows, and the queries the API and objects need. */
export interface JobRow {
  id: number
  project_id: number
  pipeline_id: number
  type: 'build' | 'bridge'
  name: string
  stage: string
  stage_idx: number
  status: JobStatus
  ref: string
  tag: number
  allow_failure: number
  when_: string
  scheduling_type: string
  retried: number
  enqueue_immediately: number
  user_id: number | null
  created_at: number
  updated_at: number
  queued_at: number | null
  started_at: number | null
  finished_at: number | null
  scheduled_at: number | null
  erased_at: number | null
  erased_by_id: number | null
  coverage: number | null
  coverage_regex: string | null
  failure_reason: string | null
  exit_code: number | null
  runner_id: number | null
  runner_manager_id: number | null
  token_digest: string | null
  tag_list: string
  options: string
  yaml_variables: string
  job_variables: string
  needs: string
  timeout: number | null
  artifacts_expire_at: number | null
  downstream_pipeline_id: number | null
  trace_size: number
  trace_archived: number
  /** the runner sent debug_trace=true with the first log chunk (Ci::BuildMetadata#debug_trace_enabled) */
  debug_trace_enabled: number
  lock_version: number
}

export function getJob(db: D1Database, id: number): Promise<JobRow | null> {
  return db.prepare('SELECT * FROM jobs WHERE id = ?').bind(id).first<JobRow>()
}

/** The latest (non-retried) jobs of a pipeline, in stage then id order. */
export function latestJobsStatement(db: D1Database, pipelineId: number): D1PreparedStatement {
  return db.prepare('SELECT * FROM jobs WHERE pipeline_id = ? AND retried = 0 ORDER BY stage_idx, id').bind(pipelineId)
}


/** Columns a transition may change; written with a lock_version guard. */
export type JobChanges = Partial<
  Pick<
    JobRow,
    | 'status' | 'allow_failure' | 'queued_at' | 'started_at' | 'finished_at' | 'scheduled_at' | 'failure_reason'
    | 'exit_code' | 'token_digest' | 'runner_id' | 'runner_manager_id' | 'timeout' | 'user_id' | 'job_variables'
    | 'erased_at' | 'erased_by_id' | 'artifacts_expire_at' | 'downstream_pipeline_id' | 'coverage' | 'retried'
    | 'enqueue_immediately' | 'trace_size' | 'trace_archived'
  >
>

/** `UPDATE jobs … WHERE id = ? AND lock_version = ?`: a stale writer changes nothing. */
export function guardedUpdate(db: D1Database, job: Pick<JobRow, 'id' | 'lock_version'>, changes: JobChanges, now: number): D1PreparedStatement {
  const keys = Object.keys(changes) as Array<keyof JobChanges>
  const sets = [...keys.map((key) => `${key} = ?`), 'updated_at = ?', 'lock_version = lock_version + 1']
  return db
    .prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ? AND lock_version = ? RETURNING *`)
    .bind(...keys.map((key) => changes[key] ?? null), now, job.id, job.lock_version)
}

const NEW_JOB_COLUMNS = [
  'project_id', 'pipeline_id', 'type', 'name', 'stage', 'stage_idx', 'ref', 'tag', 'allow_failure', 'when_',
  'scheduling_type', 'user_id', 'created_at', 'coverage_regex', 'tag_list', 'options', 'yaml_variables',
  'job_variables', 'needs', 'enqueue_immediately',
] as const

/** A job as pipeline creation or a retry writes it (status `created`). */
export type NewJob = Pick<JobRow, (typeof NEW_JOB_COLUMNS)[number]>

/** INSERT of a new job in `created`; `pipelineIdSql` lets a batch refer to a pipeline inserted before it. */
export function insertJobStatement(db: D1Database, job: NewJob, pipelineIdSql?: string): D1PreparedStatement {
  const columns = [...NEW_JOB_COLUMNS, 'status', 'updated_at']
  const values = NEW_JOB_COLUMNS.map((column) => (column === 'pipeline_id' && pipelineIdSql ? pipelineIdSql : '?'))
  const binds = NEW_JOB_COLUMNS.filter((column) => !(column === 'pipeline_id' && pipelineIdSql)).map((column) => job[column])
  return db
    .prepare(`INSERT INTO jobs (${columns.join(', ')}) VALUES (${values.join(', ')}, 'created', ?)`)
    .bind(...binds, job.created_at)
}

/** Clones a job for retry: same definition, new id, status created, user = the retrying user. */
export function cloneJobStatements(
  db: D1Database,
  job: JobRow,
  userId: number,
  now: number,
  overrides: { enqueueImmediately: boolean; jobVariables?: string },
): D1PreparedStatement[] {
  const copied = NEW_JOB_COLUMNS.filter((c) => !['user_id', 'created_at', 'enqueue_immediately', 'job_variables'].includes(c))
  return [
    db
      .prepare(
        `INSERT INTO jobs (${copied.join(', ')}, user_id, created_at, enqueue_immediately, job_variables, status, updated_at)
         SELECT ${copied.join(', ')}, ?, ?, ?, ?, 'created', ? FROM jobs WHERE id = ? AND lock_version = ? AND retried = 0
         RETURNING *`,
      )
      .bind(userId, now, overrides.enqueueImmediately ? 1 : 0, overrides.jobVariables ?? job.job_variables, now, job.id, job.lock_version),
    // The old job keeps its status and becomes retried.
    db
      .prepare('UPDATE jobs SET retried = 1, updated_at = ?, lock_version = lock_version + 1 WHERE id = ? AND lock_version = ? AND retried = 0')
      .bind(now, job.id, job.lock_version),
  ]
}

/** Number of retried jobs with this name in the pipeline (auto-retry counting). */
export async function retriesCount(db: D1Database, pipelineId: number, name: string): Promise<number> {
  const row = await db
    .prepare('SELECT COUNT(*) AS n FROM jobs WHERE pipeline_id = ? AND name = ? AND retried = 1')
    .bind(pipelineId, name)
    .first<{ n: number }>()
  return row?.n ?? 0
}

/** Whether an anonymous visitor may see this job: it exists in a public project with public jobs. */
export async function jobIsPublic(db: D1Database, projectPath: string, jobId: number): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT 1 AS found FROM jobs j JOIN projects p ON p.id = j.project_id
        WHERE p.full_path = ? AND j.id = ? AND j.type = 'build' AND p.visibility = 'public' AND p.public_jobs = 1`,
    )
    .bind(projectPath, jobId)
    .first<{ found: number }>()
  return row !== null
}

/**
 * A job's stored options (the `options` column: what the CI config gave the job), read in one
 * place. The column is written only by pipeline creation from a parsed config, so its shape is
 * JobOptions; an unreadable value reads as no options rather than failing the job.
 */
export function jobOptions(row: Pick<JobRow, 'options'>): StoredJobOptions {
  try {
    const parsed = JSON.parse(row.options) as unknown
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as StoredJobOptions) : {}
  } catch {
    return {}
  }
}

/** JobOptions plus what creation stores beside them (`job_timeout`, `start_in_seconds`). */
export type StoredJobOptions = JobOptions & { job_timeout?: number; start_in_seconds?: number }

/** The job's `resource_group:`, if it has one (the column is checked before it is parsed). */
export function resourceGroupOf(row: Pick<JobRow, 'options'>): string | undefined {
  if (!row.options.includes('resource_group')) return undefined
  const group = jobOptions(row).resource_group
  return group ? group : undefined
}

/** A job of the pipeline being inserted (same batch) that is created failed (e.g. environment_creation_failure). */
export function failInsertedJobStatement(db: D1Database, name: string, failureReason: string, now: number): D1PreparedStatement {
  return db
    .prepare(`UPDATE jobs SET status = 'failed', failure_reason = ?, finished_at = ? WHERE pipeline_id = ${INSERTED_PIPELINE_ID} AND name = ?`)
    .bind(failureReason, now, name)
}

/**
 * A pipeline's jobs in a cancelable status (HasStatus::CANCELABLE_STATUSES), retried ones too as
 * GitLab's `cancelable_statuses`; `onlyInterruptible`: those with `interruptible: true` only.
 */
export function cancelableJobsStatement(db: D1Database, pipelineId: number, onlyInterruptible: boolean): D1PreparedStatement {
  const interruptible = onlyInterruptible ? " AND json_extract(options, '$.interruptible') = 1" : ''
  return db
    .prepare(`SELECT * FROM jobs WHERE pipeline_id = ? AND status IN (${CANCELABLE_STATUSES.map(() => '?').join(',')})${interruptible} ORDER BY id`)
    .bind(pipelineId, ...CANCELABLE_STATUSES)
}

/** The job whose CI job token has this digest (the trigger API's CI_JOB_TOKEN), while it has one. */
export function jobByTokenDigest(db: D1Database, digest: string): Promise<JobRow | null> {
  return db.prepare('SELECT * FROM jobs WHERE token_digest = ?').bind(digest).first<JobRow>()
}
