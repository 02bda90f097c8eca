import type { PipelineRow } from '../db/pipelines'
import type { UserRow } from '../db/users'
import { isoTime } from './time'
import { user as presentUser } from './user'

/** The fields PipelineBasic needs; a PipelineRow or the JSON a job view carries. */
export interface PipelineBasicSource {
  id: number
  iid: number
  project_id: number
  sha: string
  ref: string
  status: string
  source: string
  created_at: number
  updated_at: number
}

/** PipelineBasic (lib/api/entities/ci/pipeline_basic.rb). */
export function pipelineBasic(p: PipelineBasicSource, projectFullPath: string, externalUrl: string) {
  return {
    id: p.id,
    iid: p.iid,
    project_id: p.project_id,
    sha: p.sha,
    ref: p.ref,
    status: p.status,
    source: p.source,
    created_at: isoTime(p.created_at),
    updated_at: isoTime(p.updated_at),
    web_url: `${externalUrl}/${projectFullPath}/-/pipelines/${p.id}`,
  }
}

/** Pipeline (lib/api/entities/ci/pipeline.rb): PipelineBasic + details, for the single GET. */
export function pipeline(
  p: PipelineRow,
  related: { projectFullPath: string; user: UserRow | null; committedAt: number | null; yamlErrors?: string | null },
  externalUrl: string,
) {
  return {
    ...pipelineBasic(p, related.projectFullPath, externalUrl),
    before_sha: p.before_sha,
    tag: p.tag === 1,
    yaml_errors: related.yamlErrors ?? null,
    user: related.user ? presentUser(related.user, externalUrl) : null,
    started_at: isoTime(p.started_at),
    finished_at: isoTime(p.finished_at),
    committed_at: isoTime(related.committedAt),
    duration: p.duration,
    queued_duration: p.queued_duration,
    coverage: p.coverage,
    detailed_status: detailedStatus(p.status, `${externalUrl}/${related.projectFullPath}/-/pipelines/${p.id}`),
    archived: false,
  }
}

const STATUS_TEXT: Record<string, { text: string; label: string; icon: string; group: string }> = {
  created: { text: 'Created', label: 'created', icon: 'status_created', group: 'created' },
  waiting_for_resource: { text: 'Waiting', label: 'waiting for resource', icon: 'status_pending', group: 'waiting-for-resource' },
  preparing: { text: 'Preparing', label: 'preparing', icon: 'status_preparing', group: 'preparing' },
  waiting_for_callback: { text: 'Waiting', label: 'waiting for callback', icon: 'status_pending', group: 'waiting-for-callback' },
  pending: { text: 'Pending', label: 'pending', icon: 'status_pending', group: 'pending' },
  running: { text: 'Running', label: 'running', icon: 'status_running', group: 'running' },
  success: { text: 'Passed', label: 'passed', icon: 'status_success', group: 'success' },
  failed: { text: 'Failed', label: 'failed', icon: 'status_failed', group: 'failed' },
  canceling: { text: 'Canceling', label: 'canceling', icon: 'status_canceled', group: 'canceling' },
  canceled: { text: 'Canceled', label: 'canceled', icon: 'status_canceled', group: 'canceled' },
  skipped: { text: 'Skipped', label: 'skipped', icon: 'status_skipped', group: 'skipped' },
  manual: { text: 'Blocked', label: 'waiting for manual action', icon: 'status_manual', group: 'manual' },
  scheduled: { text: 'Scheduled', label: 'waiting for delayed job', icon: 'status_scheduled', group: 'scheduled' },
}

function detailedStatus(status: string, detailsPath: string) {
  const s = STATUS_TEXT[status] ?? STATUS_TEXT.created
  return {
    icon: s.icon,
    text: s.text,
    label: s.label,
    group: s.group,
    tooltip: s.label,
    has_details: true,
    details_path: new URL(detailsPath).pathname,
    illustration: null,
    favicon: `/assets/ci_favicons/favicon_${s.icon}.png`,
  }
}
