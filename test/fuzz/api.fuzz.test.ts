import { SELF } from 'cloudflare:test'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { router } from '../../src/routes'
import { jobsByName, startJob } from '../job-driver'
import { SimulatedRunner } from '../runner-client'
import { apiJson, createPipelineFrom, createProject, createToken, createUser, ROOT_TOKEN, type TestProject, type TestUser } from '../world'

/**
 * Property-based fuzzing of every route (issue #9): random path params, query strings (nested
 * Rack keys, prototype keys, bad escapes), bodies (JSON, broken JSON, forms, multipart, bytes)
 * and headers (tokens, content types, ranges, SSE). Every answer must be below 500, an error must
 * have a JSON body with `message` or `error`, and an ordinary request must still succeed after.
 */
const ORIGIN = 'https://edgejobs.test'
const RUNS_PER_ROUTE = 60

const routes = router.routes
  .filter(([method]) => method !== 'ALL')
  .map(([method, , , path]) => ({ method: method as string, path: path as string }))

const stats = { requests: 0, fiveHundreds: 0, routes: new Set<string>(), statuses: new Map<number, number>() }

interface World {
  project: TestProject
  publicProject: TestProject
  user: TestUser
  followUp: string
  jobId: number
  jobToken: string
  pipelineId: number
  runnerToken: string
  sacrificialTokenIds: number[]
  /** DELETE /projects/:id deletes only these (the other routes need the world's projects). */
  sacrificialProjectIds: number[]
  /** DELETE /runners/:id and its token reset likewise (the world's runner must keep polling). */
  sacrificialRunnerIds: number[]
}
let world: World

beforeAll(async () => {
  const user = await createUser()
  const project = await createProject({ owner: user })
  const publicProject = await createProject({ visibility: 'public' })
  const pipeline = await createPipelineFrom(project, 'build:\n  script: x\ntest:\n  script: y\n  when: manual\n')
  const jobs = await jobsByName(project, pipeline.id)
  const jobToken = await startJob(jobs.build.id)
  const runner = await SimulatedRunner.create(user.token, { runner_type: 'project_type', project_id: project.id })
  // The follow-up request's token must survive the fuzzing: other tokens may be revoked by it.
  const followUp = (await createToken(await createUser({ admin: true }))).token
  const sacrificial = await Promise.all([1, 2, 3].map(() => createToken(user)))
  const sacrificialProjects = await Promise.all([1, 2, 3].map(() => createProject({ owner: user })))
  const sacrificialRunners = await Promise.all([1, 2].map(() => apiJson('POST', '/user/runners', { token: user.token, body: { runner_type: 'project_type', project_id: project.id } })))
  world = {
    project, publicProject, user, followUp, jobId: jobs.build.id, jobToken, pipelineId: pipeline.id,
    runnerToken: runner.token, sacrificialTokenIds: sacrificial.map((t) => t.id),
    sacrificialProjectIds: sacrificialProjects.map((p) => p.id),
    sacrificialRunnerIds: sacrificialRunners.map((r) => r.body.id as number),
  }
})

afterAll(() => {
  const statuses = [...stats.statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ')
  console.log(`fuzz: ${stats.requests} requests generated over ${stats.routes.size} of ${routes.length} routes; 5xx found: ${stats.fiveHundreds}; statuses ${statuses}`)
})

// ---- arbitraries ------------------------------------------------------------------------------

const nasty = fc.constantFrom(
  '', ' ', '0', '-1', '1.5', '1e309', '9'.repeat(40), 'null', 'true', '[]', '{}', '__proto__', 'constructor', 'prototype',
  '%FF', '%E0%A4%A', '%00', '%2F', '..', '../..', 'a//b', 'a/./b', '.git', '\u0000', '\r\n', '${7*7}', '`x`', '<script>alert(1)</script>',
  'é漢字🙂', '\uD800', 'x'.repeat(5000), 'main', 'api', 'keyset', 'id', 'desc', 'asc', 'running', 'success', 'pending',
)
const text = fc.oneof(nasty, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }))

