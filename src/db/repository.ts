/**
 * A minimal git: each commit stores its whole tree (path → blob sha); blobs are content
 * addressed per project; a branch points at its head commit.
 */
export interface CommitRow {
  project_id: number
  sha: string
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

export interface BranchRow {
  project_id: number
  name: string
  head_sha: string
  protected: number
}

export function getBranch(db: D1Database, projectId: number, name: string): Promise<BranchRow | null> {
  return db.prepare('SELECT * FROM branches WHERE project_id = ? AND name = ?').bind(projectId, name).first<BranchRow>()
}

export async function hasAnyBranch(db: D1Database, projectId: number): Promise<boolean> {
  return (await db.prepare('SELECT 1 AS x FROM branches WHERE project_id = ? LIMIT 1').bind(projectId).first()) !== null
}

export function getCommit(db: D1Database, projectId: number, sha: string): Promise<CommitRow | null> {
  return db.prepare('SELECT * FROM commits WHERE project_id = ? AND sha = ?').bind(projectId, sha).first<CommitRow>()
}

/** A commit by sha or by branch name (GitLab resolves refs for commit lookups). */
export async function findCommit(db: D1Database, projectId: number, ref: string): Promise<CommitRow | null> {
  return db
    .prepare(
      `SELECT c.* FROM commits c WHERE c.project_id = ?1 AND c.sha = COALESCE(
         (SELECT head_sha FROM branches WHERE project_id = ?1 AND name = ?2), ?2)`,
    )
    .bind(projectId, ref)
    .first<CommitRow>()
}

export async function readBlob(db: D1Database, projectId: number, sha: string): Promise<string | null> {
  const row = await db.prepare('SELECT content FROM blobs WHERE project_id = ? AND sha = ?').bind(projectId, sha).first<{ content: string }>()
  return row?.content ?? null
}

/** The file `path` in commit `commit`, or null when the tree has no such file. */
export async function readFileAt(db: D1Database, commit: CommitRow, path: string): Promise<string | null> {
  const tree = JSON.parse(commit.tree) as Record<string, string>
  const blobSha = Object.hasOwn(tree, path) ? tree[path] : undefined
  return blobSha ? readBlob(db, commit.project_id, blobSha) : null
}

export interface NewCommit {
  commit: CommitRow
  blob: { sha: string; content: string }
  branch: string
  /** The head the branch must still have (null: the branch must not exist yet). */
  expectedHead: string | null
}

/**
 * Writes blob, commit and branch head (and, for a first commit, the default branch) in one
 * transaction. The commit row and the head move only if the branch still points where the caller
 * read it, so two concurrent commits cannot both win. Returns false when the branch moved
 * meanwhile (nothing written).
 */
export async function writeCommit(db: D1Database, change: NewCommit): Promise<boolean> {
  const c = change.commit
  const headMatches = `(SELECT head_sha FROM branches WHERE project_id = ?1 AND name = ?2) IS ?3`
  const results = await db.batch([
    db.prepare('INSERT OR IGNORE INTO blobs (project_id, sha, content) VALUES (?, ?, ?)').bind(c.project_id, change.blob.sha, change.blob.content),
    db
      .prepare(
        `INSERT INTO commits (project_id, sha, parent_ids, tree, title, message, author_name, author_email,
           authored_date, committer_name, committer_email, committed_date)
         SELECT ?1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14 WHERE ${headMatches}`,
      )
      .bind(
        c.project_id, change.branch, change.expectedHead, c.sha, c.parent_ids, c.tree, c.title, c.message,
        c.author_name, c.author_email, c.authored_date, c.committer_name, c.committer_email, c.committed_date,
      ),
    db
      .prepare(
        `INSERT INTO branches (project_id, name, head_sha) SELECT ?1, ?2, ?4 WHERE ${headMatches}
         ON CONFLICT (project_id, name) DO UPDATE SET head_sha = excluded.head_sha`,
      )
      .bind(c.project_id, change.branch, change.expectedHead, c.sha),
    // The first branch of an empty repository becomes the project's default branch, as in GitLab.
    db
      .prepare(
        `UPDATE projects SET default_branch = ?2 WHERE id = ?1 AND default_branch IS NULL
         AND (SELECT COUNT(*) FROM branches WHERE project_id = ?1) = 1
         AND (SELECT head_sha FROM branches WHERE project_id = ?1 AND name = ?2) = ?3`,
      )
      .bind(c.project_id, change.branch, c.sha),
  ])
  return (results[2].meta.changes ?? 0) > 0
}
