import { ONLINE_CONTACT_TIMEOUT_MS } from '../db/runner-queue'
import type { UserRow } from '../db/users'
import { isoTime } from './time'
import { userBasic } from './user'

import { STALE_TIMEOUT_MS, type ManagerRow, type RunnerViewRow } from '../db/runner-lists'
import type { ProjectRow } from '../db/projects'
import { basicProjectDetails } from './project'

export interface RunnerSource {
  id: number
  description: string
  runner_type: string
  paused: number
  created_at: number
  contacted_at: number | null
  /** 'glrt-' for runners created through the API; anything else was registered with a token. */
  token_prefix?: string
  /** The creating user, when the runner has one. */
  created_by?: UserRow | null
}

/** A runner manager as its row has it (db/runner-lists' ManagerRow), without the `executing` flag. */
export type RunnerManagerSource = Omit<ManagerRow, 'executing'>

interface Contact {
  created_at: number
  contacted_at: number | null
}

/** HasRunnerStatus#online?: contacted_at > 2 hours ago (strictly). */
function isOnline(subject: Contact, now: number): boolean {
  return subject.contacted_at !== null && subject.contacted_at > now - ONLINE_CONTACT_TIMEOUT_MS
}

/** HasRunnerStatus#stale?: the later of creation and last contact is 7 days old or more. */
function isStale(subject: Contact, now: number): boolean {
  return Math.max(subject.created_at, subject.contacted_at ?? 0) <= now - STALE_TIMEOUT_MS
}

/**
 * Ci::Runner#deprecated_rest_status, what the REST entity shows as `status`: stale first, then
 * never_contacted (even when paused), then paused, then online/offline.
 */
function runnerStatus(r: RunnerSource, now: number): 'stale' | 'never_contacted' | 'paused' | 'online' | 'offline' {
  if (isStale(r, now)) return 'stale'
  if (r.contacted_at === null) return 'never_contacted'
  if (r.paused) return 'paused'
  return isOnline(r, now) ? 'online' : 'offline'
}

/** Runner (lib/api/entities/ci/runner.rb). */
export function runner(r: RunnerSource, now: number, executing: boolean, externalUrl: string) {
  return {
    id: r.id,
    description: r.description,
    ip_address: null,
    active: r.paused === 0,
    paused: r.paused === 1,
    is_shared: r.runner_type === 'instance_type',
    runner_type: r.runner_type,
    // Registration stores the `info.name` gitlab-runner sends; runners created through the API have none.
    name: r.token_prefix === undefined || r.token_prefix === 'glrt-' ? null : 'gitlab-runner',
    online: isOnline(r, now),
    // Exposed only when the runner has a creator (Ability :read_user on runner.creator).
    ...(r.created_by ? { created_by: userBasic(r.created_by, externalUrl) } : {}),
    created_at: isoTime(r.created_at),
    status: runnerStatus(r, now),
    job_execution_status: executing ? 'active' : 'idle',
  }
}

/** RunnerManager (lib/api/entities/ci/runner_manager.rb); status from Ci::HasRunnerStatus. */
export function runnerManager(m: RunnerManagerSource, now: number, executing: boolean) {
  let status: 'stale' | 'never_contacted' | 'online' | 'offline'
  if (isStale(m, now)) status = 'stale'
  else if (m.contacted_at === null) status = 'never_contacted'
  else status = isOnline(m, now) ? 'online' : 'offline'
  return {
    id: m.id,
    system_id: m.system_id,
    version: m.version,
    revision: m.revision,
    platform: m.platform,
    architecture: m.architecture,
    created_at: isoTime(m.created_at),
    contacted_at: isoTime(m.contacted_at),
    ip_address: m.ip_address,
    status,
    job_execution_status: executing ? 'active' : 'idle',
  }
}

/** The Runner entity of a runner read with its view (db/runner-lists.ts). */
export function runnerOfView(row: RunnerViewRow, now: number, externalUrl: string) {
  const createdBy = row.created_by_json ? (JSON.parse(row.created_by_json) as UserRow) : null
  return runner({ ...row, created_by: createdBy }, now, row.executing === 1, externalUrl)
}

/**
 * RunnerDetails (lib/api/entities/ci/runner_details.rb): Runner plus its settings, the version and
 * platform of its most recently contacted manager, the maintenance note for those who may update
 * it, and the projects (`projects` the caller may see; no groups here).
 */
export function runnerDetails(row: RunnerViewRow, options: { now: number; externalUrl: string; mayUpdate: boolean; projects: ProjectRow[] }) {
  return {
    ...runnerOfView(row, options.now, options.externalUrl),
    tag_list: JSON.parse(row.tag_list) as string[],
    run_untagged: row.run_untagged === 1,
    locked: row.locked === 1,
    maximum_timeout: row.maximum_timeout,
    access_level: row.access_level,
    version: row.m_version,
    revision: row.m_revision,
    platform: row.m_platform,
    architecture: row.m_architecture,
    contacted_at: isoTime(row.contacted_at),
    maintenance_note: options.mayUpdate ? row.maintenance_note : null,
    projects: options.projects.map((project) => basicProjectDetails(project, options.externalUrl)),
    groups: [],
  }
}
