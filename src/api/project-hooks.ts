import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { allowLocalWebHookRequests, getLimitSettings } from '../db/settings'
import {
  deleteHookStatements, getEvent, hookListStatements, hookStatement, insertHook, logListStatements, logStatement, updateHook,
  HOOK_EVENT_FLAGS, type BranchFilterStrategy, type HookEventFlag, type LogWithRequest, type WebHookRow, type WebHookValues,
} from '../db/web-hooks'
import { executeHook, INTERNAL_ERROR } from '../hooks/delivery'
import { sampleJobPayload, samplePipelinePayload, storeEvent, type HookTrigger } from '../hooks/fan-out'
import { invalidHookUrl, validBranchFilter } from '../hooks/rules'
import { openHook, openLog, sealHookValues } from '../hooks/secrets'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Bool, Int, OneOf, Str } from '../http/param-types'
import { validate, type RawParams } from '../http/params'
import { json } from '../http/response'
import { projectHook, webHookLog } from '../present/web-hook'
import { samplePushPayload } from '../services/push-hooks'
import type { ApiContext } from './context'

/**
 * GitLab's project webhooks API (lib/api/project_hooks.rb with lib/api/hooks/*.rb and
 * lib/api/helpers/web_hooks_helpers.rb): list, show, add, edit, delete, the hook's events
 * (web hook logs), resending one and testing a trigger. Every route is maintainer's
 * (`authorize_admin_project`); a project the caller cannot see is 404.
 */

const STRATEGIES = ['wildcard', 'regex', 'all_branches'] as const

const flagParams = Object.fromEntries(HOOK_EVENT_FLAGS.map((flag) => [flag, v.optional(Bool)])) as Record<HookEventFlag, v.OptionalSchema<typeof Bool, undefined>>

const HookProperties = {
  name: v.optional(Str),
  description: v.optional(Str),
  token: v.optional(Str),
  enable_ssl_verification: v.optional(Bool),
  push_events_branch_filter: v.optional(Str),
  branch_filter_strategy: v.optional(OneOf(STRATEGIES)),
  ...flagParams,
}

const CreateParams = v.looseObject({ id: Str, url: Str, ...HookProperties })
const UpdateParams = v.looseObject({ id: Str, hook_id: Int, url: v.optional(Str), ...HookProperties })
const HookParams = v.looseObject({ id: Str, hook_id: Int })

async function loadHook(c: ApiContext, raw: RawParams) {
  const params = validate(HookParams, raw)
  const ctx = await loadProject<[WebHookRow]>(c, params.id, (project) => [hookStatement(c.env.DB, project, params.hook_id)])
  authorize(ctx.access, 'admin_project')
  const hook = ctx.results[0].results[0]
  if (!hook) throw ApiError.notFound()
  return { ctx, hook }
}

/** GET /projects/:id/hooks */
export async function list(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(v.looseObject({ id: Str }), raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject<[WebHookRow, { n: number }]>(c, params.id, (project) => hookListStatements(c.env.DB, project, page.perPage + 1, page.offset))
  authorize(ctx.access, 'admin_project')
  const rows = ctx.results[0].results
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  const hooks = await Promise.all(rows.slice(0, page.perPage).map((hook) => openHook(c.env, hook)))
  return json(hooks.map((hook) => projectHook(hook, c.now)), { headers })
}

/** GET /projects/:id/hooks/:hook_id */
export async function show(c: ApiContext): Promise<Response> {
  const { hook } = await loadHook(c, await c.params())
  return json(projectHook(await openHook(c.env, hook), c.now))
}

/** The declared params that were given (Grape's declared_params(include_missing: false)). */
type HookInput = {
  url?: string
  name?: string
  description?: string
  token?: string
  enable_ssl_verification?: boolean
  push_events_branch_filter?: string
  branch_filter_strategy?: BranchFilterStrategy
} & Partial<Record<HookEventFlag, boolean>>

function hookValues(params: HookInput): WebHookValues {
  const values: WebHookValues = {}
  if (params.url !== undefined) values.url = params.url
  if (params.name !== undefined) values.name = params.name
  if (params.description !== undefined) values.description = params.description
  if (params.token !== undefined) values.token = params.token
  if (params.enable_ssl_verification !== undefined) values.enable_ssl_verification = params.enable_ssl_verification ? 1 : 0
  if (params.push_events_branch_filter !== undefined) values.push_events_branch_filter = params.push_events_branch_filter
  if (params.branch_filter_strategy !== undefined) values.branch_filter_strategy = params.branch_filter_strategy
  for (const flag of HOOK_EVENT_FLAGS) if (params[flag] !== undefined) values[flag] = params[flag] ? 1 : 0
  return values
}

/** save_hook's validation: any URL error is "Invalid url given", a bad filter "Invalid branch filter given" (422). */
async function checkHook(
  c: ApiContext,
  values: { url: string; filter: string | null; strategy: BranchFilterStrategy; name?: string; description?: string; token?: string | null },
): Promise<void> {
  const allowLocal = allowLocalWebHookRequests(await getLimitSettings(c.env.DB))
  if (invalidHookUrl(values.url, allowLocal)) throw ApiError.plain(422, 'Invalid url given')
  if (!validBranchFilter(values.filter, values.strategy)) throw ApiError.plain(422, 'Invalid branch filter given')
  // WebHook's length validations, rendered by render_validation_error! with 422.
  const errors: Record<string, string[]> = {}
  if ((values.name?.length ?? 0) > 255) errors.name = ['is too long (maximum is 255 characters)']
  if ((values.description?.length ?? 0) > 2048) errors.description = ['is too long (maximum is 2048 characters)']
  // validates :token, format: { without: /\n/ }
  if (values.token?.includes('\n')) errors.token = ['is invalid']
  if (Object.keys(errors).length > 0) throw ApiError.fieldErrors(errors, 422)
}

/** POST /projects/:id/hooks → 201 */
export async function create(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(CreateParams, raw)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'admin_project')
  const values = hookValues(params)
  const url = params.url.trim()
  await checkHook(c, {
    url, filter: values.push_events_branch_filter ?? null, strategy: values.branch_filter_strategy ?? 'wildcard', name: values.name ?? undefined,
    description: values.description ?? undefined, token: values.token,
  })
  const sealed = await sealHookValues(c.env, { ...values, url })
  const hook = await insertHook(c.env.DB, ctx.project.id, { ...sealed, url: sealed.url! }, c.now)
  return json(projectHook(await openHook(c.env, hook!), c.now), { status: 201 })
}

