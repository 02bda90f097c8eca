import * as v from 'valibot'
import type { Env } from '../env'
import { loadProject } from '../auth/access'
import { authenticateJob, presentedJobToken } from '../auth/job-auth'
import { authorize, canReadJobArtifacts } from '../auth/policy'
import { jobOptions } from '../db/jobs'
import { digestsEqual, tokenDigest } from '../auth/tokens'
import {
  artifactOfType, buildInProject, deleteArtifactsStatement, jobArtifactsStatement, jobByTokenDigest, keepArtifactsStatements,
  setJobArtifactsExpiryStatement, type ArtifactRow,
} from '../db/artifacts'
import { getJobView, type JobViewRow } from '../db/job-views'
import { projectJobStatement } from '../db/job-lists'
import { artifactsLimitBytes } from '../db/settings'
import { ApiError } from '../http/errors'
import { boundaryOf, MultipartReader } from '../http/multipart'
import { isForbiddenKey, paramObject, parseNestedPairs } from '../http/nested-params'
import { Int, OneOf, Str } from '../http/param-types'
import { validate, type RawParams } from '../http/params'
import { json, noContent } from '../http/response'
import { job as presentJob } from '../present/job'
import {
  artifactExpiry, artifactFilename, ARTIFACT_FILE_TYPES, bufferPart, duplicateArtifact, newArtifactKey, receivePart, recordArtifact,
  sha256Of, TYPE_AND_FORMAT, type ArtifactUpload,
} from '../services/artifact-upload'
import { DOTENV_SIZE_LIMIT, dotenvTooBig, parseDotenvReport } from '../services/dotenv-report'
import { insertDotenvVariablesStatements } from '../db/dotenv-variables'
import type { ApiContext } from './context'
import { metadataEntry } from '../blob/artifact-metadata'
import { findZipEntry, openZipEntry } from '../blob/zip-entry'
import { isExecuting } from '../ci/statuses'

/**
 * Job artifacts: the runner's upload and download (lib/api/ci/runner.rb) and the user-facing
 * download, delete and keep (lib/api/ci/job_artifacts.rb).
 */
const UploadParams = v.looseObject({
  id: Int,
  artifact_type: v.optional(OneOf(ARTIFACT_FILE_TYPES), 'archive'),
  artifact_format: v.optional(OneOf(['zip', 'gzip', 'raw'] as const), 'zip'),
  expire_in: v.optional(Str),
})

/**
 * POST /jobs/:id/artifacts — multipart with one `file` part (plain form fields before it may
 * carry the query's parameters) and optionally a `metadata` part (Workhorse's zip index, stored
 * as the `metadata` artifact). Allowed while the job runs or is canceling. 201 `"201"`.
 * Ci::JobArtifacts::CreateService: a file whose SHA-256 equals the stored artifact of its type is
 * accepted and the stored one kept (a runner retrying after a lost reply); a different one is 400;
 * the type/format pair must be GitLab's; a dotenv report is parsed before anything is stored.
 */
