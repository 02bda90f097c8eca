import type { CommitRow } from '../db/repository'
import { commitTime } from './time'

/** Commit entity (lib/api/entities/commit.rb). */
export function commit(row: CommitRow, projectFullPath: string, externalUrl: string) {
  return {
    id: row.sha,
    short_id: row.sha.slice(0, 8),
    created_at: commitTime(row.committed_date),
    parent_ids: JSON.parse(row.parent_ids) as string[],
    title: row.title,
    message: row.message,
    author_name: row.author_name,
    author_email: row.author_email,
    authored_date: commitTime(row.authored_date),
    committer_name: row.committer_name,
    committer_email: row.committer_email,
    committed_date: commitTime(row.committed_date),
    trailers: {},
    extended_trailers: {},
    web_url: `${externalUrl}/${projectFullPath}/-/commit/${row.sha}`,
  }
}

/**
 * CommitDetail (lib/api/entities/commit_detail.rb): Commit plus `status`, `project_id` and
 * `last_pipeline` (the latest pipeline of the sha, when the caller may read pipelines).
 * `stats` is left out: commits here keep no diffs.
 */
export function commitDetail(
  row: CommitRow,
  projectFullPath: string,
  externalUrl: string,
  pipeline: { status: string | null; lastPipeline: unknown } = { status: null, lastPipeline: null },
) {
  return {
    ...commit(row, projectFullPath, externalUrl),
    status: pipeline.status,
    project_id: row.project_id,
    last_pipeline: pipeline.lastPipeline,
  }
}
