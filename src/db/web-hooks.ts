/**
 * Project webhooks, the events made for them and the log of every delivery attempt (GitLab's
 * web_hooks, the payloads WebHookWorker carries, web_hook_logs).
 */

/** The event flags a hook has, in GitLab's column names (every one a 0/1 column of web_hooks). */
export const HOOK_EVENT_FLAGS = [
  'push_events', 'tag_push_events', 'merge_requests_events', 'repository_update_events', 'issues_events',
  'confidential_issues_events', 'note_events', 'confidential_note_events', 'pipeline_events', 'wiki_page_events',
  'deployment_events', 'feature_flag_events', 'job_events', 'releases_events', 'milestone_events', 'emoji_events',
  'resource_access_token_events', 'resource_deploy_token_events', 'vulnerability_events',
] as const
export type HookEventFlag = (typeof HOOK_EVENT_FLAGS)[number]

export type BranchFilterStrategy = 'wildcard' | 'regex' | 'all_branches'

export type WebHookRow = {
  id: number
  project_id: number
  url: string
  name: string | null
  description: string | null
  token: string | null
  enable_ssl_verification: number
  push_events_branch_filter: string | null
  branch_filter_strategy: BranchFilterStrategy
  recent_failures: number
  disabled_until: number | null
  created_at: number
  updated_at: number
} & Record<HookEventFlag, number>

/** What a create or update writes (absent keys keep their value or default). */
export type WebHookValues = Partial<
  Pick<WebHookRow, 'url' | 'name' | 'description' | 'token' | 'enable_ssl_verification' | 'push_events_branch_filter' | 'branch_filter_strategy' | HookEventFlag>
>

const WRITABLE = [
  'url', 'name', 'description', 'token', 'enable_ssl_verification', 'push_events_branch_filter', 'branch_filter_strategy', ...HOOK_EVENT_FLAGS,
] as const

