/**
 * Every `failure_reason` GitLab knows (state-machine.md §4), in enum order. The runner is told
 * this list in `features.failure_reasons` and must be able to send any of them back.
 * Source: gitlabhq app/models/concerns/enums/ci/commit_status.rb (`failure_reasons`).
 */
export const FAILURE_REASONS: readonly string[] = [
  'unknown_failure',
  'script_failure',
  'api_failure',
  'stuck_or_timeout_failure',
  'runner_system_failure',
  'missing_dependency_failure',
  'runner_unsupported',
  'stale_schedule',
  'job_execution_timeout',
  'archived_failure',
  'unmet_prerequisites',
  'scheduler_failure',
  'data_integrity_failure',
  'forward_deployment_failure',
  'user_blocked',
  'project_deleted',
  'ci_quota_exceeded',
  'pipeline_loop_detected',
  'no_matching_runner',
  'trace_size_exceeded',
  'builds_disabled',
  'environment_creation_failure',
  'deployment_rejected',
  'failed_outdated_deployment_job',
  'job_execution_server_timeout',
  'stuck_pending_with_matching_runners',
  'stuck_pending_no_matching_runners',
  'no_updates_running',
  'no_updates_canceling',
  'server_timeout_running',
  'server_timeout_canceling',
  'runner_configuration_error',
  'runner_external_dependency_failure',
  'runner_interrupted',
  'protected_environment_failure',
  'insufficient_bridge_permissions',
  'downstream_bridge_project_not_found',
  'invalid_bridge_trigger',
  'upstream_bridge_project_not_found',
  'insufficient_upstream_permissions',
  'bridge_pipeline_is_child_pipeline',
  'downstream_pipeline_creation_failed',
  'secrets_provider_not_found',
  'reached_max_descendant_pipelines_depth',
  'ip_restriction_failure',
  'reached_max_pipeline_hierarchy_size',
  'reached_downstream_pipeline_trigger_rate_limit',
  'duo_workflow_not_allowed',
  'job_router_failure',
  'job_token_expired',
  'id_token_burned_project_path',
  'downstream_project_trigger_resolved_to_empty',
]

const KNOWN = new Set(FAILURE_REASONS)

/**
 * Legacy reasons that were split into finer ones keep matching them in `retry:when`.
 * Source: commit_status.rb enum `failure_reason_aliases`.
 */
export const FAILURE_REASON_ALIASES: Readonly<Record<string, readonly string[]>> = {
  stuck_or_timeout_failure: [
    'stuck_pending_with_matching_runners',
    'stuck_pending_no_matching_runners',
    'no_updates_running',
    'no_updates_canceling',
  ],
  job_execution_timeout: ['server_timeout_running', 'server_timeout_canceling'],
}

/** Reasons a retry cannot fix (commit_status.rb `unrecoverable_failure?`). */
const UNRECOVERABLE = new Set([
  'script_failure',
  'missing_dependency_failure',
  'archived_failure',
  'scheduler_failure',
  'data_integrity_failure',
])

export function isFailureReason(reason: string): boolean {
  return KNOWN.has(reason)
}

/** GitLab stores an unrecognised reason as nil, which reads back as `unknown_failure`. */
export function normalizeFailureReason(reason: string | null | undefined): string {
  return reason != null && KNOWN.has(reason) ? reason : 'unknown_failure'
}

/** `recoverable?` for a failed job with this reason. */
export function isRecoverable(reason: string | null): boolean {
  return !UNRECOVERABLE.has(normalizeFailureReason(reason))
}
