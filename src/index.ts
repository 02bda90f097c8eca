import type { Env } from './env'
import { withD1Meter } from './bench/d1-meter'
import { tokenDigest } from './auth/tokens'
import { bootstrapRootStatements } from './db/users'
import { ApiError } from './http/errors'
import { optionsResponse, withoutBody } from './http/methods'
import { errorResponse, withSecurityHeaders } from './http/response'
import { expireAuthFailures, presentsCredential, recordAuthFailure } from './auth/throttle'
import { router } from './routes'
import { webPage } from './web/log-viewer'
import { gitHttp, matchGitRoute } from './api/git-http'
import { expireArtifacts } from './services/expire-artifacts'
import { stopDueEnvironments } from './services/stop-environment'

export { JobObject } from './objects/JobObject'
export { PipelineObject } from './objects/PipelineObject'
export { RepoObject } from './objects/RepoObject'

let rootReady: Promise<void> | undefined

/** On first use, the root admin and its INITIAL_ROOT_TOKEN exist (idempotent, once per isolate). */
function ensureRoot(env: Env): Promise<void> {
  if (!env.INITIAL_ROOT_TOKEN) return Promise.resolve()
  rootReady ??= (async () => {
    const digest = await tokenDigest(env.INITIAL_ROOT_TOKEN!)
    await env.DB.batch(bootstrapRootStatements(env.DB, digest, Date.now()))
  })().catch((error) => {
    rootReady = undefined
    throw error
  })
  return rootReady
}

export async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  try {
    await ensureRoot(env)
    const url = new URL(request.url)
    const git = matchGitRoute(url)
    if (git) return await gitHttp(request, env, git)
    if (request.method === 'GET' || request.method === 'HEAD') {
      const page = await webPage(url, env)
      if (page) return page
    }
    if (request.method === 'OPTIONS') return optionsResponse(router, url.pathname)
    // HEAD is routed as GET (Rails and Grape answer it like GET, without the body).
    const routed = request.method === 'HEAD' ? new Request(request, { method: 'GET' }) : request
    const response = (await withD1Meter(env, (env) => router.fetch(routed, env, ctx))) as Response | undefined
    return response ?? errorResponse(ApiError.notFound())
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(await throttled(env, request, error))
    console.error('unhandled error', error)
    return errorResponse(new ApiError(500, { message: '500 Internal Server Error' }))
  }
}

/** A 401 for credentials that did not authenticate counts against the client's address. */
async function throttled(env: Env, request: Request, error: ApiError): Promise<ApiError> {
  if (error.status !== 401 || !presentsCredential(request)) return error
  return (await recordAuthFailure(env, request).catch(() => undefined)) ?? error
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const response = withSecurityHeaders(await handle(request, env, ctx))
    return request.method === 'HEAD' ? withoutBody(response) : response
  },
  /** Cron (wrangler.toml `triggers`): housekeeping such as deleting expired artifacts and stopping environments due to auto-stop. */
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const now = Date.now()
    ctx.waitUntil(Promise.all([expireArtifacts(env, now), expireAuthFailures(env, now), stopDueEnvironments(env, now)]).then(() => undefined))
  },
} satisfies ExportedHandler<Env>
