import { configOf } from '../config'
import type { Env } from '../env'
import { allowLocalWebHookRequests, getLimitSettings } from '../db/settings'
import {
  eventWithHook, hookFailedStatement, hookSucceededStatement, insertLogStatement, type WebHookEventRow, type WebHookRow,
} from '../db/web-hooks'
import { blockedReason } from '../http/url-blocker'
import { openHook, openRequestData, sealLogUrl } from './secrets'
import { alertStatus, PERMANENTLY_DISABLED_FAILURE_THRESHOLD, TEMPORARILY_DISABLED_FAILURE_THRESHOLD } from '../ci/auto-disabling'

/**
 * WebHookService#execute: one POST of a stored event to its hook, logged (web_hook_logs) with
 * GitLab's headers, the response (body cut at 8 KiB, at most 50 headers of 1 KiB) and its
 * duration; then the hook's failure counters (WebHooks::AutoDisabling): a 2xx or 3xx enables it,
 * anything else backs it off. A receiver that cannot be reached is logged as `internal error`.
 */

const RESPONSE_BODY_LIMIT = 8 * 1024
const RESPONSE_HEADERS_COUNT_LIMIT = 50
const RESPONSE_HEADER_SIZE_LIMIT = 1024
export const INTERNAL_ERROR = 'internal error'

/** WebHookService.hook_to_event: `job_hooks` → `Job Hook`. */
export function hookEventName(trigger: string): string {
  const words = trigger.replace(/_hooks$/, '').split('_')
  return `${words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' ')} Hook`
}

export type Execution =
  | { kind: 'disabled' }
  | { kind: 'done'; ok: boolean; status: string; body: string; errorMessage: string | null; logId: number }

export interface ExecuteOptions {
  now: number
  /** a test from the API: runs even when the hook is disabled (WebHookService `force:`) */
  force?: boolean
  /** a new X-Gitlab-Event-UUID (a resend or a test is a new request) */
  eventUuid?: string
}

/** `stored` and `event` as D1 holds them: the URL, token and payload are opened here, per delivery (hooks/secrets.ts). */
export async function executeHook(env: Env, stored: WebHookRow, event: WebHookEventRow, options: ExecuteOptions): Promise<Execution> {
  const executable = alertStatus(stored, options.now) === 'executable'
  if (!options.force && !executable) return { kind: 'disabled' }
  const hook = await openHook(env, stored)
  const config = configOf(env)
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': `GitLab/${config.gitlabVersion}`,
    'Idempotency-Key': event.idempotency_key,
    'X-Gitlab-Event': hookEventName(event.trigger),
    'X-Gitlab-Webhook-UUID': crypto.randomUUID(),
    'X-Gitlab-Instance': config.externalUrl,
  }
  if (hook.token) headers['X-Gitlab-Token'] = hook.token.replace(/[\r\n]/g, '')
  headers['X-Gitlab-Event-UUID'] = options.eventUuid ?? event.event_uuid
  const started = performance.now()
  const result = await post(env, hook.url, headers, await openRequestData(env, event.request_data), config.webhooks.timeoutMs)
  const duration = (performance.now() - started) / 1000
  const loggedHeaders = { ...headers, ...(hook.token ? { 'X-Gitlab-Token': '[REDACTED]' } : {}) }
  const statements = [
    insertLogStatement(env.DB, {
      hook_id: hook.id, event_id: event.id, trigger: event.trigger, url: await sealLogUrl(env, hook.url), request_headers: JSON.stringify(loggedHeaders),
      response_status: result.status, response_headers: JSON.stringify(result.headers), response_body: result.body,
      execution_duration: duration, internal_error_message: result.errorMessage, created_at: options.now,
    }),
  ]
  statements.push(
    result.ok
      ? hookSucceededStatement(env.DB, hook.id)
      : hookFailedStatement(env.DB, hook.id, options.now, { temporary: TEMPORARILY_DISABLED_FAILURE_THRESHOLD, permanent: PERMANENTLY_DISABLED_FAILURE_THRESHOLD }),
  )
  const [log] = await env.DB.batch<{ id: number }>(statements)
  return { kind: 'done', ok: result.ok, status: result.status, body: result.body, errorMessage: result.errorMessage, logId: log.results[0]!.id }
}

