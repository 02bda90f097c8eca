/**
 * Commit metadata in D1 for the commits pipelines run on (job and pipeline views join it). The
 * repository itself (objects, refs) lives in the project's RepoObject; this table is a copy of
 * what those views show, written when a pipeline is created. `tree` is the commit's tree id.
 */
export interface CommitRow {
  project_id: number
  sha: string
  /** JSON array */
  parent_ids: string
  tree: string
  title: string
  message: string
  author_name: string
  author_email: string
  authored_date: number
  committer_name: string
  committer_email: string
  committed_date: number
}

export function upsertCommitStatement(db: D1Database, c: CommitRow): D1PreparedStatement {
  return db
    .prepare(
      `INSERT OR IGNORE INTO commits (project_id, sha, parent_ids, tree, title, message, author_name, author_email,
         authored_date, committer_name, committer_email, committed_date)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      c.project_id, c.sha, c.parent_ids, c.tree, c.title, c.message, c.author_name, c.author_email,
      c.authored_date, c.committer_name, c.committer_email, c.committed_date,
    )
}