/** PUT /projects/:id/hooks/:hook_id → 200 */
export async function update(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(UpdateParams, raw)
  const { hook: stored } = await loadHook(c, raw)
  const hook = await openHook(c.env, stored)
  const values = hookValues(params)
  if (Object.keys(values).length === 0) throw ApiError.plain(400, 'No parameters provided')
  if (values.url !== undefined) values.url = values.url.trim()
  // WebHook#reset_token: a new URL without a new token drops the old token (it must not follow the URL).
  if (values.url !== undefined && values.url !== hook.url && values.token === undefined) values.token = null
  await checkHook(c, {
    url: values.url ?? hook.url,
    filter: values.push_events_branch_filter === undefined ? hook.push_events_branch_filter : values.push_events_branch_filter,
    strategy: values.branch_filter_strategy ?? hook.branch_filter_strategy,
    name: values.name ?? undefined,
    description: values.description ?? undefined,
    token: values.token,
  })
  const updated = await updateHook(c.env.DB, hook.id, await sealHookValues(c.env, values), c.now)
  if (!updated) throw ApiError.notFound()
  return json(projectHook(await openHook(c.env, updated), c.now))
}

/** DELETE /projects/:id/hooks/:hook_id → 204 (its events and logs go with it) */
export async function destroy(c: ApiContext): Promise<Response> {
  const { hook } = await loadHook(c, await c.params())
  await c.env.DB.batch(deleteHookStatements(c.env.DB, hook.id))
  return new Response(null, { status: 204 })
}

/** Rack::Utils::HTTP_STATUS_CODES, the values the events API's `status` accepts besides the three classes. */
const HTTP_CODES = [
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 425, 426,
  428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 511,
].map(String)
const STATUS_CLASSES: Record<string, [number, number]> = { successful: [200, 299], client_failure: [400, 499], server_failure: [500, 599] }
/** WebHookLog::MAX_RECENT_DAYS: the finder shows the last seven days. */
const RECENT_MS = 7 * 24 * 3600_000

const EventParams = v.looseObject({
  id: Str,
  hook_id: Int,
  per_page: v.optional(v.pipe(Int, v.check((n: number) => n >= 1 && n <= 20, 'does not have a valid value'))),
})

function statusFilter(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined
  const values = Array.isArray(raw) ? raw.map(String) : String(raw).split(',').map((part) => part.trim()).filter((part) => part !== '')
  if (!values.every((value) => HTTP_CODES.includes(value) || value in STATUS_CLASSES)) throw ApiError.invalid('status', 'does not have a valid value')
  return values
}