export async function upload(c: ApiContext): Promise<Response> {
  const query = parseNestedPairs(new URL(c.request.url).searchParams.entries())
  validate(v.looseObject({ id: Int }), { id: c.request.params?.id })
  const job = await authenticateJob(c.env, Number(c.request.params!.id), presentedJobToken(c.request))
  const boundary = boundaryOf(c.request.headers.get('Content-Type'))
  if (!boundary || !c.request.body) throw ApiError.invalid('file', 'is missing')
  const reader = new MultipartReader(c.request.body, boundary)
  const fields: RawParams = paramObject()
  let part = await reader.nextPart()
  for (; part && !(part.name === 'file' && part.filename !== null); part = await reader.nextPart()) {
    if (part.name !== 'file' && part.name !== 'metadata' && !isForbiddenKey(part.name)) fields[part.name] = await reader.text()
  }
  if (!part) throw ApiError.invalid('file', 'is missing')
  const params = validate(UploadParams, Object.assign(fields, query, { id: c.request.params!.id }))
  const limitBytes = artifactsLimitBytes(job.max_artifacts_size)
  const spec: ArtifactUpload = {
    jobId: job.id,
    projectId: job.project_id,
    fileType: params.artifact_type,
    fileFormat: params.artifact_format,
    filename: artifactFilename(part.filename, params.artifact_type),
    expireAt: artifactExpiry(params.expire_in, c.now),
    limitBytes,
  }
  const existing = await artifactOfType(c.env.DB, job.id, params.artifact_type)
  if (existing) {
    // sha256_matches_existing_artifact?: hash the upload (nothing is stored) and compare.
    const received = await receivePart(c.env, reader, null, limitBytes)
    await reader.cancel()
    if (existing.file_sha256 !== null && existing.file_sha256 === received.sha256) return created()
    throw duplicateArtifact()
  }
  if (TYPE_AND_FORMAT[params.artifact_type] !== params.artifact_format) {
    await reader.cancel()
    throw ApiError.withMessage(400, 'Validation failed: Invalid file format with specified file type')
  }
  if (params.artifact_type === 'dotenv') {
    await storeDotenv(c.env, reader, spec, job)
  } else {
    const received = await receivePart(c.env, reader, newArtifactKey(spec), limitBytes)
    await recordArtifact(c.env, spec, { ...received, key: received.key! })
    await storeMetadata(c.env, reader, spec)
  }
  await reader.cancel()
  return created()
}

function created(): Response {
  return new Response('201', { status: 201, headers: { 'Content-Type': 'text/plain' } })
}

/** A dotenv report: read whole (it is under 5 KiB), parsed, then stored with its variables. */
async function storeDotenv(env: Env, reader: MultipartReader, spec: ArtifactUpload, job: { id: number; pipeline_id: number }): Promise<void> {
  const bytes = await bufferPart(reader, Math.min(DOTENV_SIZE_LIMIT, spec.limitBytes + 1))
  if (!bytes) throw DOTENV_SIZE_LIMIT <= spec.limitBytes ? dotenvTooBig() : ApiError.tooLarge()
  const variables = await parseDotenvReport(bytes)
  const key = newArtifactKey(spec)
  await env.BLOBS.put(key, bytes)
  const file = { key, size: bytes.byteLength, sha256: await sha256Of(bytes) }
  await recordArtifact(env, spec, file, insertDotenvVariablesStatements(env.DB, job, variables, key))
}

/** Workhorse's `metadata` part (gzip), if one follows the file: kept as the `metadata` artifact. */
async function storeMetadata(env: Env, reader: MultipartReader, spec: ArtifactUpload): Promise<void> {
  if (spec.fileType !== 'archive') return
  for (let part = await reader.nextPart(); part; part = await reader.nextPart()) {
    if (part.name !== 'metadata' || part.filename === null) continue
    const metadata: ArtifactUpload = { ...spec, fileType: 'metadata', fileFormat: 'gzip', filename: 'metadata.gz' }
    const received = await receivePart(env, reader, newArtifactKey(metadata), spec.limitBytes)
    await recordArtifact(env, metadata, { ...received, key: received.key! })
    return
  }
}

/**
 * ActionDispatch::Http::ContentDisposition.format (present_disk_file!): an ASCII fallback
 * (I18n.transliterate, then percent-escaped) and the exact name as RFC 5987 `filename*`.
 */
