import type { Env } from './env'
import { withD1Meter } from './bench/d1-meter'
import { tokenDigest } from './auth/tokens'
import { bootstrapRootStatements } from './db/users'
import { ApiError } from './http/errors'
import { optionsResponse, withoutBody } from './http/methods'
import { errorResponse, withSecurityHeaders } from './http/response'
import { configOf } from './config'
import { expireAuthFailures } from './auth/throttle'
import { git, pages, router } from './routes'
import { expireArtifacts } from './services/expire-artifacts'
import { deliverQueued } from './hooks/delivery'
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
    const config = configOf(env)
    // Git over smart HTTP first, for any method (GitLab's Workhorse answers these paths itself).
    const gitAnswer = (await git.fetch(request, env, ctx)) as Response | undefined
    if (gitAnswer) return gitAnswer
    if (request.method === 'OPTIONS') return optionsResponse(router, new URL(request.url).pathname)
    // HEAD is routed as GET (Rails and Grape answer it like GET, without the body).
    const routed = request.method === 'HEAD' ? new Request(request, { method: 'GET' }) : request
    const response = await withD1Meter(env, async (env) => {
      const page = routed.method === 'GET' ? ((await pages.fetch(routed, env, ctx)) as Response | undefined) : undefined
      return page ?? ((await router.fetch(routed, env, ctx, config)) as Response | undefined)
    })
    return response ?? errorResponse(ApiError.notFound())
  } catch (error) {
    if (error instanceof ApiError) return errorResponse(error)
    console.error('unhandled error', error)
    return errorResponse(ApiError.internal())
  }
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const response = withSecurityHeaders(await handle(request, env, ctx))
    return request.method === 'HEAD' ? withoutBody(response) : response
  },
  /** Webhook deliveries (wrangler.toml `queues.consumers`): one stored event per message, retried with backoff. */
  async queue(batch: MessageBatch<{ eventId: number }>, env: Env): Promise<void> {
    await deliverQueued(batch, env)
  },
  /** Cron (wrangler.toml `triggers`): housekeeping such as deleting expired artifacts and stopping environments due to auto-stop. */
  async scheduled(_controller: ScheduledController, env: Env, ctx: ExecutionContext): Promise<void> {
    const now = Date.now()
    ctx.waitUntil(Promise.all([expireArtifacts(env, now), expireAuthFailures(env, now), stopDueEnvironments(env, now)]).then(() => undefined))
  },
} satisfies ExportedHandler<Env, { eventId: number }>
