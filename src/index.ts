import type { Env } from './env'
import { withD1Meter } from './bench/d1-meter'
import { tokenDigest } from './auth/tokens'
import { bootstrapRootStatements } from './db/users'
import { ApiError } from './http/errors'
import { errorResponse, withSecurityHeaders } from './http/response'
import { router } from './routes'
import { logViewerPage, matchLogViewer } from './web/log-viewer'
import { gitHttp, matchGitRoute } from './api/git-http'
import { expireArtifacts } from './services/expire-artifacts'

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
    const git = matchGitRoute(new URL(request.url))
    if (git) return await gitHttp(request, env, git)
    const viewer = request.method === 'GET' ? matchLogViewer(new URL(request.url)) : undefined
    if (viewer) return logViewerPage(viewer.projectPath, viewer.jobId)
    const response = (await withD1Meter(env, (env) => router.fetch(request, env, ctx))) as Response | undefined
    return response ?? errorResponse(ApiError.notFound())
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error)
    console.error('unhandled error', error)
    return errorResponse(new ApiError(500, { message: '500 Internal Server Error' }))
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    return withSecurityHeaders(await handle(request, env, ctx))
  },
  /** Cron (wrangler.toml `triggers`): housekeeping such as deleting expired artifacts. */
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    ctx.waitUntil(expireArtifacts(env, Date.now()).then(() => undefined))
  },
} satisfies ExportedHandler<Env>
