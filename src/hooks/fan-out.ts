import { configOf } from '../config'
import { openList } from '../auth/secret-box'
import type { Env } from '../env'
import { jobHookData, latestProjectBuild, latestProjectPipelineId, pipelineHookData, type PushHookInput } from '../db/hook-data'
import type { JobRow } from '../db/jobs'
import { hooksForEventStatement, insertEventStatement, type HookEventFlag, type WebHookEventRow, type WebHookRow } from '../db/web-hooks'
import { buildHookData, pipelineHookData as pipelinePayload, pushHookData } from '../present/hook-data'
import { alertStatus } from '../ci/auto-disabling'
import { sealRequestData } from './secrets'

/**
 * A project's hooks for an event (ProjectHook scopes, `executable`): each gets the payload as one
 * stored event and one queue message; the consumer delivers it (hooks/delivery.ts). Triggers
 * are GitLab's hook names (`job_hooks`, `pipeline_hooks`, `push_hooks`, `tag_push_hooks`).
 */
export type HookTrigger = 'job_hooks' | 'pipeline_hooks' | 'push_hooks' | 'tag_push_hooks'

export async function hooksFor(env: Env, projectId: number, flag: HookEventFlag): Promise<WebHookRow[]> {
  return (await hooksForEventStatement(env.DB, projectId, flag).all<WebHookRow>()).results
}

/** Stores one event per executable hook (one batch) and queues them (one send). */
export async function queueHookEvents(env: Env, hooks: WebHookRow[], trigger: HookTrigger, payload: unknown, now: number): Promise<number[]> {
  const executable = hooks.filter((hook) => alertStatus(hook, now) === 'executable')
  if (executable.length === 0) return []
  const requestData = await sealRequestData(env, JSON.stringify(payload))
  const eventUuid = crypto.randomUUID()
  const inserted = await env.DB.batch<{ id: number }>(
    executable.map((hook) =>
      insertEventStatement(env.DB, { hookId: hook.id, trigger, requestData, eventUuid, idempotencyKey: crypto.randomUUID() }, now),
    ),
  )
  const ids = inserted.map((result) => result.results[0]!.id)
  await env.WEBHOOK_QUEUE.sendBatch(ids.map((eventId) => ({ body: { eventId } })))
  return ids
}

/**
 * Ci::Build's `after_transition any => any` → execute_hooks: a build's committed transition
 * gives its project's job hooks a Job Hook. Trigger jobs (bridges) have none, as in GitLab.
 * `job` is the row as the transition wrote it, so a quick later transition cannot change it.
 */
export async function fireJobHooks(env: Env, job: JobRow, now: number): Promise<void> {
  if (job.type !== 'build') return
  const hooks = await hooksFor(env, job.project_id, 'job_events')
  if (hooks.length === 0) return
  const payload = await jobPayload(env, job, now)
  if (payload) await queueHookEvents(env, hooks, 'job_hooks', payload, now)
}

/** Ci::Pipeline's status transitions → execute_hooks: a Pipeline Hook with the pipeline as just written. */
export async function firePipelineHooks(env: Env, projectId: number, pipelineId: number, now: number): Promise<void> {
  const hooks = await hooksFor(env, projectId, 'pipeline_events')
  if (hooks.length === 0) return
  const payload = await pipelinePayloadOf(env, pipelineId, now)
  if (payload) await queueHookEvents(env, hooks, 'pipeline_hooks', payload, now)
}

/** Gitlab::DataBuilder::Build for `job` (null: its pipeline or project is gone). */
async function jobPayload(env: Env, job: JobRow, now: number): Promise<unknown | null> {
  const data = await jobHookData(env.DB, job)
  return data ? buildHookData(job, data, configOf(env).externalUrl, now) : null
}

/** Gitlab::DataBuilder::Pipeline for a pipeline, its variables opened (null: it is gone). */
async function pipelinePayloadOf(env: Env, pipelineId: number, now: number): Promise<unknown | null> {
  const data = await pipelineHookData(env.DB, pipelineId)
  return data ? pipelinePayload(data, await openList(env, data.pipeline.variables), configOf(env).externalUrl, now) : null
}

/** One event for one hook, stored for a delivery made now (a test from the API). */
export async function storeEvent(env: Env, hook: WebHookRow, trigger: HookTrigger, payload: unknown, now: number): Promise<WebHookEventRow> {
  const event = { hookId: hook.id, trigger, requestData: await sealRequestData(env, JSON.stringify(payload)), eventUuid: crypto.randomUUID(), idempotencyKey: crypto.randomUUID() }
  const row = await insertEventStatement(env.DB, event, now).first<{ id: number }>()
  return {
    id: row!.id, hook_id: hook.id, trigger, request_data: event.requestData, event_uuid: event.eventUuid, idempotency_key: event.idempotencyKey, created_at: now,
  }
}

/** TestHooks::ProjectService#job_events_data: the project's newest build (null: it has none). */
export async function sampleJobPayload(env: Env, projectId: number, now: number): Promise<unknown | null> {
  const job = await latestProjectBuild(env.DB, projectId)
  return job ? jobPayload(env, job, now) : null
}

/** TestHooks::ProjectService#pipeline_events_data: the project's newest pipeline (null: none). */
export async function samplePipelinePayload(env: Env, projectId: number, now: number): Promise<unknown | null> {
  const id = await latestProjectPipelineId(env.DB, projectId)
  return id === null ? null : pipelinePayloadOf(env, id, now)
}

/** Gitlab::DataBuilder::Push's payload for `input`. */
export function pushPayload(env: Env, input: PushHookInput): unknown {
  return pushHookData(input, configOf(env).externalUrl)
}
