import type { Env } from '../env'
import { configOf } from '../config'
import { extractCredential } from '../auth/credentials'
import type { RouteAuth } from '../auth/route-auth'
import { loadProject, type ProjectContext } from '../auth/access'
import { gitAbilities } from '../auth/git-scopes'
import { can } from '../auth/policy'
import { ApiError } from '../http/errors'
import type { PushOutcome } from '../objects/RepoObject'
import { repoObject } from '../objects/stubs'
import { setDefaultBranchIfUnset } from '../db/projects'
import { pipelinesForPush } from '../services/push-pipelines'
import { firePushHooks } from '../services/push-hooks'

/**
 * Git over smart HTTP at `<EXTERNAL_URL>/<full path>.git/…` (and without `.git`, as GitLab):
 * `GET info/refs?service=…`, `POST git-upload-pack`, `POST git-receive-pack`. Authentication is
 * GitLab's: HTTP Basic with a personal access token as password (any username, `oauth2` too),
 * `gitlab-ci-token:<CI_JOB_TOKEN>` for a running job (read only), anonymous for public
 * projects. Anything that cannot read a private project gets the same 401 challenge as a
 * missing one, so a private project's existence never leaks. The repository itself is the
 * project's RepoObject.
 */
export interface GitRoute {
  projectPath: string
  action: 'info-refs' | 'upload-pack' | 'receive-pack'
  dotGit: boolean
}

const ROUTE = /^\/(.+?)(\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/

export function matchGitRoute(url: URL): GitRoute | undefined {
  if (url.pathname.startsWith('/api/')) return undefined
  const match = ROUTE.exec(url.pathname)
  if (!match) return undefined
  const projectPath = decodeURIComponent(match[1])
  if (!projectPath.includes('/')) return undefined
  const action = match[3] === 'info/refs' ? 'info-refs' : match[3] === 'git-upload-pack' ? 'upload-pack' : 'receive-pack'
  return { projectPath, action, dotGit: match[2] !== undefined }
}

const ACCESS_DENIED =
  "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password. If a token was provided, it was either incorrect, expired, or improperly scoped."
const NOT_FOUND = "The project you were looking for could not be found or you don't have permission to view it."

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(`${body}\n`, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', ...headers } })
}

function challenge(message = ACCESS_DENIED): Response {
  return text(401, message, { 'WWW-Authenticate': 'Basic realm="GitLab"' })
}

/** Basic credentials as the API's credential headers: a job token for `gitlab-ci-token`, else a PAT. */
function credentialRequest(request: Request): { request: Request; anonymous: boolean; personalToken?: string } | 'malformed' {
  const header = request.headers.get('Authorization')
  const headers = new Headers()
  if (!header) return { request: new Request('https://internal/', { headers }), anonymous: true }
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)
  if (!match) return 'malformed'
  let decoded: string
  try {
    decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0)))
  } catch {
    return 'malformed'
  }
  const colon = decoded.indexOf(':')
  if (colon === -1) return 'malformed'
  const username = decoded.slice(0, colon)
  const password = decoded.slice(colon + 1)
  if (!password) return 'malformed'
  const job = username === 'gitlab-ci-token'
  headers.set(job ? 'JOB-TOKEN' : 'PRIVATE-TOKEN', password)
  return { request: new Request('https://internal/', { headers }), anonymous: false, personalToken: job ? undefined : password }
}

/** The route table's git line: answers a git path, passes anything else on (undefined). */
export function gitRoute(auth: RouteAuth) {
  return (request: Request, env: Env): Promise<Response> | undefined => {
    const route = matchGitRoute(new URL(request.url))
    return route ? gitHttp(request, env, route, auth) : undefined
  }
}