function pathValue(name: string, route: string): fc.Arbitrary<string> {
  // Deleting a project or a runner takes a sacrificial one; random values stay non-numeric so they name none.
  const sacrificialIds = { 'DELETE /api/v4/projects/:id': world.sacrificialProjectIds, 'DELETE /api/v4/runners/:id': world.sacrificialRunnerIds,
    'POST /api/v4/runners/:id/reset_authentication_token': world.sacrificialRunnerIds }[route]
  if (sacrificialIds) {
    const sacrificial = fc.constantFrom(...sacrificialIds.map(String))
    return fc.oneof({ weight: 1, arbitrary: sacrificial }, { weight: 2, arbitrary: nasty.filter((s) => !/^\s*[+-]?\d+\s*$/.test(s) && !s.includes('/')).map(escapeForPath) })
  }
  const known: Record<string, () => string[]> = {
    id: () => [String(world.project.id), encodeURIComponent(world.project.path_with_namespace), String(world.publicProject.id), String(world.jobId)],
    job_id: () => [String(world.jobId), String(world.jobId + 1)],
    pipeline_id: () => [String(world.pipelineId)],
    user_id: () => [String(world.user.id), '1'],
    token_id: () => world.sacrificialTokenIds.map(String),
    file_path: () => ['.gitlab-ci.yml', 'README.md', encodeURIComponent('dir/a.txt')],
    sha: () => ['main', 'HEAD'],
  }
  const real = fc.constantFrom(...(known[name]?.() ?? ['1']))
  // token_id values stay in the sacrificial pool so that the fuzz cannot revoke the follow-up token.
  const random = name === 'token_id' ? fc.oneof(nasty.filter((s) => !/^\d+$/.test(s)), fc.constant('abc')) : text
  return fc.oneof({ weight: 3, arbitrary: real }, { weight: 2, arbitrary: random.map(escapeForPath) })
}

/** A path segment as a client could send it: percent-encoded, or raw with its bad escapes. */
function escapeForPath(value: string): string {
  if (/%[0-9A-F]{0,2}/i.test(value) && value.length < 12) return value
  // Lone surrogates cannot be UTF-8 encoded: send them as U+FFFD like a client would.
  return encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, (c, i, all) => (/[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(all.slice(i, i + 2)) || /[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(all.slice(i - 1, i + 1)) ? c : '\uFFFD')))
}

const paramKey = fc.oneof(
  fc.constantFrom(
    'page', 'per_page', 'scope', 'scope[]', 'scope[x]', 'ref', 'name', 'status', 'sort', 'order_by', 'pagination', 'cursor',
    'byte_offset', 'byte_limit', 'include_retried', 'private_token', 'job_token', 'token', 'state', 'force', 'branch',
    'content', 'commit_message', 'encoding', 'visibility', 'access_level', 'variables[][key]', 'variables[][value]',
    'job_variables_attributes[0][key]', '__proto__[zz]', '__proto__[status]', 'constructor[prototype][zz]', 'a[__proto__][x]',
    'a[][b][]', 'a[', '[x]', 'info[features][x]', 'tag_list', 'runner_type', 'project_id',
  ),
  fc.string({ maxLength: 12 }),
)
const query = fc.array(fc.tuple(paramKey, text), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString())

const jsonValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(paramKey, fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 3 }))))

/** Runner bodies carry their credential: `@RUNNER@` and `@JOB@` become the world's tokens. */
const credentialBody = fc
  .tuple(fc.constantFrom('@RUNNER@', '@JOB@'), fc.dictionary(paramKey, fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 }))
  .map(([token, rest]) => ({ contentType: 'application/json', body: JSON.stringify({ ...rest, token, state: rest.state ?? 'running' }) }))

