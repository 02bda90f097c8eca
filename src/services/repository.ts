import type { CommitRow } from '../db/repository'
import type { Env } from '../env'
import { commitTitle } from '../git/commit'
import { repoObject, type CommitView } from '../objects/RepoObject'

/**
 * The repository as the rest of edgejobs reads it (CI config loading, `include:local`,
 * `rules:changes`, `rules:exists`, the REST API). Everything goes to the project's RepoObject.
 */

/** The content of `path` at `rev` (a commit sha, branch, tag or full ref), or null when absent. */
export function readFileAtCommit(env: Env, projectId: number, rev: string, path: string): Promise<Uint8Array | null> {
  return repoObject(env, projectId).fileAt(rev, path)
}

/**
 * The paths that differ between two commits (added, modified, deleted; sorted), as
 * `rules:changes` compares them. `fromSha` null (or 40 zeros: a new ref) lists every file of `toSha`.
 */
export function changedPathsBetween(env: Env, projectId: number, fromSha: string | null, toSha: string): Promise<string[]> {
  const from = fromSha && !/^0{40}$/.test(fromSha) ? fromSha : null
  return repoObject(env, projectId).changedPaths(from, toSha)
}

/** A commit of the repository as the D1 commit row the job and pipeline views show. */
export function commitRow(projectId: number, view: CommitView): CommitRow {
  return {
    project_id: projectId,
    sha: view.id,
    parent_ids: JSON.stringify(view.parent_ids),
    tree: view.tree,
    title: commitTitle(view.message),
    message: view.message,
    author_name: view.author.name,
    author_email: view.author.email,
    authored_date: view.author.time,
    committer_name: view.committer.name,
    committer_email: view.committer.email,
    committed_date: view.committer.time,
  }
}