export async function gitHttp(request: Request, env: Env, route: GitRoute, auth: RouteAuth): Promise<Response> {
  const url = new URL(request.url)
  const service = route.action === 'info-refs' ? url.searchParams.get('service') : `git-${route.action}`
  if (route.action === 'info-refs') {
    if (request.method === 'HEAD') return new Response(null, { status: 403 })
    if (request.method !== 'GET') return text(404, 'Not Found')
    if (service !== 'git-upload-pack' && service !== 'git-receive-pack') return text(404, 'Not Found')
    if (!route.dotGit) {
      // GitLab redirects the discovery request to the `.git` URL; git follows and keeps that base.
      const target = new URL(url)
      target.pathname = url.pathname.replace(/\/info\/refs$/, '.git/info/refs')
      return new Response(null, { status: 302, headers: { Location: target.toString() } })
    }
  } else {
    if (request.method !== 'POST') return text(404, 'Not Found')
    const type = (request.headers.get('Content-Type') ?? '').split(';')[0].trim()
    if (type !== `application/x-${service}-request`) return text(404, 'Not Found')
  }
  const push = service === 'git-receive-pack'

  const credentials = credentialRequest(request)
  if (credentials === 'malformed') return challenge()
  let ctx: ProjectContext
  try {
    const basic = credentials.request
    const credential = extractCredential(basic, {}, auth.job)
    ctx = await loadProject({ env, request: basic, now: Date.now(), auth, credential: async () => credential }, route.projectPath)
  } catch (error) {
    if (!(error instanceof ApiError)) throw error
    if (error.status === 401) return challenge()
    if (credentials.anonymous) return challenge()
    if (error.status === 403) return text(403, String(error.message).replace(/^403 Forbidden - /, ''))
    return text(404, NOT_FOUND)
  }
  if (push && credentials.anonymous) return challenge()
  if (!can(ctx.access, 'read_code')) {
    if (credentials.anonymous) return challenge()
    return text(403, 'You are not allowed to download code from this project.')
  }
  if (credentials.personalToken) {
    // A token authenticates whatever its scopes; git needs a repository scope (or api).
    const abilities = gitAbilities(ctx.caller.scopes ?? [])
    if (!abilities.download) return text(403, 'You are not allowed to download code.')
    if (push && !abilities.push) return text(403, 'You are not allowed to upload code.')
  }
  if (push && (ctx.caller.job || !can(ctx.access, 'push_code'))) return text(403, 'You are not allowed to push code to this project.')

  const stub = repoObject(env, ctx.project.id)
  const headers = { 'x-default-branch': ctx.project.default_branch ?? 'main' }
  const v2 = !push && /(^|[:,\s])version=2(\b|$)/.test(request.headers.get('Git-Protocol') ?? '')
  const resultHeaders = { 'Cache-Control': 'no-cache', Expires: 'Fri, 01 Jan 1980 00:00:00 GMT', Pragma: 'no-cache' }

  if (route.action === 'info-refs') {
    const answer = await stub.fetch(`https://repo/info-refs?service=${service}&v2=${v2 ? 1 : 0}`, { headers })
    return new Response(answer.body, { headers: { 'Content-Type': `application/x-${service}-advertisement`, ...resultHeaders } })
  }

  let body = request.body
  const encoding = (request.headers.get('Content-Encoding') ?? '').trim().toLowerCase()
  if (body && (encoding === 'gzip' || encoding === 'x-gzip')) body = body.pipeThrough(new DecompressionStream('gzip'))
  else if (encoding && encoding !== 'identity') return text(400, `Unsupported Content-Encoding: ${encoding}`)

  if (!push) {
    const answer = await stub.fetch(`https://repo/upload-pack?v2=${v2 ? 1 : 0}`, { method: 'POST', body, headers })
    return new Response(answer.body, { headers: { 'Content-Type': 'application/x-git-upload-pack-result', ...resultHeaders } })
  }

  const limits = configOf(env).git
  const answer = await stub.fetch('https://repo/receive-pack', {
    method: 'POST',
    body,
    headers: { ...headers, 'x-max-push-bytes': String(limits.maxPushBytes), 'x-max-object-bytes': String(limits.maxObjectBytes) },
  })
  if (answer.status !== 200) return text(answer.status, (await answer.text()).trim())
  const outcome = (await answer.json()) as PushOutcome
  if (outcome.updates.length > 0) {
    const created = outcome.updates.find((u) => u.ref.startsWith('refs/heads/') && u.after !== '0'.repeat(40))
    if (created && !ctx.project.default_branch) {
      // The first branch pushed to an empty project becomes its default branch, as in GitLab.
      ctx.project.default_branch = created.ref.slice('refs/heads/'.length)
      await setDefaultBranchIfUnset(env.DB, ctx.project.id, ctx.project.default_branch)
    }
    // Push and Tag Push Hooks (queued; a failure here never fails the push), then the pipelines.
    const pusher = ctx.caller.user
    if (pusher) await firePushHooks(env, ctx.project, pusher, outcome.updates, Date.now()).catch((error) => console.error('push hooks failed', ctx.project.id, error))
    await pipelinesForPush(env, ctx, outcome.updates, outcome.pushOptions)
  }
  const report = Uint8Array.from(atob(outcome.report), (c) => c.charCodeAt(0))
  return new Response(report, { headers: { 'Content-Type': 'application/x-git-receive-pack-result', ...resultHeaders } })
}
