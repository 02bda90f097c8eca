import * as v from 'valibot'
import { loadProject, type Caller } from '../auth/access'
import { authorize, can } from '../auth/policy'
import type { Signature } from '../git/commit'
import { isValidBranchName } from '../git/refs'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage, type OffsetPage } from '../http/pagination'
import { Bool, FilePath, NonBlankStr, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import type { CommitView } from '../objects/RepoObject'
import { repoObject } from '../objects/stubs'
import { commit as presentCommit, commitDetail } from '../present/commit'
import { setDefaultBranchIfUnset } from '../db/projects'
import { commitRow } from '../services/repository'
import { firePushHooks } from '../services/push-hooks'
import type { ApiContext } from './context'

/**
 * The repository API (lib/api/files.rb, branches.rb, repositories.rb, commits.rb) over the
 * project's git repository: the same objects and refs `git push` and `git clone` see.
 */

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
  execute_filemode: v.optional(Bool),
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
  if (content.byteLength > MAX_FILE_BYTES) throw ApiError.tooLarge()
  const startBranch = params.start_branch ?? params.branch
  const repo = repoObject(c.env, ctx.project.id)
  if (startBranch !== params.branch || !(await repo.resolve(`refs/heads/${params.branch}`))) {
    if (!isValidBranchName(params.branch)) {
      throw ApiError.withMessage(400, `Something went wrong when we tried to create '${params.branch}' for you: Branch name is invalid`)
    }
  }
  const now = Math.floor(c.now / 1000) * 1000
  const author: Signature = {
    name: params.author_name ?? ctx.caller.user!.name, email: params.author_email ?? ctx.caller.user!.email, time: now, timezone: '+0000',
  }
  const committer = committerOf(ctx.caller, now)
  const result = await repo.commitFiles({
    branch: params.branch, startBranch, action, message: params.commit_message, author, committer,
    lastCommitId: params.last_commit_id,
    changes: [{ path: params.file_path, content, executable: params.execute_filemode }],
  })
  if (!result.ok) {
    const messages: Record<typeof result.reason, string> = {
      no_start_branch: 'You can only create or edit files when you are on a branch',
      branch_exists: `A branch called '${params.branch}' already exists. Switch to that branch in order to make changes`,
      file_exists: 'A file with this name already exists',
      file_missing: "A file with this name doesn't exist",
      changed: 'You are attempting to update a file that has changed since you started editing it.',
      invalid_path: `Your changes could not be committed: ${result.detail ?? 'invalid path'}`,
    }
    throw ApiError.withMessage(400, messages[result.reason])
  }
  if (!ctx.project.default_branch) await setDefaultBranchIfUnset(c.env.DB, ctx.project.id, params.branch)
  // A commit through the API is a push to its branch: the push hooks hear of it, after the answer.
  const project = { ...ctx.project, default_branch: ctx.project.default_branch ?? params.branch }
  const pushed = [{ ref: `refs/heads/${params.branch}`, before: result.before, after: result.commit }]
  c.execution.waitUntil(firePushHooks(c.env, project, ctx.caller.user!, pushed, c.now).catch((error) => console.error('push hooks failed', project.id, error)))
  return json({ file_path: params.file_path, branch: params.branch }, { status: action === 'create' ? 201 : 200 })
}

function committerOf(caller: Caller, now: number): Signature {
  return { name: caller.user!.name, email: caller.user!.email, time: now, timezone: '+0000' }
}

function decodeContent(content: string, encoding: 'text' | 'base64'): Uint8Array {
  if (encoding === 'text') return new TextEncoder().encode(content)
  try {
    return Uint8Array.from(atob(content), (c) => c.charCodeAt(0))
  } catch {
    throw ApiError.invalid('content', 'is invalid')
  }
}

const CommitParams = v.looseObject({ id: Str, sha: NonBlankStr })

/** GET /projects/:id/repository/commits/:sha — by sha, branch or tag. */
export async function showCommit(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(CommitParams, raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const view = await repoObject(c.env, ctx.project.id).commitAt(params.sha)
  if (!view) throw ApiError.notFound('Commit')
  return json(commitDetail(commitRow(ctx.project.id, view), ctx.project.full_path, c.externalUrl))
}

const CommitsParams = v.looseObject({ id: Str, ref_name: v.optional(NonBlankStr) })

/**
 * GET /projects/:id/repository/commits — `ref_name` (default branch), newest first, paginated.
 * An unknown ref lists nothing (200 `[]`), as GitLab's repository.commits does.
 */
export async function listCommits(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(CommitsParams, raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const ref = params.ref_name ?? ctx.project.default_branch
  const views = (ref ? await repoObject(c.env, ctx.project.id).log(ref, page.offset, page.perPage + 1) : null) ?? []
  const hasNext = views.length > page.perPage
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext })
  const base = c.externalUrl
  return json(views.slice(0, page.perPage).map((view) => presentCommit(commitRow(ctx.project.id, view), ctx.project.full_path, base)), { headers })
}

