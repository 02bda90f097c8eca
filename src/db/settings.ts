/**
 * Instance-wide limits (GitLab's application settings; one row, NULL = default). Sizes are in MB
 * as in GitLab and mean MiB here.
 */
export interface LimitSettings {
  max_artifacts_size: number | null
  ci_jobs_trace_size_limit: number | null
  /** 1 lets webhooks reach loopback and private addresses (GitLab's default: false). */
  allow_local_requests_from_web_hooks_and_services: number | null
}

const COLUMNS = 'max_artifacts_size, ci_jobs_trace_size_limit, allow_local_requests_from_web_hooks_and_services'
const NONE: LimitSettings = { max_artifacts_size: null, ci_jobs_trace_size_limit: null, allow_local_requests_from_web_hooks_and_services: null }

/** GitLab's defaults: `max_artifacts_size` 100 MB; the `ci_jobs_trace_size_limit` plan limit 100 MB. */
export const DEFAULT_MAX_ARTIFACTS_SIZE_MB = 100
export const DEFAULT_TRACE_SIZE_LIMIT_MB = 100

const MIB = 1024 * 1024

export function artifactsLimitBytes(mb: number | null): number {
  return (mb ?? DEFAULT_MAX_ARTIFACTS_SIZE_MB) * MIB
}

export function traceLimitBytes(mb: number | null): number {
  return (mb ?? DEFAULT_TRACE_SIZE_LIMIT_MB) * MIB
}

export async function getLimitSettings(db: D1Database): Promise<LimitSettings> {
  const row = await settingsStatement(db).first<LimitSettings>()
  return row ?? NONE
}

/** The settings row, for reading in another statement's batch (no row: every default). */
export function settingsStatement(db: D1Database): D1PreparedStatement {
  return db.prepare(`SELECT ${COLUMNS} FROM application_settings WHERE id = 1`)
}

export function allowLocalWebHookRequests(settings: LimitSettings | null | undefined): boolean {
  return settings?.allow_local_requests_from_web_hooks_and_services === 1
}

export async function updateLimitSettings(db: D1Database, changes: Partial<LimitSettings>, now: number): Promise<LimitSettings> {
  const current = await getLimitSettings(db)
  const next = { ...current, ...changes }
  await db
    .prepare(
      `INSERT INTO application_settings (id, ${COLUMNS}, updated_at) VALUES (1, ?1, ?2, ?3, ?4)
       ON CONFLICT (id) DO UPDATE SET max_artifacts_size = ?1, ci_jobs_trace_size_limit = ?2,
         allow_local_requests_from_web_hooks_and_services = ?3, updated_at = ?4`,
    )
    .bind(next.max_artifacts_size, next.ci_jobs_trace_size_limit, next.allow_local_requests_from_web_hooks_and_services, now)
    .run()
  return next
}
