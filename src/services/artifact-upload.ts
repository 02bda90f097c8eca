import type { Env } from '../env'
import { parseDuration } from '../ci/config/duration'
import { artifactKey } from '../blob/keys'
import { BlobWriter } from '../blob/upload'
import { insertArtifactStatement, setJobArtifactsExpiryStatement, type ArtifactRow } from '../db/artifacts'
import { concatBytes } from '../bytes'
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

/**
 * Enums::Ci::JobArtifact.type_and_format_pairs (INTERNAL_TYPES + REPORT_TYPES): the one format each
 * type may be uploaded in; Ci::JobArtifact#validate_file_format! refuses any other.
 */
export const TYPE_AND_FORMAT: Readonly<Record<(typeof ARTIFACT_FILE_TYPES)[number], 'zip' | 'gzip' | 'raw'>> = {
  archive: 'zip', metadata: 'gzip', junit: 'gzip', metrics: 'gzip', metrics_referee: 'gzip', network_referee: 'gzip',
  dotenv: 'gzip', cobertura: 'gzip', jacoco: 'gzip', cluster_applications: 'gzip', lsif: 'zip', cyclonedx: 'gzip',
  annotations: 'gzip', repository_xray: 'gzip', sast: 'raw', secret_detection: 'raw', dependency_scanning: 'raw',
  container_scanning: 'raw', cluster_image_scanning: 'raw', dast: 'raw', license_scanning: 'raw', accessibility: 'raw',
  codequality: 'raw', performance: 'raw', browser_performance: 'raw', load_performance: 'raw', terraform: 'raw',
  requirements: 'raw', requirements_v2: 'raw', coverage_fuzzing: 'raw', api_fuzzing: 'raw',
}

/** The file of one multipart part as received: where it went (if stored), its size and SHA-256. */
export interface ReceivedFile {
  key: string | null
  size: number
  sha256: string
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('')
}

/**
 * Streams the current part into R2 under `key` (or only hashes it when `key` is null), counting
 * bytes against the limit (413, nothing left behind) and computing the SHA-256 Workhorse reports.
 */
export async function receivePart(env: Env, reader: MultipartReader, key: string | null, limitBytes: number): Promise<ReceivedFile> {
  const writer = key ? new BlobWriter(env.BLOBS, key) : null
  const digest = new crypto.DigestStream('SHA-256')
  const hashing = digest.getWriter()
  digest.digest.catch(() => undefined) // rejects when the upload is aborted; the error is ours to throw
  let size = 0
  try {
    for (let chunk = await reader.readChunk(); chunk !== null; chunk = await reader.readChunk()) {
      if (size + chunk.byteLength > limitBytes) throw ApiError.tooLarge()
      size += chunk.byteLength
      await hashing.write(chunk)
      if (writer) await writer.write(chunk)
    }
    await hashing.close()
    if (writer) await writer.close()
  } catch (error) {
    await hashing.abort().catch(() => undefined)
    if (writer) await writer.abort()
    await reader.cancel()
    throw error
  }
  return { key, size, sha256: hex(await digest.digest) }
}

/** The current part whole, for small files (a dotenv report); null when it reaches `maxBytes`. */
export async function bufferPart(reader: MultipartReader, maxBytes: number): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = []
  let size = 0
  for (let chunk = await reader.readChunk(); chunk !== null; chunk = await reader.readChunk()) {
    size += chunk.byteLength
    if (size >= maxBytes) {
      await reader.cancel()
      return null
    }
    chunks.push(chunk)
  }
  return concatBytes(chunks, size)
}

export async function sha256Of(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', bytes))
}

export function newArtifactKey(upload: Pick<ArtifactUpload, 'jobId' | 'filename'>): string {
  return artifactKey(upload.jobId, crypto.randomUUID(), upload.filename)
}

/**
 * Writes the artifact row (and the rows that come with it, e.g. a dotenv report's variables) once
 * its object is complete. The job's artifacts_expire_at follows its archive.
 */
export async function recordArtifact(
  env: Env,
  upload: ArtifactUpload,
  file: ReceivedFile & { key: string },
  extra: D1PreparedStatement[] = [],
): Promise<ArtifactRow> {
  const statements = [
    insertArtifactStatement(env.DB, {
      job_id: upload.jobId, project_id: upload.projectId, file_type: upload.fileType, file_format: upload.fileFormat,
      filename: upload.filename, size: file.size, blob_key: file.key, file_sha256: file.sha256, expire_at: upload.expireAt,
      created_at: Date.now(),
    }),
    ...extra,
  ]
  // The job's artifacts_expire_at follows its archive (Ci::JobArtifacts::CreateService).
  if (upload.fileType === 'archive') statements.push(setJobArtifactsExpiryStatement(env.DB, upload.jobId, upload.expireAt))
  const [inserted] = await env.DB.batch<ArtifactRow>(statements)
  const row = inserted.results[0]
  if (!row) {
    // Another upload of this type won the race: ours must not linger in R2.
    await env.BLOBS.delete(file.key)
    throw duplicateArtifact()
  }
  return row
}

export function duplicateArtifact(): ApiError {
  return ApiError.withMessage(400, 'another artifact of the same type already exists')
}
