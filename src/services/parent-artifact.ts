import type { ParentArtifactResult } from '../ci/config/sources'
import type { Env } from '../env'
import { pipelineJobArchiveArtifacts } from '../db/artifacts'
import { findZipEntry, openZipEntry } from '../blob/zip-entry'

/**
 * `include:artifact` for a child pipeline: a file out of the artifacts archive of a job of the
 * parent pipeline (Ci::Pipeline#find_job_with_archive_artifacts: the latest build of that name
 * with an unexpired archive), read as Gitlab::Ci::ArtifactFileReader does, with its messages:
 * the archive at most 5 MB, Workhorse's metadata required, the path a file of the archive.
 */
const MAX_ARCHIVE_SIZE = 5 * 1024 * 1024

export function parentArtifactReader(env: Env, parentPipelineId: number): (jobName: string, path: string) => Promise<ParentArtifactResult> {
  return async (jobName, path) => {
    const results = await pipelineJobArchiveArtifacts(env.DB, parentPipelineId, jobName, Date.now())
    const archive = results.find((row) => row.file_type === 'archive')
    if (!archive) return { ok: false, reason: 'missing' }
    const error = (message: string): ParentArtifactResult => ({ ok: false, reason: 'error', message })
    if (archive.size > MAX_ARCHIVE_SIZE) return error(`Artifacts archive for job \`${jobName}\` is too large: max 5 MB`)
    if (!results.some((row) => row.file_type === 'metadata' && row.job_id === archive.job_id)) {
      return error(`Job \`${jobName}\` has missing artifacts metadata and cannot be extracted!`)
    }
    const entry = await findZipEntry(env.BLOBS, archive.blob_key, archive.size, path)
    if (!entry) return error(`Path \`${path}\` does not exist inside the \`${jobName}\` artifacts archive!`)
    if (entry.name.endsWith('/')) return error(`Path \`${path}\` was expected to be a file but it was a directory!`)
    if (entry.size > MAX_ARCHIVE_SIZE) return error(`Artifacts archive for job \`${jobName}\` is too large: max 5 MB`)
    const body = await openZipEntry(env.BLOBS, archive.blob_key, entry)
    if (!body) return error(`Path \`${path}\` does not exist inside the \`${jobName}\` artifacts archive!`)
    return { ok: true, content: await new Response(body).text() }
  }
}
