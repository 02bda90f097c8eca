import { CANCELABLE_STATUSES } from '../ci/statuses'
import type { Env } from '../env'
import { redundantCandidatesStatement, rootAncestor, type PipelineRow, type RedundantCandidateRow } from '../db/pipelines'
import type { ProjectRow } from '../db/projects'
import { pipelineObject } from '../objects/stubs'
import { repoObject } from '../objects/stubs'

/**
 * Ci::PipelineCreation::CancelRedundantPipelinesService (run by Chain::CancelPendingPipelines
 * for every new pipeline): older pipelines on the same ref are canceled as each one's
 * `workflow:auto_cancel:on_new_commit` says — `conservative` (the default) cancels every
 * cancelable job, but only while none of its builds has started without being interruptible;
 * `interruptible` cancels only its `interruptible: true` jobs; `none` nothing. Skipped: child
 * pipelines as the new one, projects with `auto_cancel_pending_pipelines` disabled, pipelines not
 * older than the new one (a child by its root's age), other sources, the same sha or the ref's
 * head, and pipelines older than a week.
 */

/** Enums::Ci::Pipeline.ci_sources: every source but the dangling ones (webide, parent_pipeline, …). */
const DANGLING_SOURCES = ['webide', 'parent_pipeline', 'ondemand_dast_scan', 'ondemand_dast_validation', 'security_orchestration_policy', 'container_registry_push', 'duo_workflow', 'pipeline_execution_policy_schedule']
const WEEK_MS = 7 * 24 * 3600 * 1000

export async function cancelRedundantPipelines(env: Env, project: ProjectRow, pipeline: PipelineRow, now = Date.now()): Promise<number[]> {
  if (pipeline.source === 'parent_pipeline' || project.auto_cancel_pending_pipelines !== 1) return []
  const { results } = await redundantCandidatesStatement(env.DB, pipeline, CANCELABLE_STATUSES).all<RedundantCandidateRow>()
  if (results.length === 0) return []
  const headSha = (await repoObject(env, project.id).resolve(pipeline.ref)) ?? undefined
  const canceled: number[] = []
  for (const candidate of results) {
    const strategy = await cancelStrategy(env, candidate, pipeline, headSha, now)
    if (!strategy) continue
    // safe_cancellation: only interruptible jobs for `interruptible`, every cancelable job for `conservative`.
    await pipelineObject(env, candidate.id).cancelJobs(candidate.id, { onlyInterruptible: strategy === 'interruptible', autoCanceledBy: pipeline.id })
    canceled.push(candidate.id)
  }
  return canceled
}

async function cancelStrategy(
  env: Env, candidate: RedundantCandidateRow, pipeline: PipelineRow, headSha: string | undefined, now: number,
): Promise<'conservative' | 'interruptible' | null> {
  if (candidate.source === 'parent_pipeline') {
    if ((await rootAncestor(env.DB, candidate)).created_at >= pipeline.created_at) return null
  } else if (DANGLING_SOURCES.includes(candidate.source) || candidate.created_at >= pipeline.created_at) {
    return null
  }
  if (candidate.sha === pipeline.sha || candidate.sha === headSha) return null
  if (candidate.created_at < now - WEEK_MS) return null
  switch (candidate.auto_cancel_on_new_commit ?? 'conservative') {
    case 'conservative': return candidate.conservative_interruptible === 1 ? 'conservative' : null
    case 'interruptible': return 'interruptible'
    default: return null
  }
}
