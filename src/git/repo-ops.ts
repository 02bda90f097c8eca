import { parseCommit, serializeCommit, type Commit, type Signature } from './commit'
import { GitError } from './errors'
import { hashObject, isOid, type ObjectType } from './oid'
import type { ObjectStore } from './store'
import { FILE_MODE, TREE_MODE, isTreeMode, parseTree, serializeTree, type TreeEntry } from './tree'
import { peelToCommit } from './walk'
import { deflateBytes } from './zlib'

/** Reading and writing a repository's content: what the REST API and CI config loading use. */

export interface RefLookup {
  ref(name: string): string | null
}

/** A commit id for a sha, branch, tag or full ref name (GitLab's `ref` parameters), or null. */
export function resolveCommit(store: ObjectStore, refs: RefLookup, rev: string): string | null {
  const candidates = rev.startsWith('refs/') ? [rev] : [`refs/heads/${rev}`, `refs/tags/${rev}`]
  for (const name of candidates) {
    const oid = refs.ref(name)
    if (oid) return peelToCommit(store, oid)
  }
  if (isOid(rev)) return peelToCommit(store, rev)
  return null
}

export function readCommit(store: ObjectStore, oid: string): Commit | null {
  const object = store.read(oid)
  return object?.type === 'commit' ? parseCommit(object.data) : null
}

/** The tree entry at `path` in commit `commitOid` (path `''` is the root tree). */
export function entryAt(store: ObjectStore, commitOid: string, path: string): TreeEntry | null {
  const commit = store.commit(commitOid)
  if (!commit) return null
  let entry: TreeEntry = { mode: TREE_MODE, name: '', oid: commit.tree }
  for (const part of path.split('/').filter(Boolean)) {
    if (!isTreeMode(entry.mode)) return null
    const tree = store.read(entry.oid)
    if (!tree || tree.type !== 'tree') return null
    const next = parseTree(tree.data).find((e) => e.name === part)
    if (!next) return null
    entry = next
  }
  return entry
}

/** The content of the file at `path` in commit `commitOid`, or null (no such file, or a directory). */
export function readFileAt(store: ObjectStore, commitOid: string, path: string): Uint8Array | null {
  const entry = entryAt(store, commitOid, path)
  if (!entry || isTreeMode(entry.mode) || entry.mode === '160000') return null
  const blob = store.read(entry.oid)
  return blob?.type === 'blob' ? blob.data : null
}

export interface TreeItem {
  id: string
  name: string
  type: 'tree' | 'blob' | 'commit'
  path: string
  mode: string
}

/** GitLab's repository tree: the entries under `path`, depth first when `recursive`. */
export function listTree(store: ObjectStore, commitOid: string, path: string, recursive: boolean): TreeItem[] | null {
  const root = entryAt(store, commitOid, path)
  if (!root || !isTreeMode(root.mode)) return null
  const out: TreeItem[] = []
  const walk = (treeOid: string, prefix: string) => {
    const tree = store.read(treeOid)
    if (!tree || tree.type !== 'tree') return
    for (const e of parseTree(tree.data)) {
      const itemPath = prefix ? `${prefix}/${e.name}` : e.name
      const type = isTreeMode(e.mode) ? 'tree' : e.mode === '160000' ? 'commit' : 'blob'
      out.push({ id: e.oid, name: e.name, type, path: itemPath, mode: type === 'tree' ? '040000' : e.mode })
      if (recursive && type === 'tree') walk(e.oid, itemPath)
    }
  }
  walk(root.oid, path.split('/').filter(Boolean).join('/'))
  return out
}

/** Commits reachable from `start`, newest committer date first (git log's default order). */
export function logCommits(store: ObjectStore, start: string, skip: number, limit: number): string[] {
  const out: string[] = []
  const seen = new Set<string>([start])
  const queue: Array<{ oid: string; time: number }> = []
  const first = store.commit(start)
  if (first) queue.push({ oid: start, time: first.time })
  let index = 0
  while (queue.length > 0 && out.length < limit) {
    queue.sort((a, b) => b.time - a.time)
    const { oid } = queue.shift()!
    if (index++ >= skip) out.push(oid)
    for (const parent of store.commit(oid)?.parents ?? []) {
      if (seen.has(parent)) continue
      seen.add(parent)
      const node = store.commit(parent)
      if (node) queue.push({ oid: parent, time: node.time })
    }
  }
  return out
}

/** Paths whose content or mode differs between two commits (`from` null: every path of `to`). */
export function changedPaths(store: ObjectStore, from: string | null, to: string): string[] {
  const treeOf = (oid: string | null) => (oid ? store.commit(oid)?.tree ?? null : null)
  const out: string[] = []
  const entries = (oid: string | null) => {
    if (!oid) return new Map<string, TreeEntry>()
    const tree = store.read(oid)
    return new Map(tree?.type === 'tree' ? parseTree(tree.data).map((e) => [e.name, e] as const) : [])
  }
  const diff = (a: string | null, b: string | null, prefix: string) => {
    if (a === b) return
    const left = entries(a)
    const right = entries(b)
    for (const name of new Set([...left.keys(), ...right.keys()])) {
      const x = left.get(name)
      const y = right.get(name)
      if (x && y && x.oid === y.oid && x.mode === y.mode) continue
      const path = prefix ? `${prefix}/${name}` : name
      const xTree = x && isTreeMode(x.mode) ? x.oid : null
      const yTree = y && isTreeMode(y.mode) ? y.oid : null
      if (xTree || yTree) diff(xTree, yTree, path)
      if ((x && !xTree) || (y && !yTree)) out.push(path)
    }
  }
  diff(treeOf(from), treeOf(to), '')
  return out.sort()
}

