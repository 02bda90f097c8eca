import { parseTag } from './tag'
import { isTreeMode, parseTree } from './tree'
import type { ObjectStore } from './store'

/**
 * Which objects a fetch must send (upload-pack's revision walk): everything reachable from the
 * wants, minus what the client has (the haves and their ancestry, not past its shallow
 * commits), cut at `depth` commits from each want with the shallow boundary reported.
 */
export interface FetchWants {
  wants: string[]
  haves: string[]
  /** the client's current shallow commits */
  shallows: string[]
  /** `deepen N`; null when not deepening */
  depth: number | null
  /** `deepen-relative`: N more commits below the client's shallow boundary (`git fetch --deepen`) */
  deepenRelative: boolean
  includeTag: boolean
  /** refs/tags/* as name → oid, for include-tag */
  tagRefs: string[]
}

export interface FetchPlan {
  /** haves the server has */
  common: string[]
  shallow: string[]
  unshallow: string[]
  /** object ids to send, commits first */
  objects: string[]
}

export function planFetch(store: ObjectStore, request: FetchWants): FetchPlan {
  const common = unique(request.haves.filter((oid) => store.stat(oid) !== null))
  const clientShallow = new Set(request.shallows.filter((oid) => store.commit(oid) !== null))
  const objects: string[] = []
  const sent = new Set<string>()
  const add = (oid: string) => {
    if (!sent.has(oid)) {
      sent.add(oid)
      objects.push(oid)
    }
  }

  // Wanted tags are sent themselves and peeled to what they point at.
  const wantCommits: string[] = []
  const wantTrees: string[] = []
  const tagObjects: string[] = []
  for (const want of unique(request.wants)) {
    let oid = want
    for (let hops = 0; hops < 10; hops++) {
      const stat = store.stat(oid)
      if (!stat) break
      if (stat.type === 'tag') {
        tagObjects.push(oid)
        oid = parseTag(store.read(oid)!.data).object
        continue
      }
      if (stat.type === 'commit') wantCommits.push(oid)
      else if (stat.type === 'tree') wantTrees.push(oid)
      else add(oid)
      break
    }
  }

  // Depth from the wants (a want is depth 1); the boundary is cut and reported shallow.
  const depthOf = new Map<string, number>()
  const boundary = new Set<string>()
  const shallow: string[] = []
  const unshallow: string[] = []
  const extraStarts: string[] = []
  const relative = request.depth !== null && request.deepenRelative
  if (request.depth !== null) {
    // Absolute depth counts from the wants; relative depth from the client's shallow commits.
    const max = relative ? request.depth + 1 : request.depth
    let frontier = relative ? [...clientShallow] : unique(wantCommits)
    for (const oid of frontier) depthOf.set(oid, 1)
    for (let level = 1; frontier.length > 0 && level <= max; level++) {
      const next: string[] = []
      for (const oid of frontier) {
        const node = store.commit(oid)
        if (!node) continue
        if (level === max) {
          if (node.parents.length > 0) boundary.add(oid)
          continue
        }
        for (const parent of node.parents) {
          if (!depthOf.has(parent) && store.commit(parent)) {
            depthOf.set(parent, level + 1)
            next.push(parent)
          }
        }
      }
      frontier = next
    }
    for (const oid of boundary) if (!clientShallow.has(oid)) shallow.push(oid)
    for (const oid of clientShallow) {
      const depth = depthOf.get(oid)
      if (depth !== undefined && depth < max) {
        unshallow.push(oid)
        extraStarts.push(...store.commit(oid)!.parents)
      }
    }
  }

  // One walk of both sides, newest commit first (git's limit_list): the haves' ancestry is marked
  // uninteresting, the wants' ancestry interesting, and the walk stops once only uninteresting
  // commits are queued, so a fetch on a long history does not walk all of it. (With skewed
  // clocks it may send a commit the client has, which costs bytes, never correctness.)
  const uninteresting = new Set<string>()
  const interesting = new Set<string>()
  const queued = new Set<string>()
  const queue = new CommitQueue()
  let pendingInteresting = 0
  const enqueue = (oid: string) => {
    const node = store.commit(oid)
    if (!node || queued.has(oid)) return
    queued.add(oid)
    queue.push(oid, node.time)
    if (!uninteresting.has(oid)) pendingInteresting++
  }
  const markUninteresting = (oid: string) => {
    if (uninteresting.has(oid)) return
    uninteresting.add(oid)
    if (queued.has(oid)) {
      if (interesting.has(oid)) pendingInteresting--
    } else {
      enqueue(oid)
    }
  }
  const markInteresting = (oid: string) => {
    if (interesting.has(oid) || uninteresting.has(oid)) return
    interesting.add(oid)
    enqueue(oid)
  }
  for (const oid of common) {
    const commit = peelToCommit(store, oid)
    if (commit) markUninteresting(commit)
  }
  for (const oid of [...wantCommits, ...extraStarts]) markInteresting(oid)

  const popped: string[] = []
  while (pendingInteresting > 0) {
    const oid = queue.pop()
    if (oid === undefined) break
    queued.delete(oid)
    const node = store.commit(oid)!
    if (uninteresting.has(oid)) {
      if (!clientShallow.has(oid)) for (const parent of node.parents) markUninteresting(parent)
      continue
    }
    pendingInteresting--
    if (clientShallow.has(oid)) continue // the client has it, but not its parents
    popped.push(oid)
    if (boundary.has(oid)) continue
    for (const parent of node.parents) {
      if (request.depth === null || relative || depthOf.has(parent)) markInteresting(parent)
    }
  }
  const commits = popped.filter((oid) => !uninteresting.has(oid))
  const edges = new Set<string>()
  for (const oid of commits) {
    if (boundary.has(oid)) continue
    for (const parent of store.commit(oid)!.parents) if (uninteresting.has(parent) || clientShallow.has(parent)) edges.add(parent)
  }

  // Trees the client has (those of the edge commits) are not sent again.
  const known = new Set<string>()
  for (const edge of edges) {
    const node = store.commit(edge)
    if (node) collectTree(store, node.tree, known, null)
  }
  for (const oid of commits) add(oid)
  const trees = [...commits.map((oid) => store.commit(oid)!.tree), ...wantTrees]
  for (const tree of trees) collectTree(store, tree, known, add)

  if (request.includeTag) {
    const commonSet = new Set(common)
    for (const tagOid of request.tagRefs) {
      if (sent.has(tagOid) || commonSet.has(tagOid)) continue
      const stat = store.stat(tagOid)
      if (stat?.type !== 'tag') continue
      const chain: string[] = []
      let oid = tagOid
      while (store.stat(oid)?.type === 'tag' && chain.length < 10) {
        chain.push(oid)
        oid = parseTag(store.read(oid)!.data).object
      }
      if (sent.has(oid)) tagObjects.push(...chain)
    }
  }
  for (const oid of tagObjects) add(oid)
  return { common, shallow, unshallow, objects }
}

