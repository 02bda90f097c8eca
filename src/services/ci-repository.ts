import type { CiRepository, ProjectHandle } from '../ci/config/sources'
import type { Env } from '../env'
import { repoObject } from '../objects/RepoObject'

/**
 * CiRepository over the git store (each project's RepoObject): the one place CI config reads the
 * repository (`include:local`/`project`/`component`, `rules:changes`, `rules:exists`,
 * `cache:key:files`). Text files are decoded as UTF-8, as GitLab reads CI files.
 */
export function gitRepository(env: Env): CiRepository {
  const repo = (project: ProjectHandle) => repoObject(env, project.id)
  return {
    async resolveRef(project, ref) {
      const name = ref === 'HEAD' ? project.defaultBranch : ref
      return name ? repo(project).resolve(name) : null
    },
    async readFileAt(project, sha, path) {
      const bytes = await repo(project).fileAt(sha, path)
      return bytes === null ? null : new TextDecoder().decode(bytes)
    },
    async listFiles(project, sha) {
      const items = (await repo(project).tree(sha, '', true)) ?? []
      return items.filter((item) => item.type === 'blob').map((item) => item.path)
    },
    async changedPaths(project, base, head) {
      const store = repo(project)
      const [from, to] = await Promise.all([store.resolve(base), store.resolve(head)])
      return from && to ? store.changedPaths(from, to) : null
    },
    mergeBase: (project, a, b) => repo(project).mergeBase(a, b),
    blobIdAt: (project, sha, path) => repo(project).blobIdAt(sha, path),
  }
}
