import type { Env } from '../env'
import { configOf } from '../config'
import { AccessLevel } from '../auth/policy'
import type { ConfigSources, ProjectHandle, RemoteResult } from '../ci/config/sources'
import { projectByPathWithAccess, type ProjectRow } from '../db/projects'
import { readBounded } from '../http/body'
import { gitRepository } from './ci-repository'
import { blockedReason } from '../http/url-blocker'

export { blockedReason }

/**
 * The ConfigSources pipeline creation gives the config parser: the repository, other projects
 * as the pipeline's user may see them, remote includes and templates.
 */
export interface CiSourceSettings {
  /** CI_TEMPLATE_BASE_URL: where `include:template` files are fetched from (absent: refused) */
  templateBaseUrl?: string
  /** CI_REMOTE_INCLUDE_ALLOW_PRIVATE=true: remote includes may reach loopback and private addresses */
  allowPrivateRemotes?: boolean
  /** replaces the global fetch (tests) */
  fetch?: typeof fetch
  /** `include:artifact` reader of the parent pipeline (child pipelines only) */
  readParentArtifact?: ConfigSources['readParentArtifact']
}

/** The include settings of `env` (parsed in config.ts). */
export function includeSettings(env: Env): CiSourceSettings {
  return configOf(env).includes
}

export const REMOTE_TIMEOUT_MS = 10_000
export const REMOTE_MAX_BYTES = 1024 * 1024

export function configSources(env: Env, userId: number | null, externalUrl: string, settings: CiSourceSettings = {}): ConfigSources {
  const db = env.DB
  const sources: ConfigSources = {
    repository: gitRepository(env),
    findProject: (path) => findReadableProject(db, path, userId),
    fetchRemote: (url) => fetchRemote(url, settings),
    serverHost: new URL(externalUrl).host,
  }
  if (settings.templateBaseUrl) sources.templateBaseUrl = settings.templateBaseUrl
  if (settings.readParentArtifact) sources.readParentArtifact = settings.readParentArtifact
  return sources
}

export function projectHandle(project: ProjectRow): ProjectHandle {
  return { id: project.id, path: project.full_path, defaultBranch: project.default_branch, visibility: project.visibility }
}

/** `download_code`: reporter and above, or any signed-in user on a public or internal project; else hidden. */
async function findReadableProject(db: D1Database, path: string, userId: number | null): Promise<ProjectHandle | null> {
  const row = await projectByPathWithAccess(db, path, userId)
  if (!row) return null
  const readable = row.is_admin === 1 || row.member_access >= AccessLevel.reporter || row.visibility === 'public' || (row.visibility === 'internal' && userId !== null)
  return readable ? projectHandle(row) : null
}

/**
 * A GET without credentials, bounded in time and size; loopback and private addresses are refused
 * unless allowed, redirects included (each hop is checked, at most 5).
 */
export async function fetchRemote(url: string, settings: CiSourceSettings): Promise<RemoteResult> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return { ok: false, reason: 'invalid' }
  }
  const signal = AbortSignal.timeout(REMOTE_TIMEOUT_MS)
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (target.protocol !== 'https:' && target.protocol !== 'http:') return { ok: false, reason: 'invalid' }
    const blocked = settings.allowPrivateRemotes ? null : blockedReason(target.hostname)
    if (blocked) return { ok: false, reason: 'blocked', detail: `URL is blocked: ${blocked}` }
    let response: Response
    try {
      response = await (settings.fetch ?? fetch)(target.toString(), { redirect: 'manual', signal })
    } catch (error) {
      const name = error instanceof Error ? error.name : ''
      return { ok: false, reason: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'socket' }
    }
    const location = response.headers.get('location')
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel()
      try {
        target = new URL(location, target)
      } catch {
        return { ok: false, reason: 'invalid' }
      }
      continue
    }
    if (response.status >= 400) return { ok: false, reason: 'http', status: response.status }
    const body = await readBoundedText(response, REMOTE_MAX_BYTES)
    return body === null ? { ok: false, reason: 'too_big' } : { ok: true, body }
  }
  return { ok: false, reason: 'http', status: 310 }
}

const MAX_REDIRECTS = 5

async function readBoundedText(response: Response, limit: number): Promise<string | null> {
  const bytes = await readBounded(response.body, limit)
  return bytes && new TextDecoder().decode(bytes)
}

