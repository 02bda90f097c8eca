// `npm run bench`: the README's figures in one run. Applies schema.sql to a local D1 of its own
// (bench/.state), seeds it once (bench/seed.mjs), starts its own `wrangler dev` with BENCH_ROUTES on,
// measures the read endpoints and the job commands against bare baselines served by the same
// Worker, prints a Markdown table and writes it to bench/results.md. wrangler dev is always
// stopped at the end. Knobs: BENCH_PORT, BENCH_SECONDS (per read scenario), BENCH_COMMANDS.
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runLoad, summarize } from './load.mjs'
import { report } from './report.mjs'
import { baseStatements, COMMANDS_PROJECT_ID, isSeeded, JOBS, JOBS_PER_PIPELINE, jobStatements, planQueries, PROJECT_ID, SEEDED_QUERY, targetQueries } from './seed.mjs'
import { bundle, d1, killDevNow, startDev, stopDev, waitForDev, WRANGLER_VERSION } from './wrangler.mjs'

const STATE = 'bench/.state'
const PORT = Number(process.env.BENCH_PORT ?? 8799)
/** Local-only credential, fixed so that a seeded state serves every later run. */
const ROOT_TOKEN = 'glpat-bench-root-token-0000000'
const CONNECTIONS = 8
const PER_PAGE = 20
/** Each read scenario runs ROUNDS times for READ_SECONDS / ROUNDS, interleaved with the others, after a warm-up. */
const READ_SECONDS = Number(process.env.BENCH_SECONDS ?? 20)
const ROUNDS = 5
const WARMUP_SECONDS = 2
/** Requests per command scenario (each on a distinct job), plus a few to warm up, at each concurrency. */
const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 200)
const COMMAND_WARMUP = 16
/** Commands alone (latency) and under the read scenarios' concurrency. */
const COMMAND_CONNECTIONS = [1, CONNECTIONS]
const DEEP = 900_000
const auth = { 'PRIVATE-TOKEN': ROOT_TOKEN }
const project = `/api/v4/projects/${PROJECT_ID}`
const commandsProject = `/api/v4/projects/${COMMANDS_PROJECT_ID}`