/** GET /projects/:id/hooks/:hook_id/events — the hook's logs, newest first, `per_page` 1..20. */
export async function events(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  validate(EventParams, raw)
  const status = statusFilter(raw.status)
  const page = parseOffsetPage(raw)
  const { hook } = await loadHook(c, raw)
  const codes: string[] = []
  const ranges: [number, number][] = []
  for (const value of status ?? []) {
    if (value in STATUS_CLASSES) ranges.push(STATUS_CLASSES[value]!)
    else codes.push(value)
    if (value === 'server_failure') codes.push('internal error')
  }
  const [rows, count] = await c.env.DB.batch(logListStatements(c.env.DB, hook.id, { codes, ranges, since: c.now - RECENT_MS }, page.perPage + 1, page.offset))
  const logs = rows.results as LogWithRequest[]
  const total = (count.results[0] as { n: number } | undefined)?.n ?? 0
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: logs.length > page.perPage, total })
  const opened = await Promise.all(logs.slice(0, page.perPage).map((log) => openLog(c.env, log)))
  return json(opened.map(webHookLog), { headers })
}

/** POST /projects/:id/hooks/:hook_id/events/:hook_log_id/resend → 201 {"response_status": …} (WebHooks::Events::ResendService) */
export async function resend(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(v.looseObject({ hook_log_id: Int }), raw)
  const { hook } = await loadHook(c, raw)
  const log = await logStatement(c.env.DB, hook.id, params.hook_log_id).first<LogWithRequest>()
  if (!log) throw ApiError.notFound()
  if ((await openLog(c.env, log)).url !== (await openHook(c.env, hook)).url) throw ApiError.withMessage(422, 'The hook URL has changed, and this log entry cannot be retried')
  const event = await getEvent(c.env.DB, log.event_id)
  if (!event) throw ApiError.notFound()
  const outcome = await executeHook(c.env, hook, event, { now: c.now, eventUuid: crypto.randomUUID() })
  if (outcome.kind === 'disabled') throw ApiError.withMessage(422, 'Hook disabled')
  if (outcome.status === INTERNAL_ERROR) throw ApiError.withMessage(422, outcome.errorMessage ?? 'internal error')
  return json({ response_status: Number(outcome.status) }, { status: 201 })
}

/** ProjectHook.triggers, as the test route names them. */
const TEST_TRIGGERS = [
  'push_events', 'tag_push_events', 'issues_events', 'confidential_issues_events', 'note_events', 'confidential_note_events',
  'merge_requests_events', 'job_events', 'pipeline_events', 'wiki_page_events', 'deployment_events', 'feature_flag_events',
  'releases_events', 'milestone_events', 'emoji_events', 'resource_access_token_events', 'vulnerability_events',
] as const

/** TestHooks::ProjectService's answers for samples edgejobs has nothing to build from. */
const NO_SAMPLE: Record<string, string> = {
  issues_events: 'Ensure the project has issues.',
  confidential_issues_events: 'Ensure the project has issues.',
  note_events: 'Ensure the project has notes.',
  confidential_note_events: 'Ensure the project has notes.',
  merge_requests_events: 'Ensure the project has merge requests.',
  wiki_page_events: 'Ensure the wiki is enabled and has pages.',
  deployment_events: 'Ensure the project has deployments.',
  releases_events: 'Ensure the project has releases.',
}

/** POST /projects/:id/hooks/:hook_id/test/:trigger → 201 when the receiver answers 2xx, else 422 (API::Hooks::TriggerTest). */
export async function test(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(v.looseObject({ trigger: OneOf(TEST_TRIGGERS) }), raw)
  const { ctx, hook } = await loadHook(c, raw)
  let trigger: HookTrigger
  let payload: unknown | null
  let missing: string
  switch (params.trigger) {
    case 'push_events':
    case 'tag_push_events':
      trigger = params.trigger === 'push_events' ? 'push_hooks' : 'tag_push_hooks'
      payload = await samplePushPayload(c.env, ctx.project, ctx.caller.user!)
      missing = 'Ensure the project has at least one commit.'
      break
    case 'job_events':
      trigger = 'job_hooks'
      payload = await sampleJobPayload(c.env, ctx.project.id, c.now)
      missing = 'Ensure the project has CI jobs.'
      break
    case 'pipeline_events':
      trigger = 'pipeline_hooks'
      payload = await samplePipelinePayload(c.env, ctx.project.id, c.now)
      missing = 'Ensure the project has CI pipelines.'
      break
    default:
      throw ApiError.withMessage(422, NO_SAMPLE[params.trigger] ?? 'Testing not available for this hook')
  }
  if (payload === null) throw ApiError.withMessage(422, missing)
  const event = await storeEvent(c.env, hook, trigger, payload, c.now)
  const outcome = await executeHook(c.env, hook, event, { now: c.now, force: true })
  if (outcome.kind === 'done' && /^2\d\d$/.test(outcome.status)) return json({ message: '201 Created' }, { status: 201 })
  throw ApiError.withMessage(422, outcome.kind === 'done' ? (outcome.errorMessage ?? outcome.body) : 'Hook disabled')
}
