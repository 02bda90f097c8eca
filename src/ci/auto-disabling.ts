/**
 * WebHooks::AutoDisabling (app/models/concerns/web_hooks/auto_disabling.rb): a project hook past
 * three failures in a row is temporarily disabled until `disabled_until`; past forty it stays
 * disabled. The counting itself is one SQL statement (db/web-hooks.ts hookFailedStatement).
 */
export const TEMPORARILY_DISABLED_FAILURE_THRESHOLD = 3
export const PERMANENTLY_DISABLED_FAILURE_THRESHOLD = 39

export type AlertStatus = 'executable' | 'temporarily_disabled' | 'disabled'

/** WebHooks::AutoDisabling#alert_status. */
export function alertStatus(hook: { recent_failures: number; disabled_until: number | null }, now: number): AlertStatus {
  const failures = hook.recent_failures
  if (hook.disabled_until !== null && hook.disabled_until >= now && failures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD && failures <= PERMANENTLY_DISABLED_FAILURE_THRESHOLD) {
    return 'temporarily_disabled'
  }
  if (failures > PERMANENTLY_DISABLED_FAILURE_THRESHOLD || (failures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD && hook.disabled_until === null)) return 'disabled'
  return 'executable'
}

