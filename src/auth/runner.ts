import type { Env } from '../env'
import { findRunnerByDigest, touchRunnerStatement, upsertManagerStatement, type AuthenticatedRunnerRow, type ManagerInfo, type RunnerRow } from '../db/runners'
import { ApiError } from '../http/errors'
import { digestsEqual, tokenDigest } from './tokens'

/**
 * Runner-token authentication (lib/api/ci/helpers/runner.rb `authenticate_runner!`): the body's
 * `token` must be a runner's token (403 otherwise), and the call is a heartbeat that refreshes the
 * runner and the manager of the calling machine (`system_id`, `info`).
 */
export interface AuthenticatedRunner {
  runner: RunnerRow
  /** The calling machine's runner manager; null when the request carried no system_id. */
  managerId: number | null
}

/**
 * GitLab persists heartbeats only every 40–55 minutes; we write at most once a minute per
 * machine, and at once when what the runner reports (version, features…) changed.
 */
const HEARTBEAT_WRITE_INTERVAL_MS = 60_000

export async function authenticateRunner(
  env: Env,
  request: Request,
  params: Record<string, unknown>,
  options: { heartbeat?: boolean } = {},
): Promise<AuthenticatedRunner> {
  // `requires :token` (lib/api/ci/runner.rb): Grape validates before the endpoint authenticates.
  if (params.token === undefined) throw ApiError.invalid('token', 'is missing')
  const token = typeof params.token === 'string' ? params.token : ''
  if (!token) throw ApiError.forbidden()
  const systemId = typeof params.system_id === 'string' && params.system_id !== '' ? params.system_id : null
  const digest = await tokenDigest(token)
  const row = await findRunnerByDigest(env.DB, digest, systemId ?? '')
  if (!row || !digestsEqual(row.token_digest, digest)) throw ApiError.forbidden()
  if (options.heartbeat === false) return { runner: row, managerId: row.m_id }
  const info = systemId ? managerInfo(systemId, params.info, request) : null
  return { runner: row, managerId: await heartbeat(env, row, info, Date.now()) }
}

async function heartbeat(env: Env, row: AuthenticatedRunnerRow, info: ManagerInfo | null, now: number): Promise<number | null> {
  const runnerStale = row.contacted_at === null || now - row.contacted_at >= HEARTBEAT_WRITE_INTERVAL_MS
  if (!info) {
    if (runnerStale) await touchRunnerStatement(env.DB, row.id, now).run()
    return null
  }
  const managerStale = row.m_id === null || row.m_contacted_at === null || now - row.m_contacted_at >= HEARTBEAT_WRITE_INTERVAL_MS
  if (!managerStale && !runnerStale && !infoChanged(row, info)) return row.m_id
  const [upserted] = await env.DB.batch<{ id: number }>([
    upsertManagerStatement(env.DB, row.id, info, now),
    touchRunnerStatement(env.DB, row.id, now),
  ])
  return upserted.results[0]?.id ?? row.m_id
}

function infoChanged(row: AuthenticatedRunnerRow, info: ManagerInfo): boolean {
  const changed = (stored: string | null, reported: string | null) => reported !== null && reported !== stored
  return (
    changed(row.m_version, info.version) || changed(row.m_revision, info.revision) || changed(row.m_platform, info.platform) ||
    changed(row.m_architecture, info.architecture) || changed(row.m_executor, info.executor) || changed(row.m_features, info.features)
  )
}

/** `info` as the runner sends it (common/network.go VersionInfo); unknown shapes are ignored. */
function managerInfo(systemId: string, raw: unknown, request: Request): ManagerInfo {
  const info = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {}
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null)
  const features = info.features !== null && typeof info.features === 'object' && !Array.isArray(info.features) ? JSON.stringify(info.features) : null
  return {
    system_id: systemId,
    version: text(info.version),
    revision: text(info.revision),
    platform: text(info.platform),
    architecture: text(info.architecture),
    executor: text(info.executor),
    features,
    ip_address: request.headers.get('CF-Connecting-IP'),
  }
}