type Body = { contentType?: string; body?: BodyInit }
const body: fc.Arbitrary<Body> = fc.oneof(
  fc.constant({}),
  credentialBody,
  credentialBody,
  jsonValue.map((value) => ({ contentType: 'application/json', body: JSON.stringify(value) })),
  fc.constantFrom('{', '{"a":', '[1,2', 'null', '"str"', '{"__proto__":{"zz":1}}', '{"constructor":{"prototype":{"zz":1}}}').map((raw) => ({ contentType: 'application/json', body: raw })),
  query.map((form) => ({ contentType: 'application/x-www-form-urlencoded', body: form })),
  query.map((form) => ({ body: form })),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ contentType: 'application/octet-stream', body: bytes })),
  fc.tuple(fc.constantFrom('b', 'x'.repeat(70), ''), fc.array(fc.tuple(paramKey, text, fc.boolean()), { maxLength: 3 }), fc.boolean()).map(([boundary, parts, close]) => ({
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: parts.map(([name, value, file]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="f.zip"' : ''}\r\n\r\n${value}\r\n`).join('') + (close ? `--${boundary}--\r\n` : ''),
  })),
  fc.constantFrom('text/plain', 'text/event-stream', 'application/json; charset=utf-8', 'multipart/form-data', 'garbage').chain((contentType) => text.map((t) => ({ contentType, body: t }))),
)

const latin1 = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''))
const headerSet = fc.record(
  {
    token: fc.constantFrom('root', 'root', 'root', 'user', 'user', 'job', 'job', 'runner', 'bad', 'garbage'),
    tokenHeader: fc.constantFrom('PRIVATE-TOKEN', 'PRIVATE-TOKEN', 'PRIVATE-TOKEN', 'JOB-TOKEN', 'JOB-TOKEN', 'Authorization', 'none'),
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', ''),
    contentRange: fc.oneof(fc.constantFrom('0-0', '0-9', '5-1', '-1-3', 'bytes 0-1/2', '0-99999999999999999999'), latin1),
    lastEventId: fc.oneof(fc.constantFrom('0', '-5', '99999999999999999999', 'x'), latin1),
    address: fc.constantFrom('', '', '', '', '203.0.113.7', '2001:db8::1'),
  },
  { requiredKeys: ['token', 'tokenHeader'] },
)

type Headerset = { token: string; tokenHeader: string; accept?: string; contentRange?: string; lastEventId?: string; address?: string }

function tokenValue(kind: string): string {
  switch (kind) {
    case 'root': return world.followUp
    case 'user': return world.user.token
    case 'job': return world.jobToken
    case 'runner': return world.runnerToken
    case 'bad': return 'glpat-wrong-token-value-000000'
    default: return 'x y\tz'
  }
}

// ---- the property -------------------------------------------------------------------------------

