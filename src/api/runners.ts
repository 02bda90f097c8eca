import * as v from 'valibot'
import { authenticate, loadProject } from '../auth/access'
import { authorize, authorizeAdmin } from '../auth/policy'
import { authenticateRunner } from '../auth/runner'
import { generateToken, RUNNER_REGISTRATION_PREFIX, RUNNER_TOKEN_PREFIX, tokenDigest } from '../auth/tokens'
import {
  deleteManager, deleteRunnerStatements, findManager, findProjectByRegistrationDigest, insertRunner, setRegistrationDigest,
  updateRunnerToken, type NewRunner,
} from '../db/runners'
import { digestsEqual } from '../auth/tokens'
import { checkUnmodifiedSince } from '../http/conditional'
import { ApiError } from '../http/errors'
import { Bool, Int, NonBlankStr, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json, noContent } from '../http/response'
import { resetTokenResult, runnerRegistrationDetails } from '../present/runner-registration'
import type { ApiContext } from './context'

/**
 * Runner creation and registration (lib/api/user_runners.rb, lib/api/ci/runner.rb `resource
 * :runners`). Tokens are shown once and stored as SHA-256 digests.
 */

/** `tag_list`: an array, or a comma-separated string (CommaSeparatedToArray). */
export const TagList = v.pipe(
  v.custom<string | string[]>((value) => typeof value === 'string' || (Array.isArray(value) && value.every((t) => typeof t === 'string')), 'is invalid'),
  v.transform((value) => {
    const items = (typeof value === 'string' ? value.split(',') : value).map((tag) => tag.trim()).filter(Boolean)
    return [...new Set(items)]
  }),
)

const RunnerSettings = {
  description: v.optional(Str),
  maintenance_note: v.optional(Str),
  paused: v.optional(Bool),
  active: v.optional(Bool),
  locked: v.optional(Bool),
  access_level: v.optional(OneOf(['not_protected', 'ref_protected'] as const)),
  run_untagged: v.optional(Bool),
  tag_list: v.optional(TagList),
  maximum_timeout: v.optional(Int),
}

const CreateRunnerParams = v.looseObject({
  runner_type: OneOf(['instance_type', 'group_type', 'project_type'] as const),
  project_id: v.optional(Int),
  group_id: v.optional(Int),
  ...RunnerSettings,
})

type Settings = v.InferOutput<v.ObjectSchema<typeof RunnerSettings, undefined>>

/** Ci::Runner::TAG_LIST_MAX_LENGTH */
export const TAG_LIST_MAX_LENGTH = 50
export const TOO_MANY_TAGS = `Too many tags specified. Please limit the number of tags to ${TAG_LIST_MAX_LENGTH}`

/**
 * Ci::Runner's validations. `errors` is how the endpoint shows them: `POST /runners` renders the
 * model's errors (render_validation_error!), `POST /user/runners` the full messages as a sentence
 * behind `400 Bad request - ` (CreateRunnerService, lib/api/user_runners.rb).
 */
function newRunner(
  settings: Settings,
  scope: Pick<NewRunner, 'runner_type' | 'project_id' | 'created_by_id' | 'token_prefix'>,
  digest: string,
  errors: 'model' | 'sentence',
  now: number,
): NewRunner {
  // Runner#maximum_timeout validation: nil or at least 10 minutes.
  if (settings.maximum_timeout !== undefined && settings.maximum_timeout < 600) {
    throw ApiError.fieldErrors({ maximum_timeout: ['needs to be at least 10 minutes'] })
  }
  // Ci::Runner#tag_constraints
  if ((settings.tag_list?.length ?? 0) > TAG_LIST_MAX_LENGTH) {
    throw errors === 'model' ? ApiError.fieldErrors({ tags_list: [TOO_MANY_TAGS] }) : ApiError.badRequest(`Tags list ${TOO_MANY_TAGS}`)
  }
  return {
    ...scope,
    description: settings.description ?? '',
    token_digest: digest,
    tag_list: settings.tag_list ?? [],
    run_untagged: settings.run_untagged ?? true,
    paused: settings.paused ?? (settings.active === undefined ? false : !settings.active),
    locked: settings.locked ?? false,
    maximum_timeout: settings.maximum_timeout ?? null,
    access_level: settings.access_level ?? 'not_protected',
    maintenance_note: settings.maintenance_note ?? null,
    created_at: now,
  }
}

