import { open, seal } from '../auth/secret-box'
import type { LogWithRequest, WebHookRow, WebHookValues } from '../db/web-hooks'
import type { Env } from '../env'

/**
 * A webhook's secrets at rest. GitLab encrypts a hook's `url` and `token` (attr_encrypted,
 * app/models/hooks/web_hook.rb); edgejobs seals both with auth/secret-box.ts as it does CI/CD
 * variables, and also the stored payloads (web_hook_events.request_data, which may hold a
 * pipeline's decrypted variables) and each log's URL. Rows written before this are plaintext and
 * read as they are.
 */
export async function sealHookValues(env: Env, values: WebHookValues): Promise<WebHookValues> {
  const sealed = { ...values }
  if (values.url !== undefined) sealed.url = await seal(env, values.url)
  if (values.token) sealed.token = await seal(env, values.token)
  return sealed
}

/** The stored hook with its URL and token readable. */
export async function openHook(env: Env, hook: WebHookRow): Promise<WebHookRow> {
  return { ...hook, url: await open(env, hook.url), token: hook.token ? await open(env, hook.token) : hook.token }
}

export function sealRequestData(env: Env, json: string): Promise<string> {
  return seal(env, json)
}

export function openRequestData(env: Env, stored: string): Promise<string> {
  return open(env, stored)
}

export function sealLogUrl(env: Env, url: string): Promise<string> {
  return seal(env, url)
}

/** A stored log (with its event's payload) readable. */
export async function openLog(env: Env, log: LogWithRequest): Promise<LogWithRequest> {
  return { ...log, url: await open(env, log.url), request_data: await open(env, log.request_data) }
}
