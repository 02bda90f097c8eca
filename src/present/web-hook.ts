import { HOOK_EVENT_FLAGS, type LogWithRequest, type WebHookRow } from '../db/web-hooks'
import { isoTime } from './time'

/** WebHooks::AutoDisabling thresholds (app/models/concerns/web_hooks/auto_disabling.rb). */
export const TEMPORARILY_DISABLED_FAILURE_THRESHOLD = 3
export const PERMANENTLY_DISABLED_FAILURE_THRESHOLD = 39

export type AlertStatus = 'executable' | 'temporarily_disabled' | 'disabled'

/** WebHooks::AutoDisabling#alert_status. */
export function alertStatus(hook: Pick<WebHookRow, 'recent_failures' | 'disabled_until'>, now: number): AlertStatus {
  const failures = hook.recent_failures
  if (hook.disabled_until !== null && hook.disabled_until >= now && failures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD && failures <= PERMANENTLY_DISABLED_FAILURE_THRESHOLD) {
    return 'temporarily_disabled'
  }
  if (failures > PERMANENTLY_DISABLED_FAILURE_THRESHOLD || (failures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD && hook.disabled_until === null)) return 'disabled'
  return 'executable'
}

/**
 * Entities::ProjectHook (on Entities::Hook). The token is never shown; URL variables, custom
 * headers and custom templates are not kept here, so they show empty.
 */
export function projectHook(hook: WebHookRow, now: number) {
  const flags = Object.fromEntries(HOOK_EVENT_FLAGS.map((flag) => [flag, hook[flag] === 1]))
  return {
    id: hook.id,
    url: hook.url,
    name: hook.name,
    description: hook.description,
    created_at: isoTime(hook.created_at),
    push_events: flags.push_events,
    tag_push_events: flags.tag_push_events,
    merge_requests_events: flags.merge_requests_events,
    repository_update_events: flags.repository_update_events,
    enable_ssl_verification: hook.enable_ssl_verification === 1,
    alert_status: alertStatus(hook, now),
    disabled_until: isoTime(hook.disabled_until),
    url_variables: [],
    push_events_branch_filter: hook.push_events_branch_filter,
    branch_filter_strategy: hook.branch_filter_strategy,
    custom_webhook_template: null,
    custom_headers: [],
    project_id: hook.project_id,
    issues_events: flags.issues_events,
    confidential_issues_events: flags.confidential_issues_events,
    note_events: flags.note_events,
    confidential_note_events: flags.confidential_note_events,
    pipeline_events: flags.pipeline_events,
    wiki_page_events: flags.wiki_page_events,
    deployment_events: flags.deployment_events,
    feature_flag_events: flags.feature_flag_events,
    job_events: flags.job_events,
    releases_events: flags.releases_events,
    milestone_events: flags.milestone_events,
    emoji_events: flags.emoji_events,
    resource_access_token_events: flags.resource_access_token_events,
    resource_deploy_token_events: flags.resource_deploy_token_events,
    vulnerability_events: flags.vulnerability_events,
  }
}

/** Entities::WebHookLog. */
export function webHookLog(log: LogWithRequest) {
  return {
    id: log.id,
    url: log.url,
    trigger: log.trigger,
    request_headers: JSON.parse(log.request_headers) as Record<string, string>,
    request_data: JSON.parse(log.request_data) as unknown,
    response_headers: JSON.parse(log.response_headers) as Record<string, string>,
    response_body: log.response_body,
    execution_duration: log.execution_duration,
    response_status: log.response_status,
    created_at: isoTime(log.created_at),
  }
}
