import type { CommitRow } from '../db/repository'
import { isoTime } from './time'

/** Commit entity (lib/api/entities/commit.rb). */
export function commit(row: CommitRow, projectFullPath: string, externalUrl: string) {
  return {
    id: row.sha,
    short_id: row.sha.slice(0, 8),
    created_at: isoTime(row.committed_date),
    parent_ids: JSON.parse(row.parent_ids) as string[],
    title: row.title,
    message: row.message,
    author_name: row.author_name,
    author_email: row.author_email,
    authored_date: isoTime(row.authored_date),
    committer_name: row.committer_name,
    committer_email: row.committer_email,
    committed_date: isoTime(row.committed_date),
    trailers: {},
    extended_trailers: {},
    web_url: `${externalUrl}/${projectFullPath}/-/commit/${row.sha}`,
  }
}
