/** Job artifacts: metadata rows in D1 (the files live in R2 under `blob_key`). */
export interface ArtifactRow {
  id: number
  job_id: number
  project_id: number
  file_type: string
  file_format: string
  filename: string
  size: number
  blob_key: string
  file_sha256: string | null
  expire_at: number | null
  locked: number
  created_at: number
}

export type NewArtifact = Omit<ArtifactRow, 'id' | 'locked'>

/** A job of the pipeline that a starting job may depend on, with its unexpired archive if any. */
export interface DependencyRow {
  id: number
  name: string
  stage_idx: number
  filename: string | null
  size: number | null
}

/**
 * Inserts the artifact unless the job already has one of this type (GitLab allows one per type);
 * returns no row in that case.
 */
export function insertArtifactStatement(db: D1Database, artifact: NewArtifact): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO job_artifacts (job_id, project_id, file_type, file_format, filename, size, blob_key, expire_at, created_at, file_sha256)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
       WHERE NOT EXISTS (SELECT 1 FROM job_artifacts WHERE job_id = ?1 AND file_type = ?3)
       RETURNING *`,
    )
    .bind(artifact.job_id, artifact.project_id, artifact.file_type, artifact.file_format, artifact.filename, artifact.size,
      artifact.blob_key, artifact.expire_at, artifact.created_at, artifact.file_sha256)
}

/**
 * The job's `artifacts_expire_at` follows its archive. Not a status change, so it is written
 * without the lock_version bump that guards transitions (a transition never writes this column
 * while the job can still upload).
 */
export function setJobArtifactsExpiryStatement(db: D1Database, jobId: number, expireAt: number | null): D1PreparedStatement {
  return db.prepare('UPDATE jobs SET artifacts_expire_at = ? WHERE id = ?').bind(expireAt, jobId)
}

export function artifactOfType(db: D1Database, jobId: number, fileType: string): Promise<ArtifactRow | null> {
  return db.prepare('SELECT * FROM job_artifacts WHERE job_id = ? AND file_type = ? ORDER BY id LIMIT 1').bind(jobId, fileType).first<ArtifactRow>()
}

export function artifactOfTypeStatement(db: D1Database, jobId: number, fileType: string): D1PreparedStatement {
  return db.prepare('SELECT * FROM job_artifacts WHERE job_id = ? AND file_type = ? ORDER BY id LIMIT 1').bind(jobId, fileType)
}

/** Latest builds of the pipeline other than `jobId`, with their unexpired archive. */
export function dependenciesStatement(db: D1Database, pipelineId: number, jobId: number, now: number): D1PreparedStatement {
  return db
    .prepare(
      `SELECT j.id, j.name, j.stage_idx, a.filename, a.size FROM jobs j
       LEFT JOIN job_artifacts a ON a.job_id = j.id AND a.file_type = 'archive' AND (a.expire_at IS NULL OR a.expire_at > ?3)
       WHERE j.pipeline_id = ?1 AND j.retried = 0 AND j.type = 'build' AND j.id <> ?2 AND j.erased_at IS NULL
       ORDER BY j.stage_idx, j.id`,
    )
    .bind(pipelineId, jobId, now)
}

/** The job's artifacts except its log (what `DELETE …/artifacts` removes). */
export async function nonTraceArtifacts(db: D1Database, jobId: number): Promise<ArtifactRow[]> {
  const { results } = await db.prepare("SELECT * FROM job_artifacts WHERE job_id = ? AND file_type <> 'trace' ORDER BY id").bind(jobId).all<ArtifactRow>()
  return results
}

export function deleteArtifactsStatement(db: D1Database, ids: number[]): D1PreparedStatement {
  return db.prepare(`DELETE FROM job_artifacts WHERE id IN (${ids.map(() => '?').join(',')})`).bind(...ids)
}

/** keep_artifacts!: the job's artifacts never expire. */
export function keepArtifactsStatements(db: D1Database, jobId: number): D1PreparedStatement[] {
  return [
    db.prepare('UPDATE job_artifacts SET expire_at = NULL WHERE job_id = ?').bind(jobId),
    setJobArtifactsExpiryStatement(db, jobId, null),
  ]
}

/** Expired, unlocked artifacts, oldest expiry first (index job_artifacts_expiry). */
export async function expiredArtifacts(db: D1Database, now: number, limit: number): Promise<ArtifactRow[]> {
  const { results } = await db
    .prepare('SELECT * FROM job_artifacts WHERE expire_at IS NOT NULL AND expire_at <= ? AND locked = 0 ORDER BY expire_at LIMIT ?')
    .bind(now, limit)
    .all<ArtifactRow>()
  return results
}

/** All artifacts of a job (log included), in upload order. */
export function jobArtifactsStatement(db: D1Database, jobId: number): D1PreparedStatement {
  return db.prepare('SELECT * FROM job_artifacts WHERE job_id = ? ORDER BY id').bind(jobId)
}

/** The job whose token has this digest (a dependent job downloading artifacts). */
export function jobByTokenDigest(db: D1Database, digest: string): Promise<{ id: number; project_id: number; status: string; token_digest: string } | null> {
  return db
    .prepare('SELECT id, project_id, status, token_digest FROM jobs WHERE token_digest = ?')
    .bind(digest)
    .first<{ id: number; project_id: number; status: string; token_digest: string }>()
}

export function buildInProject(db: D1Database, jobId: number, projectId: number): Promise<{ id: number } | null> {
  return db.prepare("SELECT id FROM jobs WHERE id = ? AND project_id = ? AND type = 'build'").bind(jobId, projectId).first<{ id: number }>()
}

export async function countJobArtifacts(db: D1Database, jobId: number): Promise<number> {
  const row = await db.prepare('SELECT COUNT(*) AS n FROM job_artifacts WHERE job_id = ?').bind(jobId).first<{ n: number }>()
  return row?.n ?? 0
}

/** Every artifact row of the job (erase). */
export function deleteJobArtifactsStatement(db: D1Database, jobId: number): D1PreparedStatement {
  return db.prepare('DELETE FROM job_artifacts WHERE job_id = ?').bind(jobId)
}

/** The archived log's `trace` artifact, written in the batch of the finishing transition (only if it committed). */
export function insertTraceArtifactStatement(db: D1Database, trace: { jobId: number; projectId: number; size: number; blobKey: string; now: number }): D1PreparedStatement {
  return db.prepare(
    `INSERT INTO job_artifacts (job_id, project_id, file_type, file_format, filename, size, blob_key, created_at)
     SELECT ?1, ?2, 'trace', 'raw', 'job.log', ?3, ?4, ?5 WHERE changes() > 0`,
  ).bind(trace.jobId, trace.projectId, trace.size, trace.blobKey, trace.now)
}

/** The unexpired archive and metadata artifacts of a pipeline's latest build named `jobName`, newest job first. */
export async function pipelineJobArchiveArtifacts(db: D1Database, pipelineId: number, jobName: string, now: number): Promise<ArtifactRow[]> {
  const { results } = await db
    .prepare(
      `SELECT a.* FROM jobs j JOIN job_artifacts a ON a.job_id = j.id
       WHERE j.pipeline_id = ? AND j.name = ? AND j.type = 'build' AND j.retried = 0 AND a.file_type IN ('archive', 'metadata')
         AND (a.expire_at IS NULL OR a.expire_at > ?)
       ORDER BY j.id DESC`,
    )
    .bind(pipelineId, jobName, now)
    .all<ArtifactRow>()
  return results
}

/** A report artifact of one of a pipeline's latest builds, with the build's name. */
export interface ReportArtifactRow {
  job_id: number
  job_name: string
  file_format: string
  blob_key: string
}

/**
 * Ci::Pipeline#latest_report_builds for one report type: the latest (not retried) builds of the
 * pipeline with such an artifact, in job order, and their artifacts.
 */
export function pipelineReportArtifactsStatement(db: D1Database, pipelineId: number, fileType: string): D1PreparedStatement {
  return db
    .prepare(
      `SELECT a.job_id, j.name AS job_name, a.file_format, a.blob_key
       FROM jobs j JOIN job_artifacts a ON a.job_id = j.id
       WHERE j.pipeline_id = ? AND j.retried = 0 AND j.type = 'build' AND a.file_type = ?
       ORDER BY j.id, a.id`,
    )
    .bind(pipelineId, fileType)
}