export function contentDisposition(filename: string): string {
  const escape = (text: string, keep: RegExp) =>
    Array.from(text, (char) => (keep.test(char) ? char : Array.from(new TextEncoder().encode(char), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''))).join('')
  const transliterated = filename.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x00-\x7f]/g, '?')
  const ascii = escape(transliterated, /^[ A-Za-z0-9!#$+.^_`|~-]$/)
  const utf8 = escape(filename, /^[A-Za-z0-9!#$&+.^_`|~-]$/)
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`
}

export function fileResponse(object: R2ObjectBody, artifact: ArtifactRow): Response {
  return new Response(object.body, {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(object.size),
      'Content-Disposition': contentDisposition(artifact.filename),
      'Content-Transfer-Encoding': 'binary',
    },
  })
}

async function archiveResponse(env: Env, jobId: number, now: number): Promise<Response> {
  const archive = await artifactOfType(env.DB, jobId, 'archive')
  if (!archive || (archive.expire_at !== null && archive.expire_at <= now)) throw ApiError.notFound()
  const object = await env.BLOBS.get(archive.blob_key)
  if (!object) throw ApiError.notFound()
  return fileResponse(object, archive)
}

/**
 * GET /jobs/:id/artifacts — a dependent job's download (authenticate_job_via_dependent_job!,
 * lib/api/ci/helpers/runner.rb): the token must be a running (or canceling) job's, else 401 like
 * any failed job-token authentication; a valid token may read only builds of its own project
 * (403 otherwise, also for an unknown job id); no archive is 404.
 */
export async function downloadForRunner(c: ApiContext): Promise<Response> {
  const { id } = validate(v.looseObject({ id: Int }), { id: c.request.params?.id })
  const token = presentedJobToken(c.request)
  const digest = token ? await tokenDigest(token) : ''
  const caller = digest ? await jobByTokenDigest(c.env.DB, digest) : null
  if (!caller || !digestsEqual(caller.token_digest, digest) || !isExecuting(caller.status)) throw ApiError.unauthorized()
  if (!(await buildInProject(c.env.DB, id, caller.project_id))) throw ApiError.forbidden()
  return archiveResponse(c.env, id, c.now)
}

const JobParams = v.looseObject({ id: Str, job_id: Int })

async function loadBuildArtifacts(c: ApiContext) {
  const raw = await c.params()
  const params = validate(JobParams, raw)
  const ctx = await loadProject<[JobViewRow, ArtifactRow]>(c, params.id, (project) => [
    projectJobStatement(c.env.DB, project, params.job_id),
    jobArtifactsStatement(c.env.DB, params.job_id),
  ])
  const row = ctx.results[0].results[0]
  const artifacts = row ? ctx.results[1].results : []
  return { ctx, row: row && row.type === 'build' ? row : undefined, artifacts }
}

/** GET /projects/:id/jobs/:job_id/artifacts — the archive (read_build). */
export async function download(c: ApiContext): Promise<Response> {
  const { ctx, row } = await loadBuildArtifacts(c)
  authorize(ctx.access, 'read_build')
  if (!row) throw ApiError.notFound()
  authorizeReadJobArtifacts(ctx.access, row)
  return archiveResponse(c.env, row.id, c.now)
}

/** authorize_read_job_artifacts!: the job's `artifacts:access` (Ci::JobArtifactPolicy); 403 when refused. */
function authorizeReadJobArtifacts(access: Parameters<typeof canReadJobArtifacts>[0], row: JobViewRow): void {
  if (!canReadJobArtifacts(access, jobOptions(row).artifacts)) throw ApiError.forbidden()
}

/** Go's mime.TypeByExtension built-in table, which Workhorse's detectFileContentType uses. */
const GO_MIME_TYPES: Record<string, string> = {
  '.avif': 'image/avif', '.css': 'text/css; charset=utf-8', '.gif': 'image/gif', '.htm': 'text/html; charset=utf-8',
  '.html': 'text/html; charset=utf-8', '.jpeg': 'image/jpeg', '.jpg': 'image/jpeg', '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.mjs': 'text/javascript; charset=utf-8', '.pdf': 'application/pdf', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.wasm': 'application/wasm', '.webp': 'image/webp', '.xml': 'text/xml; charset=utf-8',
}

const EntryParams = v.looseObject({ id: Str, job_id: Int, artifact_path: Str })

/**
 * GET /projects/:id/jobs/:job_id/artifacts/*artifact_path — one file of the archive
 * (lib/api/ci/job_artifacts.rb, Workhorse's `artifacts-entry`). The `metadata` artifact, when the
 * upload carried one, answers whether the file exists without touching the archive; the file is
 * then read from the zip with ranged reads. A path with NUL or invalid UTF-8 is 400.
 */
export async function downloadEntry(c: ApiContext): Promise<Response> {
  const params = await c.valid(EntryParams)
  const ctx = await loadProject<[JobViewRow, ArtifactRow]>(c, params.id, (project) => [
    projectJobStatement(c.env.DB, project, params.job_id),
    jobArtifactsStatement(c.env.DB, params.job_id),
  ])
  authorize(ctx.access, 'read_build')
  const row = ctx.results[0].results[0]
  if (!row || row.type !== 'build') throw ApiError.notFound()
  authorizeReadJobArtifacts(ctx.access, row)
  const artifacts = ctx.results[1].results
  const archive = artifacts.find((artifact) => artifact.file_type === 'archive')
  // available_artifacts?: not_found! (GitLab's own "404 Not Found").
  if (!archive || (archive.expire_at !== null && archive.expire_at <= c.now)) throw ApiError.withMessage(404, '404 Not Found')
  const path = validArtifactPath(new URL(c.request.url).pathname.split('/artifacts/').slice(1).join('/artifacts/'))
  const notFound = () => new Response('Not Found\n', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
  const metadata = artifacts.find((artifact) => artifact.file_type === 'metadata')
  if (metadata) {
    const object = await c.env.BLOBS.get(metadata.blob_key)
    const lookup = object ? await metadataEntry(object.body, path) : { valid: false as const }
    if (lookup.valid && (lookup.entry === null || path.endsWith('/'))) return notFound()
  }
  const entry = await findZipEntry(c.env.BLOBS, archive.blob_key, archive.size, path)
  if (!entry || entry.name.endsWith('/')) return notFound()
  const body = await openZipEntry(c.env.BLOBS, archive.blob_key, entry)
  if (!body) return notFound()
  const basename = path.split('/').pop()!
  const dot = basename.lastIndexOf('.')
  return new Response(body, {
    headers: {
      'Content-Type': (dot > 0 ? GO_MIME_TYPES[basename.slice(dot).toLowerCase()] : undefined) ?? 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${basename.replace(/(["\\])/g, '\\$1')}"`,
      'Content-Length': String(entry.size),
    },
  })
}

