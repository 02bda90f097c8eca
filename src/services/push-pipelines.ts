import type { ProjectContext } from '../auth/access'
import type { Variable } from '../ci/types'
import type { Env } from '../env'
import { ZERO_OID } from '../git/oid'
import type { RefUpdate } from '../objects/RepoObject'
import { pipelineObject, repoObject } from '../objects/stubs'
import { configOf } from '../config'
import { cancelRedundantPipelines } from './cancel-redundant-pipelines'
import { createFailedPipeline, createPipeline } from './create-pipeline'

/**
 * Git::ProcessRefChangesService → Ci::CreatePipelineService(:push) for each pushed branch or
 * tag: `source: push`, `before_sha` the old head (zeros for a new ref), `tag: true` for tags.
 * Deleted refs and refs outside refs/heads and refs/tags make none; only the first
 * `git_push_pipeline_limit` (4) changes of a push get one. `[skip ci]`/`[ci skip]` in the head
 * commit's message or `-o ci.skip` make a `skipped` pipeline; `-o ci.variable="K=V"` adds
 * variables to branch pipelines. No config, or a push filtered out by `workflow:rules`, makes
 * none; an invalid config makes a `failed` pipeline with its `yaml_errors`. The push succeeds
 * either way.
 */
export const PUSH_PIPELINE_LIMIT = 4
const SKIP_PATTERN = /\[(ci[ _-]skip|skip[ _-]ci)\]/i

export interface PushOptions {
  skip: boolean
  variables: Variable[]
}

/** Gitlab::PushOptions: `ci.skip`, `ci.variable=K=V`; anything else is ignored. */
export function parsePushOptions(options: string[]): PushOptions {
  const out: PushOptions = { skip: false, variables: [] }
  for (const option of options) {
    const match = /^([\w-]+)\.([\w-]+)(?:=(.*))?$/s.exec(option.trim())
    if (!match || match[1] !== 'ci') continue
    const value = match[3]?.trim()
    if (match[2] === 'skip') out.skip = true
    else if (match[2] === 'variable' && value) {
      const eq = value.indexOf('=')
      if (eq > 0) out.variables.push({ key: value.slice(0, eq), value: value.slice(eq + 1), variable_type: 'env_var' })
    }
  }
  return out
}

export async function pipelinesForPush(env: Env, ctx: ProjectContext, updates: RefUpdate[], rawOptions: string[]): Promise<number[]> {
  const options = parsePushOptions(rawOptions)
  const repo = repoObject(env, ctx.project.id)
  const created: number[] = []
  const changes = updates.filter((u) => u.ref.startsWith('refs/heads/') || u.ref.startsWith('refs/tags/'))
  for (const [index, update] of changes.entries()) {
    if (update.after === ZERO_OID || index >= PUSH_PIPELINE_LIMIT) continue
    const tag = update.ref.startsWith('refs/tags/')
    const ref = update.ref.slice(tag ? 'refs/tags/'.length : 'refs/heads/'.length)
    // An annotated tag's pipeline runs on the commit it points at (checkout_sha).
    const commit = await repo.commitAt(update.after)
    if (!commit) continue
    try {
      const input = {
        project: ctx.project, ref, sha: commit.id, tag, beforeSha: update.before, userId: ctx.caller.user?.id ?? null,
        // the pusher was allowed to write this ref (the push checks), as GitLab's push pipelines are
        writer: null,
        source: 'push', variables: tag ? [] : options.variables, externalUrl: configOf(env).externalUrl, now: Date.now(),
        skip: options.skip || SKIP_PATTERN.test(commit.message),
      }
      const result = await createPipeline(env, input)
      if (!result.ok) {
        const failed = result.reason === 'invalid' ? await createFailedPipeline(env, input, result.errors) : null
        if (failed) created.push(failed.id)
        continue
      }
      created.push(result.pipeline.id)
      if (result.pipeline.status === 'skipped') continue
      // Chain::CancelPendingPipelines (a skipped pipeline's chain has stopped before it).
      await cancelRedundantPipelines(env, ctx.project, result.pipeline)
      await pipelineObject(env, result.pipeline.id).process(result.pipeline.id)
    } catch (error) {
      console.error('push pipeline failed', ctx.project.id, update.ref, error)
    }
  }
  return created
}
