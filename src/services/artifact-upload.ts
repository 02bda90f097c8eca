import type { Env } from '../env'
import { parseDuration } from '../ci/config/duration'
import { artifactKey } from '../blob/keys'
import { BlobWriter } from '../blob/upload'
import { insertArtifactStatement, setJobArtifactsExpiryStatement, type ArtifactRow } from '../db/artifacts'
import { ApiError } from '../http/errors'
import type { MultipartReader } from '../http/multipart'

/**
 * Ci::JobArtifacts::CreateService, with Workhorse's part done here: the `file` part streams into
 * R2 while its bytes are counted. Over the limit the upload is aborted (413) and nothing remains:
 * no R2 object, no row. The row is written only once the object is complete.
 */
export interface ArtifactUpload {
  jobId: number
  projectId: number
  fileType: string
  fileFormat: string
  filename: string
  expireAt: number | null
  limitBytes: number
}

/**
 * Enums::Ci::JobArtifact file types a runner may upload. `trace` is absent: the log is archived
 * by the job itself when it finishes.
 */
export const ARTIFACT_FILE_TYPES = [
  'archive', 'metadata', 'junit', 'sast', 'dependency_scanning', 'container_scanning', 'dast', 'codequality',
  'license_scanning', 'performance', 'metrics', 'metrics_referee', 'network_referee', 'lsif', 'dotenv', 'cobertura',
  'terraform', 'accessibility', 'cluster_applications', 'secret_detection', 'requirements', 'coverage_fuzzing',
  'browser_performance', 'load_performance', 'api_fuzzing', 'cluster_image_scanning', 'cyclonedx', 'requirements_v2',
  'annotations', 'repository_xray', 'jacoco',
] as const

/** GitLab's `default_artifacts_expire_in` application setting default. */
const DEFAULT_EXPIRE_IN_SECONDS = 30 * 24 * 60 * 60

/** `expire_in` → epoch ms; `never` (or text ChronicDuration cannot read) keeps it forever. */
export function artifactExpiry(expireIn: string | undefined, now: number): number | null {
  if (expireIn === undefined || expireIn.trim() === '') return now + DEFAULT_EXPIRE_IN_SECONDS * 1000
  const seconds = parseDuration(expireIn)
  return seconds === null || seconds <= 0 ? null : now + seconds * 1000
}

/** The stored file name: the part's base name, or GitLab's default for the archive. */
export function artifactFilename(partFilename: string | null, fileType: string): string {
  const base = (partFilename ?? '').split(/[\\/]/).pop()!.replace(/[\u0000-\u001f]/g, '').slice(0, 255)
  if (base && base !== '.' && base !== '..') return base
  return fileType === 'archive' ? 'artifacts.zip' : `${fileType}.gz`
}

export async function storeArtifact(env: Env, reader: MultipartReader, upload: ArtifactUpload): Promise<ArtifactRow> {
  const key = artifactKey(upload.jobId, crypto.randomUUID(), upload.filename)
  const writer = new BlobWriter(env.BLOBS, key)
  try {
    for (let chunk = await reader.readChunk(); chunk !== null; chunk = await reader.readChunk()) {
      if (writer.size + chunk.byteLength > upload.limitBytes) throw ApiError.tooLarge()
      await writer.write(chunk)
    }
    await writer.close()
  } catch (error) {
    await writer.abort()
    await reader.cancel()
    throw error
  }
  return recordArtifact(env, upload, key, writer.size)
}

async function recordArtifact(env: Env, upload: ArtifactUpload, key: string, size: number): Promise<ArtifactRow> {
  const statements = [
    insertArtifactStatement(env.DB, {
      job_id: upload.jobId, project_id: upload.projectId, file_type: upload.fileType, file_format: upload.fileFormat,
      filename: upload.filename, size, blob_key: key, expire_at: upload.expireAt, created_at: Date.now(),
    }),
  ]
  // The job's artifacts_expire_at follows its archive (Ci::JobArtifacts::CreateService).
  if (upload.fileType === 'archive') statements.push(setJobArtifactsExpiryStatement(env.DB, upload.jobId, upload.expireAt))
  const [inserted] = await env.DB.batch<ArtifactRow>(statements)
  const row = inserted.results[0]
  if (!row) {
    // Another upload of this type won the race: ours must not linger in R2.
    await env.BLOBS.delete(key)
    throw duplicateArtifact()
  }
  return row
}

export function duplicateArtifact(): ApiError {
  return ApiError.withMessage(400, 'another artifact of the same type already exists')
}