/**
 * Gitlab::Ci::Build::Artifacts::Path#valid? of the path as sent (percent-encoded): no NUL byte,
 * valid UTF-8; else `400 Bad request`.
 */
export function validArtifactPath(encoded: string): string {
  const bytes = percentDecodeBytes(encoded)
  let path: string
  try {
    path = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw ApiError.withMessage(400, '400 Bad request')
  }
  if (path.includes('\0') || path === '') throw ApiError.withMessage(400, '400 Bad request')
  return path
}

function percentDecodeBytes(text: string): Uint8Array {
  const out: number[] = []
  const utf8 = new TextEncoder()
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      out.push(...utf8.encode(text[i]))
    }
  }
  return new Uint8Array(out)
}

/** DELETE /projects/:id/jobs/:job_id/artifacts — every artifact but the log; 204. */
export async function destroy(c: ApiContext): Promise<Response> {
  const { ctx, row, artifacts } = await loadBuildArtifacts(c)
  authorize(ctx.access, 'admin_build')
  if (!row) throw ApiError.notFound()
  const removable = artifacts.filter((artifact) => artifact.file_type !== 'trace')
  if (removable.length > 0) {
    // R2 first: a failure leaves rows that point at nothing, retried by the next delete or sweep.
    await c.env.BLOBS.delete(removable.map((artifact) => artifact.blob_key))
    await c.env.DB.batch([
      deleteArtifactsStatement(c.env.DB, removable.map((artifact) => artifact.id)),
      setJobArtifactsExpiryStatement(c.env.DB, row.id, null),
    ])
  }
  return noContent()
}

/** POST /projects/:id/jobs/:job_id/artifacts/keep — the artifacts no longer expire; 200 Job. */
export async function keep(c: ApiContext): Promise<Response> {
  const { ctx, row, artifacts } = await loadBuildArtifacts(c)
  authorize(ctx.access, 'read_build')
  if (!row) throw ApiError.notFound()
  authorize(ctx.access, 'keep_job_artifacts')
  if (!artifacts.some((artifact) => artifact.file_type === 'archive')) throw ApiError.notFound()
  await c.env.DB.batch(keepArtifactsStatements(c.env.DB, row.id))
  const view = await getJobView(c.env.DB, row.id)
  return json(presentJob(view!, c.externalUrl, c.now))
}
