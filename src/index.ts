import type { Env } from './env'
import { tokenDigest } from './auth/tokens'
import { bootstrapRootStatements } from './db/users'
import { ApiError } from './http/errors'
import { errorResponse, withSecurityHeaders } from './http/response'
import { router } from './routes'

export { JobObject } from './objects/JobObject'
export { PipelineObject } from './objects/PipelineObject'

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
    const response = (await router.fetch(request, env, ctx)) as Response | undefined
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
} satisfies ExportedHandler<Env>