/** Adds `tree` and everything under it that is not in `known` (submodule entries excluded). */
function collectTree(store: ObjectStore, tree: string, known: Set<string>, add: ((oid: string) => void) | null): void {
  const stack = [tree]
  while (stack.length > 0) {
    const oid = stack.pop()!
    if (known.has(oid)) continue
    known.add(oid)
    add?.(oid)
    const object = store.read(oid)
    if (!object || object.type !== 'tree') continue
    for (const entry of parseTree(object.data)) {
      if (entry.mode === '160000' || known.has(entry.oid)) continue
      if (isTreeMode(entry.mode)) stack.push(entry.oid)
      else {
        known.add(entry.oid)
        add?.(entry.oid)
      }
    }
  }
}

export function peelToCommit(store: ObjectStore, oid: string): string | null {
  for (let hops = 0; hops < 10; hops++) {
    const stat = store.stat(oid)
    if (!stat) return null
    if (stat.type === 'commit') return oid
    if (stat.type !== 'tag') return null
    oid = parseTag(store.read(oid)!.data).object
  }
  return null
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

/** A max-heap of commits by time (newest first; ties by insertion order). */
class CommitQueue {
  private heap: Array<{ oid: string; time: number; seq: number }> = []
  private seq = 0

  push(oid: string, time: number): void {
    const heap = this.heap
    heap.push({ oid, time, seq: this.seq++ })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(heap[i], heap[parent])) break
      ;[heap[i], heap[parent]] = [heap[parent], heap[i]]
      i = parent
    }
  }

  pop(): string | undefined {
    const heap = this.heap
    if (heap.length === 0) return undefined
    const top = heap[0]
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let best = i
        if (l < heap.length && this.before(heap[l], heap[best])) best = l
        if (r < heap.length && this.before(heap[r], heap[best])) best = r
        if (best === i) break
        ;[heap[i], heap[best]] = [heap[best], heap[i]]
        i = best
      }
    }
    return top.oid
  }

  private before(a: { time: number; seq: number }, b: { time: number; seq: number }): boolean {
    return a.time > b.time || (a.time === b.time && a.seq < b.seq)
  }
}
