import * as v from 'valibot'
import { loadProject, type ProjectContext } from '../auth/access'
import { branchRules, canUpdateBranch } from '../auth/protected-branch-access'
import { authorize, can } from '../auth/policy'
import { projectProtectedBranchesStatement, type ProtectedBranchRow } from '../db/protected-branches'
import { ApiError } from '../http/errors'
import { Bool, Str } from '../http/param-types'
import { validate } from '../http/params'
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
  const ctx = await loadProject<[ProtectedBranchRow]>(c, params.id, (project) => [projectProtectedBranchesStatement(c.env.DB, project)])
  authorize(ctx.access, 'create_pipeline')
  const defaultBranch = ctx.project.default_branch ?? 'main'
  // Gitlab::Ci::Lint's legacy sha: the head of the default branch (none in an empty repository).
  const repo = repoObject(c.env, ctx.project.id)
  const head = await repo.commitAt(defaultBranch)
  const ref = params.ref || defaultBranch
  const outcome = await lintConfig(c.env, {
    project: ctx.project, userId: ctx.caller.user?.id ?? null, content: params.content, sha: head?.id ?? null,
    dryRun: params.dry_run, ...(await dryRunAbilities(ctx, repo, ref, params.dry_run)), ref, externalUrl: c.externalUrl, now: c.now,
  })
  return present(c, outcome, params.include_jobs ?? false)
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
  const raw = await c.params()
  const params = validate(GetParams, raw)
  exclusive(params, 'sha', 'content_ref')
  exclusive(params, 'ref', 'dry_run_ref')
  const ctx: ProjectContext<[ProtectedBranchRow]> = await loadProject<[ProtectedBranchRow]>(c, params.id, (project) => [projectProtectedBranchesStatement(c.env.DB, project)])
  authorize(ctx.access, 'read_code')
  const repo = repoObject(c.env, ctx.project.id)
  const defaultBranch = ctx.project.default_branch ?? 'main'
  const root = await repo.commitAt(defaultBranch)
  if (!root) throw ApiError.notFound('Repository')
  const contentRef = params.content_ref ?? params.sha
  const commit = contentRef === undefined ? root : await repo.commitAt(contentRef)
  if (!commit) throw ApiError.notFound('Commit')
  const bytes = await repo.fileAt(commit.id, ctx.project.ci_config_path ?? '.gitlab-ci.yml')
  const ref = params.dry_run_ref ?? params.ref ?? defaultBranch
  const outcome = await lintConfig(c.env, {
    project: ctx.project, userId: ctx.caller.user?.id ?? null, content: bytes ? new TextDecoder().decode(bytes) : null, sha: commit.id,
    dryRun: params.dry_run, ...(await dryRunAbilities(ctx, repo, ref, params.dry_run)), ref, externalUrl: c.externalUrl, now: c.now,
  })
  return present(c, outcome, params.include_jobs ?? false)
}

/**
 * Chain::Validate::Abilities for the dry run: create_pipeline, and on an existing branch
 * Gitlab::UserAccess#can_update_branch? (a protected branch needs push or merge access; a ref
 * that does not exist is left to "Reference not found").
 */
async function dryRunAbilities(ctx: ProjectContext<[ProtectedBranchRow]>, repo: ReturnType<typeof repoObject>, ref: string, dryRun: boolean) {
  const canCreatePipeline = can(ctx.access, 'create_pipeline')
  if (!dryRun || !canCreatePipeline || canUpdateBranch(branchRules(ctx.results[0].results, ctx.access), ref)) return { canCreatePipeline, canUpdateRef: true }
  return { canCreatePipeline, canUpdateRef: (await repo.commitAt(`refs/heads/${ref}`)) === null }
}

/** Grape's `mutually_exclusive`. */
function exclusive(params: Record<string, unknown>, a: string, b: string): void {
  if (params[a] !== undefined && params[b] !== undefined) throw ApiError.plain(400, `${a}, ${b} are mutually exclusive`)
}

function present(c: ApiContext, outcome: LintOutcome, includeJobs: boolean): Response {
  const dryRun = outcome.dryRunJobs ? { stages: outcome.dryRunStages ?? [], jobs: outcome.dryRunJobs } : undefined
  return json(lintResult({ ...outcome, warnings: [], dryRun }, { includeJobs, externalUrl: c.externalUrl }))
}
