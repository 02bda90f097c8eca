import * as v from 'valibot'
import { authenticate } from '../auth/access'
import { getLimitSettings, updateLimitSettings, DEFAULT_MAX_ARTIFACTS_SIZE_MB, DEFAULT_TRACE_SIZE_LIMIT_MB, type LimitSettings } from '../db/settings'
import { authorizeAdmin } from '../auth/policy'
import { Bool, IntIn } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import type { ApiContext } from './context'

/**
 * The slice of GitLab's application settings (lib/api/settings.rb, admin only) that edgejobs has:
 * the runner-facing size limits, in MB, and whether webhooks may reach local addresses. `ci_jobs_trace_size_limit` is a plan limit in GitLab
 * (no API there); edgejobs accepts it here.
 */
function present(settings: LimitSettings) {
  return {
    max_artifacts_size: settings.max_artifacts_size ?? DEFAULT_MAX_ARTIFACTS_SIZE_MB,
    ci_jobs_trace_size_limit: settings.ci_jobs_trace_size_limit ?? DEFAULT_TRACE_SIZE_LIMIT_MB,
    allow_local_requests_from_web_hooks_and_services: settings.allow_local_requests_from_web_hooks_and_services === 1,
  }
}

async function requireAdmin(c: ApiContext): Promise<Record<string, unknown>> {
  const raw = await c.params()
  const caller = await authenticate(c)
  authorizeAdmin(caller)
  return raw
}

/** GET /application/settings */
export async function show(c: ApiContext): Promise<Response> {
  await requireAdmin(c)
  return json(present(await getLimitSettings(c.env.DB)))
}

const UpdateParams = v.looseObject({
  max_artifacts_size: v.optional(IntIn(1, 1024 * 1024)),
  ci_jobs_trace_size_limit: v.optional(IntIn(1, 1024 * 1024)),
  allow_local_requests_from_web_hooks_and_services: v.optional(Bool),
})

/** PUT /application/settings */
export async function update(c: ApiContext): Promise<Response> {
  const raw = await requireAdmin(c)
  const params = validate(UpdateParams, raw)
  const changes: Partial<LimitSettings> = {}
  if (params.max_artifacts_size !== undefined) changes.max_artifacts_size = params.max_artifacts_size
  if (params.ci_jobs_trace_size_limit !== undefined) changes.ci_jobs_trace_size_limit = params.ci_jobs_trace_size_limit
  if (params.allow_local_requests_from_web_hooks_and_services !== undefined) {
    changes.allow_local_requests_from_web_hooks_and_services = params.allow_local_requests_from_web_hooks_and_services ? 1 : 0
  }
  return json(present(await updateLimitSettings(c.env.DB, changes, c.now)))
}