const log = (message) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`)
const started = Date.now()
process.chdir(join(dirname(fileURLToPath(import.meta.url)), '..'))
/** The running `wrangler dev`, stopped in every way out. */
let dev

async function main() {
  if (PORT === 8787) throw new Error('BENCH_PORT must not be 8787 (npm start uses it)')
  mkdirSync(STATE, { recursive: true })
  const machine = { nproc: availableParallelism(), node: process.version, wrangler: WRANGLER_VERSION, loadBefore: loadavg() }

  log('applying schema.sql to the bench D1')
  d1(STATE, { file: 'schema.sql' })
  const seedSeconds = seed()

  const targets = findTargets()
  log(`targets: max id ${targets.maxId}, deep cursor id ${targets.deepId}, ${targets.cancel.length} cancel, ${targets.retry.length} retry`)
  const plans = queryPlans(targets)

  log('bundling the Worker (a snapshot: edits during the run do not reload it)')
  const script = bundle(join(STATE, 'build'))
  if (await fetchLocal('/').then(() => true, () => false)) throw new Error(`something already listens on 127.0.0.1:${PORT} (set BENCH_PORT)`)
  log(`starting wrangler dev on 127.0.0.1:${PORT}`)
  dev = startDev({
    script,
    port: PORT,
    persistTo: STATE,
    vars: { BENCH_ROUTES: '1', INITIAL_ROOT_TOKEN: ROOT_TOKEN },
    logFile: join(STATE, 'wrangler-dev.log'),
  })
  await waitForDev(dev, async () => (await fetchLocal('/api/v4/-/bench/empty')).status === 200, 120_000)
  await prepareExtras()
  await sanityChecks(targets)

  const reads = await readScenarios(targets)
  const commands = await commandScenarios(targets)
  await commandChecks(commands)

  const markdown = report({
    machine: { ...machine, loadAfter: loadavg() },
    date: new Date().toISOString(),
    settings: { connections: CONNECTIONS, readSeconds: READ_SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, commands: COMMANDS, commandWarmup: COMMAND_WARMUP, commandConnections: COMMAND_CONNECTIONS, perPage: PER_PAGE, jobs: JOBS, deep: DEEP },
    seedSeconds,
    runSeconds: (Date.now() - started) / 1000,
    reads,
    commands,
    plans,
  })
  writeFileSync('bench/results.md', markdown)
  process.stdout.write(markdown)
  log('wrote bench/results.md')
}

/** Seeds unless the state already holds the jobs; returns the seconds it took (0 when skipped). */
function seed() {
  const [[counts]] = d1(STATE, { command: SEEDED_QUERY })
  if (isSeeded(counts)) {
    log(`state already holds ${counts.read_jobs} + ${counts.command_jobs} jobs: no seeding`)
    return 0
  }
  const t = Date.now()
  log('seeding users, token, projects, runners, commits, pipelines and stages')
  d1(STATE, { command: baseStatements(ROOT_TOKEN).join(';\n') })
  const statements = jobStatements()
  statements.forEach((statement, i) => {
    log(`seeding jobs: part ${i + 1} of ${statements.length}`)
    d1(STATE, { command: statement })
  })
  const seconds = (Date.now() - t) / 1000
  log(`seeded in ${seconds.toFixed(0)} s`)
  return seconds
}

function findTargets() {
  const [[{ max_id: maxId }], cancel, retry] = d1(STATE, { command: targetQueries((COMMANDS + COMMAND_WARMUP) * COMMAND_CONNECTIONS.length).join(';\n') })
  const deepId = maxId - DEEP
  return {
    maxId,
    deepId,
    deepCursor: Buffer.from(JSON.stringify({ id: String(deepId), _kd: 'n' })).toString('base64url'),
    // A pipeline from the middle of the history, and one job from the middle.
    pipelineId: Math.floor(JOBS / JOBS_PER_PIPELINE / 2) + 1,
    jobId: maxId - JOBS / 2,
    cancel: cancel.map((row) => row.id),
    retry: retry.map((row) => row.id),
  }
}

/** EXPLAIN QUERY PLAN of the list statements' shapes, read before wrangler dev opens the database. */
function queryPlans(targets) {
  const queries = planQueries(targets)
  const plans = d1(STATE, { command: Object.values(queries).map((sql) => `EXPLAIN QUERY PLAN ${sql}`).join(';\n') })
  return Object.fromEntries(Object.keys(queries).map((name, i) => [name, plans[i].map((row) => row.detail)]))
}

function readPaths(targets) {
  return [
    { name: 'empty route (baseline)', path: '/api/v4/-/bench/empty', baseline: 'empty' },
    { name: 'one-query route (baseline)', path: `/api/v4/-/bench/query?project_id=${PROJECT_ID}`, baseline: 'query' },
    { name: 'the job list statement alone (diagnostic)', path: `/api/v4/-/bench/page?project_id=${PROJECT_ID}`, baseline: 'page' },
    { name: 'project jobs, first page', path: `${project}/jobs?per_page=${PER_PAGE}`, list: true, key: 'first' },
    { name: `project jobs, keyset page at depth ${DEEP.toLocaleString('en')}`, path: `${project}/jobs?pagination=keyset&per_page=${PER_PAGE}&cursor=${targets.deepCursor}`, list: true, key: 'deep' },
    { name: 'project jobs, scope[]=failed', path: `${project}/jobs?per_page=${PER_PAGE}&scope%5B%5D=failed`, list: true },
    { name: 'project jobs, scope[]=pending&scope[]=running', path: `${project}/jobs?per_page=${PER_PAGE}&scope%5B%5D=pending&scope%5B%5D=running`, list: true },
    { name: `pipeline jobs (pipeline ${targets.pipelineId})`, path: `${project}/pipelines/${targets.pipelineId}/jobs?per_page=${PER_PAGE}`, list: true },
    { name: 'one job', path: `${project}/jobs/${targets.jobId}` },
    { name: `projects list, first page (${EXTRA_PROJECTS}+ projects)`, path: `/api/v4/projects?per_page=${PER_PAGE}`, list: true },
    { name: `project CI/CD variables (${VARIABLES} values, each decrypted)`, path: `${project}/variables?per_page=${PER_PAGE}`, list: true },
  ]
}

async function readScenarios(targets) {
  const scenarios = readPaths(targets)
  const runs = new Map(scenarios.map((s) => [s.name, []]))
  log(`warming up ${scenarios.length} read scenarios`)
  for (const s of scenarios) await runLoad({ port: PORT, connections: CONNECTIONS, durationMs: WARMUP_SECONDS * 1000, request: () => ({ path: s.path, headers: auth }) })
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of scenarios) {
      log(`round ${round}/${ROUNDS}: ${s.name}`)
      runs.get(s.name).push(await runLoad({ port: PORT, connections: CONNECTIONS, durationMs: (READ_SECONDS / ROUNDS) * 1000, request: () => ({ path: s.path, headers: auth }) }))
    }
  }
  return scenarios.map((s) => ({ ...s, ...summarize(runs.get(s.name)) }))
}

/**
 * Commands at each concurrency, in ROUNDS interleaved rounds so that a change in the machine's
 * background load hits the commands and their baseline alike. Every request gets its own target.
 */
async function commandScenarios(targets) {
  const runId = Date.now().toString(36)
  const perLevel = COMMANDS + COMMAND_WARMUP
  const out = []
  for (const [level, connections] of COMMAND_CONNECTIONS.entries()) {
    const slice = (list) => list.slice(level * perLevel, (level + 1) * perLevel)
    const scenarios = [
      { name: 'bare DO round trip, a new object each time', baseline: 'object', targets: range(perLevel), path: (i) => `/api/v4/-/bench/object?name=bench-${runId}-${connections}-${i}` },
      { name: 'bare DO round trip, one warm object', targets: range(perLevel), path: () => `/api/v4/-/bench/object?name=bench-warm` },
      { name: 'cancel a pending job', key: 'cancel', method: 'POST', targets: slice(targets.cancel), path: (id) => `${commandsProject}/jobs/${id}/cancel` },
      { name: 'retry a finished job', key: 'retry', method: 'POST', targets: slice(targets.retry), path: (id) => `${commandsProject}/jobs/${id}/retry` },
    ]
    const runs = scenarios.map(() => [])
    for (const s of scenarios) {
      if (s.targets.length < perLevel) log(`WARNING: only ${s.targets.length} targets for "${s.name}" (delete bench/.state to seed afresh)`)
      await runLoad({ port: PORT, connections, requests: COMMAND_WARMUP, request: requestOf(s, s.targets.slice(0, COMMAND_WARMUP)) })
    }
    const measured = scenarios.map((s) => s.targets.slice(COMMAND_WARMUP))
    const perRound = Math.ceil(COMMANDS / ROUNDS)
    for (let round = 0; round < ROUNDS; round++) {
      log(`commands at ${connections} connection(s), round ${round + 1}/${ROUNDS}`)
      for (const [i, s] of scenarios.entries()) {
        const list = measured[i].slice(round * perRound, (round + 1) * perRound)
        runs[i].push(await runLoad({ port: PORT, connections, requests: list.length, request: requestOf(s, list) }))
      }
    }
    scenarios.forEach((s, i) => out.push({ ...s, connections, ...summarize(runs[i]), last: measured[i].at(-1) }))
  }
  return out
}

function requestOf(scenario, list) {
  return (i) => (i < list.length ? { method: scenario.method, path: scenario.path(list[i]), headers: auth } : undefined)
}

/** Projects and CI/CD variables for the extra read scenarios, made through the API (encrypted like any). */
const EXTRA_PROJECTS = 20
const VARIABLES = 20
async function prepareExtras() {
  const post = async (path, body) => {
    const response = await fetchLocal(path, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    if (response.status !== 201) throw new Error(`POST ${path} → ${response.status} ${await response.text()}`)
  }
  const total = async (path) => Number((await fetchLocal(`${path}?per_page=1`, { headers: auth })).headers.get('x-total'))
  for (let n = await total('/api/v4/projects'); n < EXTRA_PROJECTS + 2; n++) await post('/api/v4/projects', { name: `bench-list-${n}` })
  for (let n = await total(`${project}/variables`); n < VARIABLES; n++) {
    await post(`${project}/variables`, { key: `BENCH_SECRET_${n}`, value: `bench-secret-value-${n}-${'x'.repeat(40)}`, masked: true })
  }
  log(`extras: ${await total('/api/v4/projects')} projects, ${await total(`${project}/variables`)} variables`)
}

/** Every scenario must answer what the API promises, or its figures mean nothing. */
async function sanityChecks(targets) {
  const meter = await fetchLocal('/api/v4/-/bench/query')
  expect(meter.headers.get('x-bench-d1-round-trips') === '1', 'one-query route is metered (1 round trip)')
  const pages = {
    first: await getJson(`${project}/jobs?per_page=${PER_PAGE}`),
    deep: await getJson(`${project}/jobs?pagination=keyset&per_page=${PER_PAGE}&cursor=${targets.deepCursor}`),
    failed: await getJson(`${project}/jobs?per_page=${PER_PAGE}&scope%5B%5D=failed`),
    pipeline: await getJson(`${project}/pipelines/${targets.pipelineId}/jobs?per_page=${PER_PAGE}`),
  }
  expect(pages.first.length === PER_PAGE && pages.first[0].id === targets.maxId, 'first page starts at the newest job')
  expect(pages.deep.length === PER_PAGE && pages.deep[0].id === targets.deepId - 1, 'keyset page starts below its cursor')
  expect(pages.failed.length === PER_PAGE && pages.failed.every((job) => job.status === 'failed'), 'scoped page holds failed jobs only')
  expect(pages.pipeline.length === PER_PAGE && pages.pipeline.every((job) => job.pipeline.id === targets.pipelineId), 'pipeline page holds its jobs')
  expect((await getJson(`${project}/jobs/${targets.jobId}`)).id === targets.jobId, 'one job answers that job')
  expect((await getJson(`/api/v4/projects?per_page=${PER_PAGE}`)).length === PER_PAGE, 'the projects list answers a full page')
  const variables = await getJson(`${project}/variables?per_page=${PER_PAGE}`)
  expect(variables.length === VARIABLES && variables.every((v) => v.value.startsWith('bench-secret-value-')), 'variables come back decrypted')
  log('sanity checks passed')
}

/** The last measured cancel left its job canceled; the last retry left a new job in its place. */
async function commandChecks(commands) {
  for (const c of commands.filter((c) => c.key === 'cancel' && c.last)) {
    expect((await getJson(`${commandsProject}/jobs/${c.last}`)).status === 'canceled', `job ${c.last} is canceled after the run`)
  }
  for (const c of commands.filter((c) => c.key === 'retry' && c.last)) {
    const [newest] = await getJson(`${commandsProject}/pipelines/${Math.ceil(c.last / JOBS_PER_PIPELINE)}/jobs?per_page=1`)
    const old = await getJson(`${commandsProject}/jobs/${c.last}`)
    expect(newest.id > c.last && newest.name === old.name, `job ${c.last} has a new retry job`)
  }
}

function expect(condition, what) {
  if (!condition) throw new Error(`sanity check failed: ${what}`)
}

async function getJson(path) {
  const response = await fetchLocal(path, { headers: auth })
  if (response.status !== 200) throw new Error(`GET ${path} → ${response.status} ${await response.text()}`)
  return response.json()
}

function fetchLocal(path, init) {
  return fetch(`http://127.0.0.1:${PORT}${path}`, { ...init, signal: AbortSignal.timeout(30_000) })
}

function range(n) {
  return Array.from({ length: n }, (_, i) => i)
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (dev) killDevNow(dev)
    process.exit(130)
  })
}
process.on('exit', () => dev && killDevNow(dev))

try {
  await main()
} catch (error) {
  log(`FAILED: ${error.stack ?? error}`)
  process.exitCode = 1
} finally {
  if (dev) {
    log('stopping wrangler dev')
    await stopDev(dev)
    dev = undefined
  }
}