/** `project`: the SQL value of the project's id (a bind or a subquery), as loadProject gives it. */
export function hookListStatements(db: D1Database, project: { sql: string; value: string | number }, limit: number, offset: number): D1PreparedStatement[] {
  return [
    db.prepare(`SELECT * FROM web_hooks WHERE project_id = ${project.sql} ORDER BY id LIMIT ? OFFSET ?`).bind(project.value, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM web_hooks WHERE project_id = ${project.sql}`).bind(project.value),
  ]
}

export function hookStatement(db: D1Database, project: { sql: string; value: string | number }, hookId: number): D1PreparedStatement {
  return db.prepare(`SELECT * FROM web_hooks WHERE project_id = ${project.sql} AND id = ?`).bind(project.value, hookId)
}

export function insertHook(db: D1Database, projectId: number, values: WebHookValues & { url: string }, now: number): Promise<WebHookRow | null> {
  const keys = WRITABLE.filter((key) => values[key] !== undefined)
  const columns = ['project_id', ...keys, 'created_at', 'updated_at']
  const binds = [projectId, ...keys.map((key) => values[key] ?? null), now, now]
  return db
    .prepare(`INSERT INTO web_hooks (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) RETURNING *`)
    .bind(...binds)
    .first<WebHookRow>()
}

export function updateHook(db: D1Database, hookId: number, values: WebHookValues, now: number): Promise<WebHookRow | null> {
  const keys = WRITABLE.filter((key) => values[key] !== undefined)
  const sets = [...keys.map((key) => `${key} = ?`), 'updated_at = ?']
  return db
    .prepare(`UPDATE web_hooks SET ${sets.join(', ')} WHERE id = ? RETURNING *`)
    .bind(...keys.map((key) => values[key] ?? null), now, hookId)
    .first<WebHookRow>()
}

/** WebHooks::DestroyService: the hook with its events and logs. */
export function deleteHookStatements(db: D1Database, hookId: number): D1PreparedStatement[] {
  return [
    db.prepare('DELETE FROM web_hook_logs WHERE hook_id = ?').bind(hookId),
    db.prepare('DELETE FROM web_hook_events WHERE hook_id = ?').bind(hookId),
    db.prepare('DELETE FROM web_hooks WHERE id = ?').bind(hookId),
  ]
}

/** The project's hooks listening to `flag` (the fan-out reads them; executability is the deliverer's). */
export function hooksForEventStatement(db: D1Database, projectId: number, flag: HookEventFlag): D1PreparedStatement {
  return db.prepare(`SELECT * FROM web_hooks WHERE project_id = ? AND ${flag} = 1 ORDER BY id`).bind(projectId)
}

export interface WebHookEventRow {
  id: number
  hook_id: number
  trigger: string
  request_data: string
  event_uuid: string
  idempotency_key: string
  created_at: number
}

export interface NewWebHookEvent {
  hookId: number
  trigger: string
  requestData: string
  eventUuid: string
  idempotencyKey: string
}

export function insertEventStatement(db: D1Database, event: NewWebHookEvent, now: number): D1PreparedStatement {
  return db
    .prepare('INSERT INTO web_hook_events (hook_id, trigger, request_data, event_uuid, idempotency_key, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id')
    .bind(event.hookId, event.trigger, event.requestData, event.eventUuid, event.idempotencyKey, now)
}

/** An event with its hook, in one round trip (the hook may have been deleted since). */
export async function eventWithHook(db: D1Database, eventId: number): Promise<{ event: WebHookEventRow; hook: WebHookRow } | null> {
  const [events, hooks] = await db.batch([
    db.prepare('SELECT * FROM web_hook_events WHERE id = ?').bind(eventId),
    db.prepare('SELECT h.* FROM web_hooks h JOIN web_hook_events e ON e.hook_id = h.id WHERE e.id = ?').bind(eventId),
  ])
  const event = events.results[0] as WebHookEventRow | undefined
  const hook = hooks.results[0] as WebHookRow | undefined
  return event && hook ? { event, hook } : null
}

export interface WebHookLogRow {
  id: number
  hook_id: number
  event_id: number
  trigger: string
  url: string
  request_headers: string
  response_status: string
  response_headers: string
  response_body: string
  execution_duration: number
  internal_error_message: string | null
  created_at: number
}

export type NewWebHookLog = Omit<WebHookLogRow, 'id'>

export function insertLogStatement(db: D1Database, log: NewWebHookLog): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO web_hook_logs (hook_id, event_id, trigger, url, request_headers, response_status, response_headers, response_body,
         execution_duration, internal_error_message, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    )
    .bind(
      log.hook_id, log.event_id, log.trigger, log.url, log.request_headers, log.response_status, log.response_headers, log.response_body,
      log.execution_duration, log.internal_error_message, log.created_at,
    )
}

/** WebHooks::AutoDisabling#enable!: a delivery that worked clears the failures. */
export function hookSucceededStatement(db: D1Database, hookId: number): D1PreparedStatement {
  return db.prepare('UPDATE web_hooks SET recent_failures = 0, disabled_until = NULL WHERE id = ? AND (recent_failures != 0 OR disabled_until IS NOT NULL)').bind(hookId)
}

/**
 * WebHooks::AutoDisabling#backoff!, in one statement so that deliveries failing together all
 * count: an executable hook counts one more failure (at most 40); past the third it is disabled
 * for 1 minute × 2^(failures before this one − 3), at most a day. SET reads the old row.
 */
export function hookFailedStatement(db: D1Database, hookId: number, now: number, thresholds: { temporary: number; permanent: number }): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE web_hooks SET
         recent_failures = MIN(recent_failures + 1, ?3 + 1),
         disabled_until = CASE WHEN recent_failures + 1 > ?2 THEN ?4 + MIN(MAX(60000 << (recent_failures - ?2), 60000), 86400000) ELSE disabled_until END
       WHERE id = ?1 AND (recent_failures <= ?2 OR (disabled_until IS NOT NULL AND disabled_until < ?4)) AND recent_failures <= ?3`,
    )
    .bind(hookId, thresholds.temporary, thresholds.permanent, now)
}

export type LogWithRequest = WebHookLogRow & { request_data: string }

/**
 * WebHookLogsFinder: the hook's logs of the last `sinceMs`, newest first, filtered by status
 * codes (exact codes, ranges, and `internal error` for server failures).
 */
export function logListStatements(
  db: D1Database, hookId: number, filter: { codes: string[]; ranges: [number, number][]; since: number }, limit: number, offset: number,
): D1PreparedStatement[] {
  const clauses: string[] = []
  const binds: (string | number)[] = []
  for (const code of filter.codes) {
    clauses.push('l.response_status = ?')
    binds.push(code)
  }
  for (const [low, high] of filter.ranges) {
    clauses.push("(l.response_status GLOB '[0-9]*' AND CAST(l.response_status AS INTEGER) BETWEEN ? AND ?)")
    binds.push(low, high)
  }
  const status = clauses.length > 0 ? `AND (${clauses.join(' OR ')})` : ''
  const where = `l.hook_id = ? AND l.created_at >= ? ${status}`
  return [
    db
      .prepare(`SELECT l.*, e.request_data FROM web_hook_logs l JOIN web_hook_events e ON e.id = l.event_id WHERE ${where} ORDER BY l.id DESC LIMIT ? OFFSET ?`)
      .bind(hookId, filter.since, ...binds, limit, offset),
    db.prepare(`SELECT COUNT(*) AS n FROM web_hook_logs l WHERE ${where}`).bind(hookId, filter.since, ...binds),
  ]
}

export function logStatement(db: D1Database, hookId: number, logId: number): D1PreparedStatement {
  return db.prepare('SELECT l.*, e.request_data FROM web_hook_logs l JOIN web_hook_events e ON e.id = l.event_id WHERE l.hook_id = ? AND l.id = ?').bind(hookId, logId)
}

export function getEvent(db: D1Database, eventId: number): Promise<WebHookEventRow | null> {
  return db.prepare('SELECT * FROM web_hook_events WHERE id = ?').bind(eventId).first<WebHookEventRow>()
}
