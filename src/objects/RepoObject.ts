import * as v from 'valibot'
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { concatBytes } from '../bytes'
import { advertisement } from '../git/advertise'
import { ByteReader } from '../git/byte-reader'
import { parseCommit, type Signature } from '../git/commit'
import { protectedBranchRefusal, type BranchRule } from '../auth/protected-branch-access'
import { tagRefusal, type TagRules } from '../auth/protected-tag-access'
import { GitError } from '../git/errors'
import { ingestPack } from '../git/ingest'
import { ZERO_OID } from '../git/oid'
import { pkt } from '../git/pkt-line'
import { expectsPack, readPushRequest, reportStatus, type PushRequest, type RefResult } from '../git/receive-pack'
import { isValidRefName } from '../git/refs'
import {
  changedPaths, entryAt, listTree, logCommits, mergeBase, readCommit, readFileAt, resolveCommit, writeCommit, writeTree,
  type FileChange, type TreeItem, commitFileChanges, commitsBetween,
} from '../git/repo-ops'
import { parseTag } from '../git/tag'
import { isTreeMode } from '../git/tree'
import { uploadPackV0, uploadPackV2, type UploadPackState } from '../git/upload-pack'
import { SqlRepoStore } from './repo-store'
import { SerialQueue } from './serial'

/**
 * One Durable Object per project repository: its objects and refs live in the object's SQLite
 * (see repo-store.ts). It is the only writer of the repository: pushes, API commits and pipeline
 * refs go through one queue, so a ref moves only from the value its writer saw (two pushes to
 * one branch: one wins, the other is rejected, no commit is lost). Fetches read without waiting.
 */
export interface RepoLimits {
  maxPushBytes: number
  maxObjectBytes: number
}

export interface RefUpdate {
  ref: string
  before: string
  after: string
}

export interface PushOutcome {
  /** the report-status answer for the client (base64) */
  report: string
  updates: RefUpdate[]
  pushOptions: string[]
}

export interface CommitView {
  id: string
  tree: string
  parent_ids: string[]
  author: Signature
  committer: Signature
  message: string
}

export interface CommitFileInput {
  branch: string
  startBranch: string
  changes: FileChange[]
  /** 'create': every path must be new; 'update': every path must exist */
  action: 'create' | 'update'
  message: string
  author: Signature
  committer: Signature
  lastCommitId?: string
}

export type CommitFileResult =
  | { ok: true; commit: string; before: string }
  | { ok: false; reason: 'no_start_branch' | 'branch_exists' | 'file_exists' | 'file_missing' | 'changed' | 'invalid_path'; detail?: string }

const MAX_UPLOAD_REQUEST = 16 * 1024 * 1024

/** What the pushing caller may do to protected branches and to tags, decided by the Worker. */
export interface RefRules {
  branches: BranchRule[]
  tags: TagRules
}

const RefRulesSchema = v.object({
  branches: v.array(v.object({ name: v.string(), push: v.boolean(), merge: v.boolean(), forcePush: v.boolean(), delete: v.boolean() })),
  tags: v.object({ adminTag: v.boolean(), protected: v.array(v.object({ name: v.string(), create: v.boolean() })) }),
})

/** The `x-ref-rules` header git-http.ts sends with a push; null when missing or malformed. */
function parseRefRules(header: string | null): RefRules | null {
  if (!header) return null
  let value: unknown
  try {
    value = JSON.parse(header)
  } catch {
    return null
  }
  const parsed = v.safeParse(RefRulesSchema, value)
  return parsed.success ? parsed.output : null
}