/** A store that can take new, immediately visible objects (the files API's commits). */
export interface WritableStore extends ObjectStore {
  put(oid: string, type: ObjectType, data: Uint8Array, compressed: Uint8Array, publish: true): void
}

export interface FileChange {
  path: string
  /** null deletes the file */
  content: Uint8Array | null
  executable?: boolean
}

async function putObject(store: WritableStore, type: ObjectType, data: Uint8Array): Promise<string> {
  const oid = await hashObject(type, data)
  if (!store.stat(oid)) store.put(oid, type, data, deflateBytes(data), true)
  return oid
}

/**
 * Writes the blobs and trees for `changes` on top of `baseTree` (null: empty) and returns the
 * new root tree id. A file where a directory is (or the reverse) is an error, as in git.
 */
export async function writeTree(store: WritableStore, baseTree: string | null, changes: FileChange[]): Promise<string> {
  const byDir = new Map<string, FileChange[]>()
  for (const change of changes) {
    const parts = change.path.split('/').filter(Boolean)
    if (parts.length === 0 || parts.some((p) => p === '.' || p === '..' || p === '.git')) throw new GitError(`invalid path ${change.path}`)
    const head = parts[0]
    const list = byDir.get(head) ?? []
    list.push({ ...change, path: parts.join('/') })
    byDir.set(head, list)
  }
  const tree = baseTree ? store.read(baseTree) : null
  const entries = new Map((tree?.type === 'tree' ? parseTree(tree.data) : []).map((e) => [e.name, e] as const))
  for (const [name, list] of byDir) {
    const existing = entries.get(name)
    const direct = list.find((c) => c.path === name)
    if (direct) {
      if (existing && isTreeMode(existing.mode)) throw new GitError(`a directory named ${name} exists`)
      if (direct.content === null) entries.delete(name)
      else entries.set(name, { mode: direct.executable ? '100755' : FILE_MODE, name, oid: await putObject(store, 'blob', direct.content) })
      continue
    }
    if (existing && !isTreeMode(existing.mode)) throw new GitError(`a file named ${name} exists`)
    const nested = list.map((c) => ({ ...c, path: c.path.slice(name.length + 1) }))
    const sub = await writeTree(store, existing?.oid ?? null, nested)
    const subTree = store.read(sub)
    if (subTree && subTree.data.length === 0) entries.delete(name)
    else entries.set(name, { mode: TREE_MODE, name, oid: sub })
  }
  return putObject(store, 'tree', serializeTree([...entries.values()]))
}

export async function writeCommit(
  store: WritableStore,
  commit: { tree: string; parents: string[]; author: Signature; committer: Signature; message: string },
): Promise<string> {
  return putObject(store, 'commit', serializeCommit(commit))
}

/**
 * The best common ancestor of two commits (`git merge-base`, first found walking `b`'s history
 * breadth first against `a`'s ancestry), or null. Each side's walk is bounded by `limit` commits.
 */
export function mergeBase(store: ObjectStore, a: string, b: string, limit = 5000): string | null {
  const ancestors = new Set<string>()
  for (const queue = [a]; queue.length > 0 && ancestors.size < limit; ) {
    const oid = queue.shift()!
    if (ancestors.has(oid)) continue
    const commit = store.commit(oid)
    if (!commit) continue
    ancestors.add(oid)
    queue.push(...commit.parents)
  }
  const seen = new Set<string>()
  for (const queue = [b]; queue.length > 0 && seen.size < limit; ) {
    const oid = queue.shift()!
    if (ancestors.has(oid)) return oid
    if (seen.has(oid)) continue
    seen.add(oid)
    queue.push(...(store.commit(oid)?.parents ?? []))
  }
  return null
}

/**
 * The commits reachable from `to` and not from `exclude` (`git rev-list exclude..to`), newest
 * first, at most `limit`. Each side's walk is bounded by `limit` plus the exclusion's 10 000.
 */
export function commitsBetween(store: ObjectStore, exclude: string | null, to: string, limit: number): string[] {
  const excluded = new Set<string>()
  if (exclude) {
    const stack = [exclude]
    while (stack.length > 0 && excluded.size < 10_000) {
      const oid = stack.pop()!
      if (excluded.has(oid)) continue
      excluded.add(oid)
      stack.push(...(store.commit(oid)?.parents ?? []))
    }
  }
  const out: string[] = []
  const seen = new Set<string>([to])
  const queue: Array<{ oid: string; time: number }> = []
  const first = store.commit(to)
  if (first && !excluded.has(to)) queue.push({ oid: to, time: first.time })
  while (queue.length > 0 && out.length < limit) {
    queue.sort((a, b) => b.time - a.time)
    const { oid } = queue.shift()!
    out.push(oid)
    for (const parent of store.commit(oid)?.parents ?? []) {
      if (seen.has(parent) || excluded.has(parent)) continue
      seen.add(parent)
      const node = store.commit(parent)
      if (node) queue.push({ oid: parent, time: node.time })
    }
  }
  return out
}

/** The files a commit added, modified and removed against its first parent (a root commit adds all). */
export function commitFileChanges(store: ObjectStore, oid: string): { added: string[]; modified: string[]; removed: string[] } {
  const parent = store.commit(oid)?.parents[0] ?? null
  const out = { added: [] as string[], modified: [] as string[], removed: [] as string[] }
  for (const path of changedPaths(store, parent, oid)) {
    const before = parent ? entryAt(store, parent, path) : null
    const after = entryAt(store, oid, path)
    const isFile = (entry: TreeEntry | null) => entry !== null && !isTreeMode(entry.mode)
    if (isFile(before) && isFile(after)) out.modified.push(path)
    else if (isFile(after)) out.added.push(path)
    else out.removed.push(path)
  }
  return out
}