async function send(method: string, template: string, params: Record<string, string>, search: string, payload: Body, h: Headerset, routeKey?: string): Promise<void> {
  const path = template.replace(/:(\w+)/g, (_, name: string) => params[name] ?? '1')
  const headers = new Headers()
  const token = tokenValue(h.token)
  if (h.tokenHeader === 'Authorization') headers.set('Authorization', `Bearer ${token}`)
  else if (h.tokenHeader !== 'none') headers.set(h.tokenHeader, token)
  if (h.accept) headers.set('Accept', h.accept)
  if (h.contentRange !== undefined) headers.set('Content-Range', h.contentRange)
  if (h.lastEventId !== undefined) headers.set('Last-Event-ID', h.lastEventId)
  if (h.address) headers.set('CF-Connecting-IP', h.address)
  if (payload.contentType) headers.set('Content-Type', payload.contentType)
  const canHaveBody = method !== 'GET' && method !== 'HEAD'
  if (typeof payload.body === 'string') payload = { ...payload, body: payload.body.replaceAll('@RUNNER@', world.runnerToken).replaceAll('@JOB@', world.jobToken) }
  const url = `${ORIGIN}${path}${search ? `?${search}` : ''}`
  // A `..` segment is resolved by the URL itself: DELETE /projects/1/hooks/.. is DELETE /projects/1,
  // which would delete the world's project: such a request is not sent.
  const resolved = new URL(url).pathname
  if (method === 'DELETE' && resolved !== path && /^\/api\/v4\/(projects|runners)\/[^/]+\/*$/.test(resolved)) return
  const res = await SELF.fetch(url, { method, headers, body: canHaveBody ? payload.body : undefined })
  stats.requests += 1
  if (routeKey) stats.routes.add(routeKey)
  stats.statuses.set(res.status, (stats.statuses.get(res.status) ?? 0) + 1)
  const type = res.headers.get('Content-Type') ?? ''
  if (type.startsWith('text/event-stream') || type.startsWith('application/octet-stream')) {
    await res.body?.cancel()
  }
  if (res.status >= 500) stats.fiveHundreds += 1
  const description = `${method} ${url} -> ${res.status}`
  expect(res.status, description).toBeLessThan(500)
  // The log viewer answers a job it may not show with 404 and its constant page (src/web/log-viewer.ts).
  const viewerPage = !path.startsWith('/api/') && /\/-\/jobs\/[^/]*$/.test(path) && type === 'text/html; charset=utf-8'
  if (res.status >= 400 && method !== 'HEAD' && viewerPage) {
    expect(res.status, description).toBe(404)
    await res.arrayBuffer()
  } else if (res.status >= 400 && method !== 'HEAD' && method === 'PUT' && /^\/api\/v4\/jobs\/[^/]+$/.test(path) && type === 'text/plain' && res.headers.has('Job-Status')) {
    // The runner's job update answers UpdateBuildStateService's bare status (`400`, `403`, ...) as
    // text with Job-Status, as GitLab's lib/api/ci/runner.rb does (`body result.status.to_s`).
    expect(await res.text(), description).toBe(String(res.status))
  } else if (res.status >= 400 && method !== 'HEAD') {
    expect(type, description).toBe('application/json')
    const parsed = JSON.parse(await res.text()) as Record<string, unknown>
    expect(typeof parsed === 'object' && parsed !== null && ('message' in parsed || 'error' in parsed), `${description} ${JSON.stringify(parsed)}`).toBe(true)
  } else if (!type.startsWith('text/event-stream') && !type.startsWith('application/octet-stream')) {
    await res.arrayBuffer()
  }
}

async function ordinaryRequestsStillWork(): Promise<void> {
  for (const key of ['zz', 'status', 'x']) expect(Object.hasOwn(Object.prototype, key), `Object.prototype.${key}`).toBe(false)
  const me = await apiJson('GET', '/user', { token: world.followUp })
  expect(me.status).toBe(200)
  const jobs = await apiJson('GET', `/projects/${world.project.id}/jobs?per_page=2`, { token: world.followUp })
  expect(jobs.status).toBe(200)
  const created = await apiJson('POST', '/projects', { token: world.followUp, body: { name: `after-fuzz-${stats.requests}` } })
  expect(created.status).toBe(201)
}

describe('fuzzing every route', () => {
  it.each(routes)('$method $path', async ({ method, path }) => {
    const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1])
    const params = fc.record(Object.fromEntries(names.map((name) => [name, pathValue(name, `${method} ${path}`)])) as Record<string, fc.Arbitrary<string>>)
    const methodArb = method === 'GET' ? fc.constantFrom('GET', 'GET', 'HEAD') : fc.constant(method)
    await fc.assert(
      fc.asyncProperty(methodArb, params, query, body, headerSet, async (m, p, q, b, h) => send(m, path, p, q, b, h, `${method} ${path}`)),
      { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
    )
    await ordinaryRequestsStillWork()
  }, 120_000)

  it('answers unknown paths and methods with a JSON 404, and OPTIONS everywhere', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'), fc.array(text, { minLength: 1, maxLength: 4 }), query, body, headerSet,
        async (m, segments, q, b, h) => send(m, `/api/v4/${segments.map(escapeForPath).join('/')}`, {}, q, b, h)),
      { numRuns: 150, endOnFailure: true },
    )
    await ordinaryRequestsStillWork()
  }, 120_000)

  it('answers the log viewer paths with the page (200 or 404), or a JSON 404, never a 5xx', async () => {
    const projectPath = fc.oneof(
      fc.constantFrom(world.project.path_with_namespace, world.publicProject.path_with_namespace),
      fc.array(text, { minLength: 1, maxLength: 3 }).map((segments) => segments.map(escapeForPath).join('/')),
    )
    const jobId = fc.oneof(fc.constant(String(world.jobId)), fc.nat().map(String), nasty.map(escapeForPath))
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'HEAD'), projectPath, jobId, query, headerSet,
        async (m, path, job, q, h) => send(m, `/${path}/-/jobs/${job}`, {}, q, {}, h)),
      { numRuns: 100, endOnFailure: true },
    )
  }, 120_000)

  it('covered every route', () => {
    expect(stats.routes.size).toBeGreaterThanOrEqual(routes.length)
    expect(stats.fiveHundreds).toBe(0)
  })
})
