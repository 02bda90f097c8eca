import type { CiRepository, ProjectHandle } from '../ci/config/sources'
import { findCommit, getCommit, readBlob, type CommitRow } from '../db/repository'

/**
 * CiRepository over today's repository tables (a commit row holds its whole tree as path → blob
 * sha). The one place CI config reads the repository: switching to git objects means replacing
 * this file only.
 */

const MAX_ANCESTORS = 5000

export function tableRepository(db: D1Database): CiRepository {
  const commits = new Map<string, Promise<CommitRow | null>>()
  const commit = (project: ProjectHandle, sha: string) => {
    const key = `${project.id}:${sha}`
    if (!commits.has(key)) commits.set(key, getCommit(db, project.id, sha))
    return commits.get(key)!
  }
  const tree = async (project: ProjectHandle, sha: string): Promise<Record<string, string> | null> => {
    const row = await commit(project, sha)
    return row ? (JSON.parse(row.tree) as Record<string, string>) : null
  }
  return {
    async resolveRef(project, ref) {
      const name = ref === 'HEAD' ? project.defaultBranch : ref.replace(/^refs\/heads\//, '')
      if (!name) return null
      return (await findCommit(db, project.id, name))?.sha ?? null
    },
    async readFileAt(project, sha, path) {
      const blob = (await tree(project, sha))?.[path]
      return blob ? readBlob(db, project.id, blob) : null
    },
    async listFiles(project, sha) {
      return Object.keys((await tree(project, sha)) ?? {})
    },
    async changedPaths(project, base, head) {
      const [before, after] = await Promise.all([tree(project, base), tree(project, head)])
      if (!before || !after) return null
      const paths = new Set([...Object.keys(before), ...Object.keys(after)])
      return [...paths].filter((path) => before[path] !== after[path]).sort()
    },
    async mergeBase(project, a, b) {
      const ancestors = new Set<string>()
      for (let queue = [a]; queue.length > 0 && ancestors.size < MAX_ANCESTORS; ) {
        const sha = queue.shift()!
        if (ancestors.has(sha)) continue
        ancestors.add(sha)
        const row = await commit(project, sha)
        if (row) queue.push(...(JSON.parse(row.parent_ids) as string[]))
      }
      const seen = new Set<string>()
      for (let queue = [b]; queue.length > 0 && seen.size < MAX_ANCESTORS; ) {
        const sha = queue.shift()!
        if (ancestors.has(sha)) return sha
        if (seen.has(sha)) continue
        seen.add(sha)
        const row = await commit(project, sha)
        if (row) queue.push(...(JSON.parse(row.parent_ids) as string[]))
      }
      return null
    },
    async blobIdAt(project, sha, path) {
      return (await tree(project, sha))?.[path] ?? null
    },
  }
}
