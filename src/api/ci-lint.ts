import * as v from 'valibot'
import { loadProject, type ProjectContext } from '../auth/access'
import { authorize } from '../auth/policy'
import { ApiError } from '../http/errors'
import { Bool, Str } from '../http/param-types'
import { json } from '../http/response'
import { repoObject } from '../objects/stubs'
import { lintResult } from '../present/lint'
import { lintConfig, type LintOutcome } from '../services/ci-lint'
import type { ApiContext } from './context'

/**
 * CI Lint (lib/api/lint.rb): POST validates given content (create_pipeline, developer), GET the
 * project's own config at a commit (read_code). Both answer 200 with the result, valid or not.
 */
const PostParams = v.looseObject({
  id: Str,
  content: Str,
  dry_run: v.optional(Bool, false),
  include_jobs: v.optional(Bool),
  ref: v.optional(Str),
})

/** POST /projects/:id/ci/lint */
export async function lintContent(c: ApiContext): Promise<Response> {
  const params = await c.valid(PostParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'create_pipeline')
  const defaultBranch = ctx.project.default_branch ?? 'main'
  // Gitlab::Ci::Lint's legacy sha: the head of the default branch (none in an empty repository).
  const head = await repoObject(c.env, ctx.project.id).commitAt(defaultBranch)
  return lintAndPresent(c, ctx, params, { content: params.content, sha: head?.id ?? null, ref: params.ref || defaultBranch })
}

const GetParams = v.looseObject({
  id: Str,
  sha: v.optional(Str),
  content_ref: v.optional(Str),
  dry_run: v.optional(Bool, false),
  include_jobs: v.optional(Bool),
  ref: v.optional(Str),
  dry_run_ref: v.optional(Str),
})

/** GET /projects/:id/ci/lint — the project's CI config at `content_ref` (default: the default branch's head). */
export async function lintProjectConfig(c: ApiContext): Promise<Response> {
  const params = await c.valid(GetParams)
  exclusive(params, 'sha', 'content_ref')
  exclusive(params, 'ref', 'dry_run_ref')
  const ctx: ProjectContext = await loadProject(c, params.id)
  authorize(ctx.access, 'read_code')
  const repo = repoObject(c.env, ctx.project.id)
  const defaultBranch = ctx.project.default_branch ?? 'main'
  const root = await repo.commitAt(defaultBranch)
  if (!root) throw ApiError.notFound('Repository')
  const contentRef = params.content_ref ?? params.sha
  const commit = contentRef === undefined ? root : await repo.commitAt(contentRef)
  if (!commit) throw ApiError.notFound('Commit')
  const bytes = await repo.fileAt(commit.id, ctx.project.ci_config_path ?? '.gitlab-ci.yml')
  const content = bytes ? new TextDecoder().decode(bytes) : null
  return lintAndPresent(c, ctx, params, { content, sha: commit.id, ref: params.dry_run_ref ?? params.ref ?? defaultBranch })
}

/** Grape's `mutually_exclusive`. */
function exclusive(params: Record<string, unknown>, a: string, b: string): void {
  if (params[a] !== undefined && params[b] !== undefined) throw ApiError.plain(400, `${a}, ${b} are mutually exclusive`)
}

/** Both endpoints' end: lint `content` as the caller in the project, answer 200 with the result. */
async function lintAndPresent(
  c: ApiContext,
  ctx: ProjectContext,
  params: { dry_run: boolean; include_jobs?: boolean },
  input: { content: string | null; sha: string | null; ref: string },
): Promise<Response> {
  const outcome = await lintConfig(c.env, {
    project: ctx.project, userId: ctx.caller.user?.id ?? null, access: ctx.access, ...input, dryRun: params.dry_run, externalUrl: c.externalUrl, now: c.now,
  })
  return present(c, outcome, params.include_jobs ?? false)
}

function present(c: ApiContext, outcome: LintOutcome, includeJobs: boolean): Response {
  const dryRun = outcome.dryRunJobs ? { stages: outcome.dryRunStages ?? [], jobs: outcome.dryRunJobs } : undefined
  return json(lintResult({ ...outcome, warnings: [], dryRun }, { includeJobs, externalUrl: c.externalUrl }))
}
