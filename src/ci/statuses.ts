/**
 * Statuses and the named sets GitLab groups them into (app/models/concerns/ci/has_status.rb;
 * state-machine.md §1).
 */
export const AVAILABLE_STATUSES = [
  'created',
  'waiting_for_resource',
  'preparing',
  'waiting_for_callback',
  'pending',
  'running',
  'success',
  'failed',
  'canceling',
  'canceled',
  'skipped',
  'manual',
  'scheduled',
] as const

export type JobStatus = (typeof AVAILABLE_STATUSES)[number]

export const ACTIVE_STATUSES: readonly JobStatus[] = ['waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running']
export const COMPLETED_STATUSES: readonly JobStatus[] = ['success', 'failed', 'canceled', 'skipped']
export const BLOCKED_STATUSES: readonly JobStatus[] = ['manual', 'scheduled']
export const STOPPED_STATUSES: readonly JobStatus[] = [...COMPLETED_STATUSES, ...BLOCKED_STATUSES]
export const EXECUTING_STATUSES: readonly JobStatus[] = ['running', 'canceling']
export const ALIVE_STATUSES: readonly JobStatus[] = ['created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running', 'canceling']
export const CANCELABLE_STATUSES: readonly JobStatus[] = ['created', 'waiting_for_resource', 'preparing', 'waiting_for_callback', 'pending', 'running', 'scheduled']

/** The statuses a build's log is archived and its token dropped on (after_transition any => [:success, :failed, :canceled]). */
export const FINISHED_STATUSES: readonly JobStatus[] = ['success', 'failed', 'canceled']

/** Running or canceling: on a runner, its job token alive. */
export function isExecuting(status: string | null | undefined): boolean {
  return (EXECUTING_STATUSES as readonly (string | null | undefined)[]).includes(status)
}

export function isFinished(status: string | null | undefined): boolean {
  return (FINISHED_STATUSES as readonly (string | null | undefined)[]).includes(status)
}

export function isStatus(value: string): value is JobStatus {
  return (AVAILABLE_STATUSES as readonly string[]).includes(value)
}

export function isCompleted(status: string): boolean {
  return (COMPLETED_STATUSES as readonly string[]).includes(status)
}