interface PostResult {
  ok: boolean
  status: string
  headers: Record<string, string>
  body: string
  errorMessage: string | null
}

async function post(env: Env, url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  const failed = (message: string): PostResult => ({ ok: false, status: INTERNAL_ERROR, headers: {}, body: '', errorMessage: message })
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return failed('URI is invalid')
  }
  // Gitlab::HTTP's allow_local_requests: the instance setting, checked again on every delivery.
  if (!allowLocalWebHookRequests(await getLimitSettings(env.DB))) {
    const blocked = blockedReason(target.hostname)
    if (blocked) return failed(`URL is blocked: ${blocked}`)
  }
  const sent = { ...headers }
  if (target.username || target.password) {
    // make_request_with_auth: credentials in the URL become Basic auth, the URL goes without them.
    const user = decodeURIComponent(target.username)
    const password = decodeURIComponent(target.password)
    sent.Authorization = `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${password}`)))}`
    target.username = ''
    target.password = ''
  }
  let response: Response
  try {
    response = await fetch(target.toString(), { method: 'POST', headers: sent, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    const name = error instanceof Error ? error.name : ''
    return failed(name === 'TimeoutError' || name === 'AbortError' ? 'execution expired' : error instanceof Error ? error.message : String(error))
  }
  const responseHeaders: Record<string, string> = {}
  let count = 0
  for (const [key, value] of response.headers) {
    if (count++ >= RESPONSE_HEADERS_COUNT_LIMIT) break
    responseHeaders[capitalized(key)] = truncateBytes(value, RESPONSE_HEADER_SIZE_LIMIT)
  }
  const text = await readPrefix(response, RESPONSE_BODY_LIMIT)
  return { ok: response.status >= 200 && response.status < 400, status: String(response.status), headers: responseHeaders, body: text, errorMessage: null }
}

/** Net::HTTPHeader#each_capitalized: `content-type` → `Content-Type`. */
function capitalized(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('-')
}

/** String#truncate_bytes: at most `limit` bytes of UTF-8, never a broken character. */
function truncateBytes(text: string, limit: number): string {
  const bytes = new TextEncoder().encode(text)
  if (bytes.length <= limit) return text
  return new TextDecoder().decode(bytes.slice(0, limit)).replace(/\uFFFD$/, '')
}

async function readPrefix(response: Response, limit: number): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  while (size <= limit) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.length
  }
  await reader.cancel().catch(() => undefined)
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.length
  }
  return truncateBytes(new TextDecoder().decode(all), limit)
}

/**
 * The queue's consumer: each message delivers one stored event. A failed delivery is retried
 * after the next of WEBHOOK_RETRY_DELAYS_SECONDS (message.attempts counts the tries so far); a
 * disabled hook or a deleted event ends the message without a try, as GitLab skips them.
 */
export async function deliverQueued(batch: MessageBatch<{ eventId: number }>, env: Env): Promise<void> {
  const delays = configOf(env).webhooks.retryDelaysSeconds
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        const found = await eventWithHook(env.DB, message.body.eventId)
        if (!found) return message.ack()
        const outcome = await executeHook(env, found.hook, found.event, { now: Date.now() })
        if (outcome.kind === 'done' && !outcome.ok && message.attempts <= delays.length) {
          message.retry({ delaySeconds: delays[message.attempts - 1] })
        } else message.ack()
      } catch (error) {
        console.error('webhook delivery failed', message.body.eventId, error)
        if (message.attempts <= delays.length) message.retry({ delaySeconds: delays[message.attempts - 1] })
        else message.ack()
      }
    }),
  )
}
