import * as v from 'valibot'
import type { Env } from '../env'
import { loadProject } from '../auth/access'
import { authenticateJob, presentedJobToken } from '../auth/job-auth'
import { can } from '../auth/policy'
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
import { artifactExpiry, artifactFilename, ARTIFACT_FILE_TYPES, duplicateArtifact, storeArtifact } from '../services/artifact-upload'
import { externalUrl, paramsOf, type ApiRequest } from './request'

/**
 * Job artifacts: the runner's upload and download (lib/api/ci/runner.rb) and the user-facing
 * download, delete and keep (lib/api/ci/job_artifacts.rb).
 */
const EXECUTING = new Set(['running', 'canceling'])

const UploadParams = v.looseObject({
  id: Int,
  artifact_type: v.optional(OneOf(ARTIFACT_FILE_TYPES), 'archive'),
  artifact_format: v.optional(OneOf(['zip', 'gzip', 'raw'] as const), 'zip'),
  expire_in: v.optional(Str),
})

/**
 * POST /jobs/:id/artifacts — multipart with one `file` part (plain form fields before it may
 * carry the query's parameters). Allowed while the job runs or is canceling. 201 `"201"`.
 */
export async function upload(request: ApiRequest, env: Env): Promise<Response> {
  const query = parseNestedPairs(new URL(request.url).searchParams.entries())
  validate(v.looseObject({ id: Int }), { id: request.params?.id })
  const job = await authenticateJob(env, Number(request.params!.id), presentedJobToken(request))
  const boundary = boundaryOf(request.headers.get('Content-Type'))
  if (!boundary || !request.body) throw ApiError.invalid('file', 'is missing')
  const reader = new MultipartReader(request.body, boundary)
  const fields: RawParams = paramObject()
  let part = await reader.nextPart()
  for (; part && !(part.name === 'file' && part.filename !== null); part = await reader.nextPart()) {
    if (part.name !== 'file' && !isForbiddenKey(part.name)) fields[part.name] = await reader.text()
  }
  if (!part) throw ApiError.invalid('file', 'is missing')
  const params = validate(UploadParams, Object.assign(fields, query, { id: request.params!.id }))
  if (await artifactOfType(env.DB, job.id, params.artifact_type)) throw duplicateArtifact()
  await storeArtifact(env, reader, {
    jobId: job.id,
    projectId: job.project_id,
    fileType: params.artifact_type,
    fileFormat: params.artifact_format,
    filename: artifactFilename(part.filename, params.artifact_type),
    expireAt: artifactExpiry(params.expire_in, Date.now()),
    limitBytes: artifactsLimitBytes(job.max_artifacts_size),
  })
  await reader.cancel()
  return new Response('201', { status: 201, headers: { 'Content-Type': 'text/plain' } })
}

/** `attachment` with an ASCII fallback name and the exact name as RFC 5987 `filename*`. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return ascii === filename
    ? `attachment; filename="${filename}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

function fileResponse(object: R2ObjectBody, artifact: ArtifactRow): Response {
  return new Response(object.body, {
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(object.size),
      'Content-Disposition': contentDisposition(artifact.filename),
    },
  })
}

async function archiveResponse(env: Env, jobId: number): Promise<Response> {
  const archive = await artifactOfType(env.DB, jobId, 'archive')
  if (!archive || (archive.expire_at !== null && archive.expire_at <= Date.now())) throw ApiError.notFound()
  const object = await env.BLOBS.get(archive.blob_key)
  if (!object) throw ApiError.notFound()
  return fileResponse(object, archive)
}

/**
 * GET /jobs/:id/artifacts — a dependent job's download: the token is a running (or canceling)
 * job's, and the artifacts must belong to a build of the same project.
 */
export async function downloadForRunner(request: ApiRequest, env: Env): Promise<Response> {
  const { id } = validate(v.looseObject({ id: Int }), { id: request.params?.id })
  const token = presentedJobToken(request)
  const digest = token ? await tokenDigest(token) : ''
  const caller = digest ? await jobByTokenDigest(env.DB, digest) : null
  if (!caller || !digestsEqual(caller.token_digest, digest) || !EXECUTING.has(caller.status)) throw ApiError.forbidden()
  if (!(await buildInProject(env.DB, id, caller.project_id))) throw ApiError.forbidden()
  return archiveResponse(env, id)
}

const JobParams = v.looseObject({ id: Str, job_id: Int })

async function loadBuildArtifacts(request: ApiRequest, env: Env, options: { requireUser: boolean }) {
  const raw = await paramsOf(request, env)
  const params = validate(JobParams, raw)
  const ctx = await loadProject<[JobViewRow, ArtifactRow]>(env, request, raw, params.id, { jobTokenAllowed: true, ...options }, (project) => [
    projectJobStatement(env.DB, project, params.job_id),
    jobArtifactsStatement(env.DB, params.job_id),
  ])
  const row = ctx.results[0].results[0]
  const artifacts = row ? ctx.results[1].results : []
  return { ctx, row: row && row.type === 'build' ? row : undefined, artifacts }
}

/** GET /projects/:id/jobs/:job_id/artifacts — the archive (read_build). */
export async function download(request: ApiRequest, env: Env): Promise<Response> {
  const { ctx, row } = await loadBuildArtifacts(request, env, { requireUser: false })
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  if (!row) throw ApiError.notFound()
  return archiveResponse(env, row.id)
}

/** DELETE /projects/:id/jobs/:job_id/artifacts — every artifact but the log; 204. */
export async function destroy(request: ApiRequest, env: Env): Promise<Response> {
  const { ctx, row, artifacts } = await loadBuildArtifacts(request, env, { requireUser: true })
  if (!can(ctx.access, 'admin_build')) throw ApiError.forbidden()
  if (!row) throw ApiError.notFound()
  const removable = artifacts.filter((artifact) => artifact.file_type !== 'trace')
  if (removable.length > 0) {
    // R2 first: a failure leaves rows that point at nothing, retried by the next delete or sweep.
    await env.BLOBS.delete(removable.map((artifact) => artifact.blob_key))
    await env.DB.batch([
      deleteArtifactsStatement(env.DB, removable.map((artifact) => artifact.id)),
      setJobArtifactsExpiryStatement(env.DB, row.id, null),
    ])
  }
  return noContent()
}

/** POST /projects/:id/jobs/:job_id/artifacts/keep — the artifacts no longer expire; 200 Job. */
export async function keep(request: ApiRequest, env: Env): Promise<Response> {
  const { ctx, row, artifacts } = await loadBuildArtifacts(request, env, { requireUser: true })
  if (!can(ctx.access, 'read_build')) throw ApiError.forbidden()
  if (!row) throw ApiError.notFound()
  if (!can(ctx.access, 'keep_job_artifacts')) throw ApiError.forbidden()
  if (!artifacts.some((artifact) => artifact.file_type === 'archive')) throw ApiError.notFound()
  await env.DB.batch(keepArtifactsStatements(env.DB, row.id))
  const view = await getJobView(env.DB, row.id)
  return json(presentJob(view!, externalUrl(env), Date.now()))
}
