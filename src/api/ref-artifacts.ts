import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize, canReadJobArtifacts } from '../auth/policy'
import { jobOptions } from '../db/jobs'
import { findZipEntry, openZipEntry } from '../blob/zip-entry'
import { refArchiveStatement, type RefArchiveRow } from '../db/ref-artifacts'
import { ApiError } from '../http/errors'
import { Bool, NonBlankStr, Str } from '../http/param-types'
import { peek, sniffContentType } from '../http/sniff'
import { fileResponse, validArtifactPath } from './artifacts'
import type { ApiContext } from './context'

/**
 * The artifacts of "the job named `job` on a ref", as scripts download them
 * (lib/api/ci/job_artifacts.rb): GET /projects/:id/jobs/artifacts/:ref_name/download?job= (the
 * archive) and …/:ref_name/raw/*artifact_path?job= (one file of it, read from the zip with ranged
 * reads, its type sniffed as Workhorse does). `:ref_name` may hold `/` (escaped `%2F` or not; the
 * route takes the longest ref before `/download` or `/raw/`, as Grape's `.+` requirement does).
 * A job token of the project reads them like its personal-token holder would.
 */
const RefParams = v.looseObject({
  id: Str,
  ref_name: Str,
  job: NonBlankStr,
  search_recent_successful_pipelines: v.optional(Bool, false),
})

async function findArchive(c: ApiContext): Promise<RefArchiveRow> {
  const params = await c.valid(RefParams)
  const ctx = await loadProject<[RefArchiveRow]>(c, params.id, (project) => [
    refArchiveStatement(c.env.DB, project, { ref: params.ref_name, job: params.job, searchRecent: params.search_recent_successful_pipelines, now: c.now }),
  ])
  authorize(ctx.access, 'read_build')
  const archive = ctx.results[0].results[0]
  // latest_successful_build_for_ref! raises RecordNotFound (`404 Not found`); the search of
  // recent pipelines answers not_found!('Job').
  if (!archive) throw params.search_recent_successful_pipelines ? ApiError.notFound('Job') : ApiError.notFound()
  // authorize_read_job_artifacts!
  if (!canReadJobArtifacts(ctx.access, jobOptions({ options: archive.job_options }).artifacts)) throw ApiError.forbidden()
  return archive
}

/** GET /projects/:id/jobs/artifacts/:ref_name/download?job= */
export async function downloadForRef(c: ApiContext): Promise<Response> {
  const archive = await findArchive(c)
  const object = await c.env.BLOBS.get(archive.blob_key)
  if (!object) throw ApiError.withMessage(404, '404 Not Found')
  return fileResponse(object, archive)
}

/** Workhorse's answer for an entry the archive does not have. */
function entryNotFound(): Response {
  return new Response('404 page not found\n', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}

/** GET /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job= */
export async function rawForRef(c: ApiContext): Promise<Response> {
  const archive = await findArchive(c)
  const path = validArtifactPath(c.request.params?.artifact_path ?? '')
  const entry = await findZipEntry(c.env.BLOBS, archive.blob_key, archive.size, path)
  if (!entry || entry.name.endsWith('/')) return entryNotFound()
  const stream = await openZipEntry(c.env.BLOBS, archive.blob_key, entry)
  if (!stream) return entryNotFound()
  const { head, body } = await peek(stream)
  const basename = path.split('/').pop()!
  return new Response(body, {
    headers: {
      'Content-Type': sniffContentType(head),
      'Content-Disposition': `attachment; filename="${basename.replace(/(["\\])/g, '\\$1')}"`,
      'Content-Length': String(entry.size),
    },
  })
}