/** POST /user/runners — 201 `{id, token: "glrt-…", token_expires_at}`, the token shown once. */
export async function createUserRunner(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const caller = await authenticate(c)
  const params = validate(CreateRunnerParams, raw)
  let projectId: number | null = null
  if (params.runner_type === 'instance_type') {
    authorizeAdmin(caller)
  } else if (params.runner_type === 'project_type') {
    if (params.project_id === undefined) throw ApiError.invalid('project_id', 'is missing')
    const ctx = await loadProject(c, String(params.project_id))
    authorize(ctx.access, 'create_runner')
    projectId = ctx.project.id
  } else {
    throw ApiError.badRequest('group_type runners are not supported: edgejobs has no groups')
  }
  const token = generateToken(RUNNER_TOKEN_PREFIX)
  const scope = { runner_type: params.runner_type, project_id: projectId, created_by_id: caller.user!.id, token_prefix: RUNNER_TOKEN_PREFIX }
  const row = await insertRunner(c.env.DB, newRunner(params, scope, await tokenDigest(token), 'sentence', c.now))
  return json(runnerRegistrationDetails(row!, token), { status: 201 })
}

const RegisterParams = v.looseObject({ token: NonBlankStr, ...RunnerSettings })

/** POST /runners — legacy registration with a project's registration token (403 when unknown). */
export async function register(c: ApiContext): Promise<Response> {
  const params = await c.valid(RegisterParams)
  const digest = await tokenDigest(params.token)
  const project = await findProjectByRegistrationDigest(c.env.DB, digest)
  if (!project || !digestsEqual(project.runners_token_digest, digest)) throw ApiError.forbidden()
  // Runners registered with a registration token get a token without the `glrt-` prefix.
  const token = generateToken('')
  const scope = { runner_type: 'project_type' as const, project_id: project.id, created_by_id: null, token_prefix: '' }
  const row = await insertRunner(c.env.DB, newRunner(params, scope, await tokenDigest(token), 'model', c.now))
  return json(runnerRegistrationDetails(row!, token), { status: 201 })
}

/** POST /runners/verify — 200 `{id, token, token_expires_at}`; records the machine's features. */
export async function verify(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const { runner } = await authenticateRunner(c.env, c.request, raw)
  return json(runnerRegistrationDetails(runner, raw.token as string))
}

/** DELETE /runners — unregisters the runner (and all its managers): 204. */
export async function unregister(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const { runner } = await authenticateRunner(c.env, c.request, raw, { heartbeat: false })
  checkUnmodifiedSince(c.request, runner.updated_at ?? runner.created_at)
  await c.env.DB.batch(deleteRunnerStatements(c.env.DB, runner.id))
  return noContent()
}

const ManagerParams = v.looseObject({ token: NonBlankStr, system_id: NonBlankStr })

/** DELETE /runners/managers — removes one machine of a `glrt-` runner: 204, 404 if unknown. */
export async function unregisterManager(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(ManagerParams, raw)
  const { runner } = await authenticateRunner(c.env, c.request, raw, { heartbeat: false })
  const manager = await findManager(c.env.DB, runner.id, params.system_id)
  // not_found!('Runner manager not found') → "404 <resource> Not Found"
  if (!manager) throw ApiError.notFound('Runner manager not found')
  checkUnmodifiedSince(c.request, manager.updated_at ?? manager.created_at)
  await deleteManager(c.env.DB, runner.id, params.system_id)
  return noContent()
}

/** POST /runners/reset_authentication_token — 201 with a fresh token; the old one stops working. */
export async function resetAuthenticationToken(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const { runner } = await authenticateRunner(c.env, c.request, raw, { heartbeat: false })
  const token = generateToken(runner.token_prefix)
  await updateRunnerToken(c.env.DB, runner.id, await tokenDigest(token))
  return json(resetTokenResult(token), { status: 201 })
}

const ProjectParams = v.looseObject({ id: Str })

/** POST /projects/:id/runners/reset_registration_token — maintainer+; only the digest is kept. */
export async function resetRegistrationToken(c: ApiContext): Promise<Response> {
  const params = await c.valid(ProjectParams)
  const ctx = await loadProject(c, params.id)
  authorize(ctx.access, 'create_runner')
  const token = generateToken(RUNNER_REGISTRATION_PREFIX)
  await setRegistrationDigest(c.env.DB, ctx.project.id, await tokenDigest(token))
  return json(resetTokenResult(token), { status: 201 })
}
