import * as v from 'valibot'
import type { Env } from '../env'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { findCommit, getBranch, hasAnyBranch, readFileAt, writeCommit, type CommitRow } from '../db/repository'
import { ApiError } from '../http/errors'
import { FilePath, NonBlankStr, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { commitDetail } from '../present/commit'
import type { ApiContext } from './context'
import type { Caller } from '../auth/access'

/** Largest file accepted through the files API (the CI config limit is checked separately). */
const MAX_FILE_BYTES = 4 * 1024 * 1024

// Declared in GitLab's order (lib/api/files.rb), so several failures read the same.
const FileParams = v.looseObject({
  id: Str,
  file_path: FilePath(),
  branch: NonBlankStr,
  commit_message: NonBlankStr,
  start_branch: v.optional(Str),
  author_email: v.optional(Str),
  author_name: v.optional(Str),
  content: Str,
  encoding: v.optional(OneOf(['text', 'base64'] as const), 'text'),
  last_commit_id: v.optional(Str),
})

/** POST /projects/:id/repository/files/:file_path — create a file in a new commit. */
export function createFile(c: ApiContext): Promise<Response> {
  return commitFile(c, 'create')
}

/** PUT /projects/:id/repository/files/:file_path — update a file in a new commit. */
export function updateFile(c: ApiContext): Promise<Response> {
  return commitFile(c, 'update')
}

async function commitFile(c: ApiContext, action: 'create' | 'update'): Promise<Response> {
  const raw = await c.params()
  const params = validate(FileParams, raw)
  // No `authenticate!` here in GitLab: anonymous callers get 404 or 403 like everyone else.
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'push_code')
  const content = decodeContent(params.content, params.encoding)
  if (new TextEncoder().encode(content).byteLength > MAX_FILE_BYTES) throw ApiError.tooLarge()
  const filePath = params.file_path

  // A commit lands only if the branch did not move meanwhile; on a race, read again and retry.
  for (let attempt = 0; attempt < 5; attempt++) {
    const base = await resolveBase(c.env.DB, ctx.project.id, params.branch, params.start_branch)
    const tree = base.commit ? (JSON.parse(base.commit.tree) as Record<string, string>) : {}
    const exists = Object.hasOwn(tree, filePath)
    if (action === 'create' && exists) throw ApiError.withMessage(400, 'A file with this name already exists')
    if (action === 'update' && !exists) throw ApiError.withMessage(400, "A file with this name doesn't exist")
    if (params.last_commit_id && base.commit && params.last_commit_id !== base.commit.sha) {
      throw ApiError.withMessage(400, 'You are attempting to update a file that has changed since you started editing it.')
    }
    const blobSha = await sha1Hex(`blob ${new TextEncoder().encode(content).byteLength}\0${content}`)
    const newTree = { ...tree, [filePath]: blobSha }
    const row = await buildCommit(ctx.project.id, ctx.caller, params, newTree, base.commit, c.now)
    const ok = await writeCommit(c.env.DB, {
      commit: row,
      blob: { sha: blobSha, content },
      branch: params.branch,
      expectedHead: base.branchHead,
    })
    if (ok) return json({ file_path: filePath, branch: params.branch }, { status: action === 'create' ? 201 : 200 })
  }
  throw ApiError.conflict('The branch moved while committing; try again')
}

/**
 * The commit a change builds on, with Commits::CreateService's branch rules: the commit starts
 * from `start_branch` (default: `branch`), which must exist unless the repository is empty; a
 * different `branch` is created and must not exist yet.
 */
