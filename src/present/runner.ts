import { isoTime } from './time'

/** A runner is online when it contacted us within 2 hours (Ci::Runner::ONLINE_CONTACT_TIMEOUT). */
const ONLINE_CONTACT_TIMEOUT_MS = 2 * 60 * 60 * 1000

export interface RunnerSource {
  id: number
  description: string
  runner_type: string
  paused: number
  created_at: number
  contacted_at: number | null
}

export interface RunnerManagerSource {
  id: number
  system_id: string
  version: string | null
  revision: string | null
  platform: string | null
  architecture: string | null
  created_at: number
  contacted_at: number | null
  ip_address: string | null
}

function contactStatus(contactedAt: number | null, now: number): 'online' | 'offline' | 'never_contacted' {
  if (contactedAt === null) return 'never_contacted'
  return now - contactedAt <= ONLINE_CONTACT_TIMEOUT_MS ? 'online' : 'offline'
}

/** Runner (lib/api/entities/ci/runner.rb). */
export function runner(r: RunnerSource, now: number, executing: boolean) {
  const status = r.paused ? 'paused' : contactStatus(r.contacted_at, now)
  return {
    id: r.id,
    description: r.description,
    ip_address: null,
    active: r.paused === 0,
    paused: r.paused === 1,
    is_shared: r.runner_type === 'instance_type',
    runner_type: r.runner_type,
    name: 'gitlab-runner',
    online: contactStatus(r.contacted_at, now) === 'online',
    created_at: isoTime(r.created_at),
    status,
    job_execution_status: executing ? 'active' : 'idle',
  }
}

/** RunnerManager (lib/api/entities/ci/runner_manager.rb). */
export function runnerManager(m: RunnerManagerSource, now: number, executing: boolean) {
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
    status: contactStatus(m.contacted_at, now),
    job_execution_status: executing ? 'active' : 'idle',
  }
}
