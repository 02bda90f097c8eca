/**
 * Everything building a pipeline's config reads from outside the config text: repository files
 * (for `include:local`/`project`/`component`, `rules:exists`, `rules:changes`, `cache:key:files`),
 * other projects, remote URLs and templates. The parser only sees these interfaces; the
 * services layer implements them (today over the repository tables, later over git objects).
 */

export interface ProjectHandle {
  id: number
  /** full path, `group/project` */
  path: string
  defaultBranch: string | null
  visibility: 'private' | 'internal' | 'public'
}

/** The one seam between CI config and the repository store. */
export interface CiRepository {
  /** a branch, tag, `HEAD` or full sha to a commit sha; null when it does not resolve */
  resolveRef(project: ProjectHandle, ref: string): Promise<string | null>
  /** a file's text at a commit; null when the commit has no such file */
  readFileAt(project: ProjectHandle, sha: string, path: string): Promise<string | null>
  /** every file path of a commit's tree */
  listFiles(project: ProjectHandle, sha: string): Promise<string[]>
  /** paths that differ between two commits' trees (`base..head`); null when either commit is unknown */
  changedPaths(project: ProjectHandle, base: string, head: string): Promise<string[] | null>
  /** the best common ancestor of two commits, or null */
  mergeBase(project: ProjectHandle, a: string, b: string): Promise<string | null>
  /** the blob id of a file at a commit (for `cache:key:files`), null when absent */
  blobIdAt(project: ProjectHandle, sha: string, path: string): Promise<string | null>
}

export type RemoteResult =
  | { ok: true; body: string }
  | { ok: false; reason: 'invalid' | 'blocked' | 'timeout' | 'socket' | 'http' | 'too_big'; status?: number; detail?: string }

export interface ConfigSources {
  repository: CiRepository
  /** a project by full path that the pipeline's user may read code of (else null, as GitLab hides it) */
  findProject(path: string): Promise<ProjectHandle | null>
  /** GET of a remote include, bounded in time and size, private addresses refused unless allowed */
  fetchRemote(url: string): Promise<RemoteResult>
  /** where `include:template` files come from (`<base>/<name>`); absent: templates are refused */
  templateBaseUrl?: string
  /** this server's host name (`component:` addresses must start with it) */
  serverHost: string
  /** a file of a parent pipeline job's artifacts archive; present only while creating a child pipeline */
  readParentArtifact?(jobName: string, path: string): Promise<ParentArtifactResult>
}

/** `missing`: no such job in the parent pipeline, or it has no artifacts archive. */
export type ParentArtifactResult = { ok: true; content: string } | { ok: false; reason: 'missing' } | { ok: false; reason: 'error'; message: string }