export class RepoObject extends DurableObject<Env> {
  private readonly store: SqlRepoStore
  private readonly queue = new SerialQueue()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.store = new SqlRepoStore(ctx.storage.sql, (fn) => ctx.storage.transactionSync(fn))
    // A push cut off by a restart left pending objects: they were never published.
    ctx.blockConcurrencyWhile(async () => this.store.migrate())
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    const headTarget = `refs/heads/${request.headers.get('x-default-branch') || 'main'}`
    if (url.pathname === '/info-refs') {
      const service = url.searchParams.get('service') === 'git-receive-pack' ? 'git-receive-pack' : 'git-upload-pack'
      const body = advertisement(service, url.searchParams.get('v2') === '1', this.advertised(headTarget))
      return new Response(new Blob(body))
    }
    if (url.pathname === '/upload-pack') return this.uploadPack(request, url.searchParams.get('v2') === '1', headTarget)
    if (url.pathname === '/receive-pack') {
      const limits: RepoLimits = {
        maxPushBytes: Number(request.headers.get('x-max-push-bytes')),
        maxObjectBytes: Number(request.headers.get('x-max-object-bytes')),
      }
      // Fail closed: a push without the Worker's decision about its refs changes nothing.
      const rules = parseRefRules(request.headers.get('x-ref-rules'))
      if (!rules) return new Response('push refused: no ref rules\n', { status: 403 })
      return this.queue.run(() => this.receivePack(request, limits, headTarget, rules))
    }
    return new Response('not found', { status: 404 })
  }

  private advertised(headTarget: string): UploadPackState {
    const refs = this.store.refs()
    const peeled = new Map<string, string>()
    for (const ref of refs) {
      if (!ref.name.startsWith('refs/tags/') || peeled.has(ref.oid)) continue
      let oid = ref.oid
      for (let hops = 0; hops < 10 && this.store.stat(oid)?.type === 'tag'; hops++) oid = parseTag(this.store.read(oid)!.data).object
      if (oid !== ref.oid) peeled.set(ref.oid, oid)
    }
    return { store: this.store, refs, headTarget, peeled }
  }

  private async uploadPack(request: Request, v2: boolean, headTarget: string): Promise<Response> {
    const reader = ByteReader.of(request.body, MAX_UPLOAD_REQUEST, () => new GitError('request too large'))
    const state = this.advertised(headTarget)
    const output = v2 ? uploadPackV2(reader, state) : uploadPackV0(reader, state)
    // The request is parsed before the answer starts, so a bad request is one clean `ERR`.
    let first: IteratorResult<Uint8Array>
    try {
      first = await output.next()
    } catch (error) {
      if (!(error instanceof GitError)) throw error
      return new Response(pkt(`ERR ${error.message}\n`))
    }
    let pending: Uint8Array | null = first.done ? null : first.value
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (pending) {
          controller.enqueue(pending)
          pending = null
          return
        }
        // Batch small packets into one chunk of about 64 KiB.
        const parts: Uint8Array[] = []
        let size = 0
        while (size < 65536) {
          const next = await output.next()
          if (next.done) break
          parts.push(next.value)
          size += next.value.byteLength
        }
        if (parts.length === 0) controller.close()
        else controller.enqueue(concatBytes(parts, size))
      },
      async cancel() {
        await output.return(undefined)
      },
    })
    return new Response(first.done ? null : stream)
  }

  private async receivePack(request: Request, limits: RepoLimits, headTarget: string, rules: RefRules): Promise<Response> {
    const reader = ByteReader.of(request.body, limits.maxPushBytes, () => new GitError(`pack exceeds maximum allowed size (${limits.maxPushBytes} bytes)`))
    let push: PushRequest
    try {
      push = await readPushRequest(reader)
    } catch (error) {
      if (!(error instanceof GitError)) throw error
      await reader.drain(limits.maxPushBytes)
      return new Response(`${error.message}\n`, { status: 400 })
    }
    // The probe git sends before a large body (`0000`) is answered with an empty 200.
    if (push.commands.length === 0) return Response.json({ report: '', updates: [], pushOptions: [] } satisfies PushOutcome)

    let unpackError: string | null = null
    const messages: string[] = []
    if (expectsPack(push.commands) || !(await reader.atEnd())) {
      try {
        await ingestPack(reader, this.store.pendingSink(), {
          maxObjectBytes: limits.maxObjectBytes, maxObjects: 5_000_000, maxDeferredBytes: 32 * 1024 * 1024,
        })
        if (!(await reader.atEnd())) throw new GitError('unexpected data after the pack')
      } catch (error) {
        if (!(error instanceof GitError)) console.error('receive-pack failed', error)
        unpackError = error instanceof GitError ? error.message : 'index-pack failed'
        messages.push(`fatal: ${unpackError}`)
        this.store.discardPending()
        await reader.drain(limits.maxPushBytes)
      }
    }

    const results: RefResult[] = []
    const updates: RefUpdate[] = []
    for (const command of push.commands) {
      const current = this.store.ref(command.ref) ?? ZERO_OID
      let error: string | null = null
      if (unpackError) error = 'unpacker error'
      else if (!isValidRefName(command.ref)) error = 'funny refname'
      else if (!command.ref.startsWith('refs/heads/') && !command.ref.startsWith('refs/tags/')) error = 'deny updating a hidden ref'
      else if (command.old !== current) error = current === ZERO_OID ? 'stale info' : 'non-fast-forward'
      else if (command.new !== ZERO_OID && !this.store.stat(command.new, true)) error = 'missing necessary objects'
      else if (command.new !== ZERO_OID && command.ref.startsWith('refs/heads/') && this.store.stat(command.new, true)?.type !== 'commit') {
        error = 'branch must point at a commit'
      } else if (command.new === ZERO_OID && command.ref === headTarget && current !== ZERO_OID) {
        messages.push('GitLab: The default branch of a project cannot be deleted.')
        error = 'pre-receive hook declined'
      } else {
        const refusal = this.refRefusal(rules, command.ref, current, command.new, headTarget)
        if (refusal) {
          messages.push(`GitLab: ${refusal}`)
          error = 'pre-receive hook declined'
        }
      }
      results.push({ ref: command.ref, error })
      if (!error) updates.push({ ref: command.ref, before: current, after: command.new })
    }
    if (push.capabilities.has('atomic') && results.some((r) => r.error)) {
      for (const r of results) if (!r.error) r.error = 'atomic push failure'
      updates.length = 0
    }
    if (!unpackError) {
      this.ctx.storage.transactionSync(() => {
        if (updates.length === 0) this.store.discardPending()
        else this.store.publishPending()
        for (const u of updates) this.store.setRef(u.ref, u.after === ZERO_OID ? null : u.after)
      })
    }
    const report = reportStatus(push, unpackError, results, messages)
    const outcome: PushOutcome = { report: toBase64(concatBytes(report)), updates, pushOptions: push.pushOptions }
    return Response.json(outcome)
  }

  /** GitLab's BranchCheck / TagCheck for one ref update (the caller's rules come with the push). */
  private refRefusal(rules: RefRules, ref: string, current: string, next: string, headTarget: string): string | null {
    const change = { creation: current === ZERO_OID, deletion: next === ZERO_OID }
    if (ref.startsWith('refs/tags/')) {
      return tagRefusal(rules.tags, ref.slice('refs/tags/'.length), { ...change, defaultBranch: headTarget.slice('refs/heads/'.length) })
    }
    // The ancestry walk only runs when a protection matches the branch.
    const forced = () => !change.creation && !change.deletion && !this.isAncestor(current, next)
    return protectedBranchRefusal(rules.branches, ref.slice('refs/heads/'.length), { ...change, forced })
  }

  /**
   * Whether `ancestor` is reachable from `tip` (the push is a fast-forward), seeing the push's
   * pending objects. A history beyond the walk's limit counts as not reachable (a forced push).
   */
  private isAncestor(ancestor: string, tip: string, limit = 100_000): boolean {
    const seen = new Set<string>()
    for (const queue = [tip]; queue.length > 0 && seen.size < limit; ) {
      const oid = queue.pop()!
      if (oid === ancestor) return true
      if (seen.has(oid)) continue
      seen.add(oid)
      const object = this.store.read(oid, true)
      // First parents last onto the stack, so the walk follows the mainline first.
      if (object?.type === 'commit') queue.push(...parseCommit(object.data).parents.reverse())
    }
    return false
  }

  // ---- Reads for the REST API and the CI config (RPC) ----

  /** A commit for a sha (also abbreviated, 7+ digits, as GitLab accepts), branch, tag or full ref. */
  resolve(rev: string): string | null {
    const found = resolveCommit(this.store, this.store, rev)
    if (found || !/^[0-9a-f]{7,39}$/.test(rev)) return found
    const oid = this.store.findByPrefix(rev)
    return oid ? resolveCommit(this.store, this.store, oid) : null
  }

  commitView(oid: string): CommitView | null {
    const commit = readCommit(this.store, oid)
    if (!commit) return null
    return { id: oid, tree: commit.tree, parent_ids: commit.parents, author: commit.author, committer: commit.committer, message: commit.message }
  }

  /** A commit (by rev) and its view in one call. */
  commitAt(rev: string): CommitView | null {
    const oid = this.resolve(rev)
    return oid ? this.commitView(oid) : null
  }

  fileAt(rev: string, path: string): Uint8Array | null {
    const oid = this.resolve(rev)
    return oid ? readFileAt(this.store, oid, path) : null
  }

  tree(rev: string, path: string, recursive: boolean): TreeItem[] | null {
    const oid = this.resolve(rev)
    return oid ? listTree(this.store, oid, path, recursive) : null
  }

  log(rev: string, skip: number, limit: number): CommitView[] | null {
    const oid = this.resolve(rev)
    if (!oid) return null
    return logCommits(this.store, oid, skip, limit).map((c) => this.commitView(c)!)
  }

  changedPaths(from: string | null, to: string): string[] {
    return changedPaths(this.store, from, to)
  }

  /**
   * The commits a push brought (`exclude..to`, `exclude` null: all of `to`'s history): how many
   * (at most `countLimit`) and the newest `limit` of them, oldest first, with their changed files
   * (Gitlab::DataBuilder::Push's commits and total_commits_count).
   */
  pushedCommits(exclude: string | null, to: string, limit: number, countLimit: number): {
    total: number
    commits: Array<{ view: CommitView; added: string[]; modified: string[]; removed: string[] }>
  } {
    const target = this.resolve(to)
    if (!target) return { total: 0, commits: [] }
    const base = exclude ? this.resolve(exclude) : null
    const oids = commitsBetween(this.store, base, target, countLimit)
    const newest = oids.slice(0, limit).reverse()
    return {
      total: oids.length,
      commits: newest.map((oid) => ({ view: this.commitView(oid)!, ...commitFileChanges(this.store, oid) })),
    }
  }

  /** An annotated tag object's message (Gitlab::Git::Tag#message), or null for anything else. */
  tagMessage(oid: string): string | null {
    if (this.store.stat(oid)?.type !== 'tag') return null
    const message = parseTag(this.store.read(oid)!.data).message
    return message.replace(/\n$/, '')
  }

  /** The best common ancestor of two revs, or null. */
  mergeBase(a: string, b: string): string | null {
    const [left, right] = [this.resolve(a), this.resolve(b)]
    return left && right ? mergeBase(this.store, left, right) : null
  }

  /** The object id of the blob at `path` in `rev`, or null when there is none. */
  blobIdAt(rev: string, path: string): string | null {
    const oid = this.resolve(rev)
    const entry = oid ? entryAt(this.store, oid, path) : null
    return entry && !isTreeMode(entry.mode) && entry.mode !== '160000' ? entry.oid : null
  }

  branches(): Array<{ name: string; commit: CommitView }> {
    return this.store
      .refs()
      .filter((r) => r.name.startsWith('refs/heads/'))
      .map((r) => ({ name: r.name.slice('refs/heads/'.length), commit: this.commitView(r.oid)! }))
      .filter((b) => b.commit)
  }

  hasRefs(): boolean {
    return this.store.refs().some((r) => r.name.startsWith('refs/heads/'))
  }

  /** Points `name` at `oid` (refs/pipelines/<id>); a missing object is refused. */
  async setRef(name: string, oid: string): Promise<boolean> {
    return this.queue.run(async () => {
      if (!this.store.stat(oid)) return false
      this.store.setRef(name, oid)
      return true
    })
  }

  /** A deleted pipeline's persistent ref (refs/pipelines/<id>) goes with it. */
  async deletePipelineRef(pipelineId: number): Promise<void> {
    await this.queue.run(async () => {
      this.store.setRef(`refs/pipelines/${pipelineId}`, null)
    })
  }

  /** A commit of file changes on `branch` (the files API), built from `startBranch`. */
  async commitFiles(input: CommitFileInput): Promise<CommitFileResult> {
    return this.queue.run(async () => {
      const branchRef = `refs/heads/${input.branch}`
      const head = this.store.ref(branchRef)
      const start = input.startBranch === input.branch ? head : this.store.ref(`refs/heads/${input.startBranch}`)
      if (!start && this.hasRefs()) return { ok: false, reason: 'no_start_branch' }
      if (input.startBranch !== input.branch && head) return { ok: false, reason: 'branch_exists' }
      const base = start ? this.store.commit(start) : null
      if (input.lastCommitId && start && input.lastCommitId !== start) return { ok: false, reason: 'changed' }
      for (const change of input.changes) {
        const exists = base ? readFileAt(this.store, start!, change.path) !== null : false
        if (input.action === 'create' && exists) return { ok: false, reason: 'file_exists' }
        if (input.action === 'update' && !exists) return { ok: false, reason: 'file_missing' }
      }
      let tree: string
      try {
        tree = await writeTree(this.store, base?.tree ?? null, input.changes)
      } catch (error) {
        if (error instanceof GitError) return { ok: false, reason: 'invalid_path', detail: error.message }
        throw error
      }
      const oid = await writeCommit(this.store, {
        tree, parents: start ? [start] : [], author: input.author, committer: input.committer, message: input.message,
      })
      this.store.setRef(branchRef, oid)
      return { ok: true, commit: oid, before: head ?? ZERO_OID }
    })
  }

  /**
   * The project was deleted: every object and ref goes. The store's tables are made again, empty,
   * so a request already on its way finds an empty repository rather than a broken one.
   */
  async destroy(): Promise<void> {
    await this.queue.run(async () => {
      await this.ctx.storage.deleteAll()
      this.store.migrate()
    })
  }

  /** For tests and the benchmark: how many objects the repository holds. */
  objectCount(): number {
    return this.store.objectCount()
  }
}


function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