async function resolveBase(db: D1Database, projectId: number, branchName: string, startBranchName?: string) {
  const startName = startBranchName ?? branchName
  const [branch, start, nonEmpty] = await Promise.all([
    getBranch(db, projectId, branchName),
    startName === branchName ? null : getBranch(db, projectId, startName),
    hasAnyBranch(db, projectId),
  ])
  const startBranch = startName === branchName ? branch : start
  if (nonEmpty && !startBranch) throw ApiError.withMessage(400, 'You can only create or edit files when you are on a branch')
  if (startName !== branchName && branch) {
    throw ApiError.withMessage(400, `A branch called '${branchName}' already exists. Switch to that branch in order to make changes`)
  }
  if (!branch && !validBranchName(branchName)) {
    throw ApiError.withMessage(400, `Something went wrong when we tried to create '${branchName}' for you: Branch name is invalid`)
  }
  return {
    branchHead: branch?.head_sha ?? null,
    commit: startBranch ? await findCommit(db, projectId, startBranch.head_sha) : null,
  }
}

/** Gitlab::GitRefValidator: git check-ref-format rules for `refs/heads/<name>`. */
function validBranchName(name: string): boolean {
  if (name === '' || name === 'HEAD' || name === '@' || name.startsWith('-') || name.startsWith('refs/')) return false
  if (/[\x00-\x20\x7f~^:?*[\\]|\.\.|@\{|\/\/|\/$|\.$|\.lock(\/|$)|(^|\/)\./.test(name)) return false
  return true
}

async function buildCommit(
  projectId: number,
  caller: Caller,
  params: v.InferOutput<typeof FileParams>,
  tree: Record<string, string>,
  parent: CommitRow | null,
  at: number,
): Promise<CommitRow> {
  // Git keeps whole seconds.
  const now = Math.floor(at / 1000) * 1000
  const authorName = params.author_name ?? caller.user!.name
  const authorEmail = params.author_email ?? caller.user!.email
  const parents = parent ? [parent.sha] : []
  const treeText = JSON.stringify(tree)
  const sha = await sha1Hex(
    `tree ${await sha1Hex(treeText)}\n${parents.map((p) => `parent ${p}\n`).join('')}author ${authorName} <${authorEmail}> ${now}\n\n${params.commit_message}\n${crypto.randomUUID()}`,
  )
  return {
    project_id: projectId,
    sha,
    parent_ids: JSON.stringify(parents),
    tree: treeText,
    title: params.commit_message.split('\n')[0],
    message: params.commit_message,
    author_name: authorName,
    author_email: authorEmail,
    authored_date: now,
    committer_name: caller.user!.name,
    committer_email: caller.user!.email,
    committed_date: now,
  }
}

function decodeContent(content: string, encoding: 'text' | 'base64'): string {
  if (encoding === 'text') return content
  try {
    const bytes = Uint8Array.from(atob(content), (c) => c.charCodeAt(0))
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw ApiError.invalid('content', 'is invalid')
  }
}

async function sha1Hex(text: string): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text)))
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('')
}

const CommitParams = v.looseObject({ id: Str, sha: NonBlankStr })

/** GET /projects/:id/repository/commits/:sha — by sha or branch name. */
export async function showCommit(c: ApiContext): Promise<Response> {
  const params = await c.valid(CommitParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const row = await findCommit(c.env.DB, ctx.project.id, params.sha)
  if (!row) throw ApiError.notFound('Commit')
  return json(commitDetail(row, ctx.project.full_path, c.externalUrl))
}

const RawFileParams = v.looseObject({
  id: Str,
  file_path: FilePath({ allowInitialSeparator: true }),
  ref: v.optional(NonBlankStr),
})

/** GET /projects/:id/repository/files/:file_path/raw — the file's content at `ref` (default branch). */
export async function rawFile(c: ApiContext): Promise<Response> {
  const params = await c.valid(RawFileParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const ref = params.ref ?? ctx.project.default_branch
  const commitRow = ref ? await findCommit(c.env.DB, ctx.project.id, ref) : null
  if (!commitRow) throw ApiError.notFound('Commit')
  const content = await readFileAt(c.env.DB, commitRow, params.file_path)
  if (content === null) throw ApiError.notFound('File')
  return new Response(content, { headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
}