const RawFileParams = v.looseObject({
  id: Str,
  file_path: FilePath({ allowInitialSeparator: true }),
  ref: v.optional(NonBlankStr),
})

/** GET /projects/:id/repository/files/:file_path/raw — the file's bytes at `ref` (default branch). */
export async function rawFile(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(RawFileParams, raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const ref = params.ref ?? ctx.project.default_branch
  const repo = repoObject(c.env, ctx.project.id)
  const sha = ref ? await repo.resolve(ref) : null
  if (!sha) throw ApiError.notFound('Commit')
  const content = await repo.fileAt(sha, params.file_path.replace(/^\/+/, ''))
  if (content === null) throw ApiError.notFound('File')
  return new Response(content, { headers: { 'Content-Type': contentType(content) } })
}

/** Text as GitLab sends it; anything that is not UTF-8 goes out as bytes. */
function contentType(content: Uint8Array): string {
  try {
    new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(content)
    return content.includes(0) ? 'application/octet-stream' : 'text/plain; charset=utf-8'
  } catch {
    return 'application/octet-stream'
  }
}

const TreeParams = v.looseObject({
  id: Str,
  path: v.optional(Str, ''),
  ref: v.optional(NonBlankStr),
  recursive: v.optional(Bool, false),
})

/** GET /projects/:id/repository/tree — `path`, `ref`, `recursive`, offset pagination. */
export async function tree(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(TreeParams, raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const ref = params.ref ?? ctx.project.default_branch
  const repo = repoObject(c.env, ctx.project.id)
  const sha = ref ? await repo.resolve(ref) : null
  if (!sha) throw ApiError.notFound('Tree')
  const items = await repo.tree(sha, params.path.replace(/^\/+|\/+$/g, ''), params.recursive)
  if (!items) throw ApiError.notFound('Tree')
  const { slice, headers } = pageOf(c, page, items)
  return json(slice, { headers })
}

const BranchesParams = v.looseObject({ id: Str, search: v.optional(Str) })

/** GET /projects/:id/repository/branches — Branch entities, by name, paginated. */
export async function listBranches(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(BranchesParams, raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  let branches = await repoObject(c.env, ctx.project.id).branches()
  if (params.search) branches = branches.filter((b) => b.name.toLowerCase().includes(params.search!.toLowerCase()))
  const { slice, headers } = pageOf(c, page, branches)
  return json(slice.map((b) => presentBranch(c, ctx, b.name, b.commit)), { headers })
}

const BranchParams = v.looseObject({ id: Str, branch: NonBlankStr })

/** GET /projects/:id/repository/branches/:branch */
export async function showBranch(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(BranchParams, raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const view = await repoObject(c.env, ctx.project.id).commitAt(`refs/heads/${params.branch}`)
  if (!view) throw ApiError.notFound('Branch')
  return json(presentBranch(c, ctx, params.branch, view))
}

/** API::Entities::Branch. */
function presentBranch(c: ApiContext, ctx: Awaited<ReturnType<typeof loadProject>>, name: string, view: CommitView) {
  const base = c.externalUrl
  return {
    name,
    commit: presentCommit(commitRow(ctx.project.id, view), ctx.project.full_path, base),
    merged: false,
    protected: false,
    developers_can_push: false,
    developers_can_merge: false,
    can_push: can(ctx.access, 'push_code'),
    default: name === ctx.project.default_branch,
    web_url: `${base}/${ctx.project.full_path}/-/tree/${name}`,
  }
}

/** One offset page of a list the repository object returned whole (trees, branches), with GitLab's headers. */
function pageOf<T>(c: ApiContext, page: OffsetPage, items: T[]): { slice: T[]; headers: Headers } {
  const slice = items.slice(page.offset, page.offset + page.perPage)
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: items.length > page.offset + page.perPage, total: items.length })
  return { slice, headers }
}
