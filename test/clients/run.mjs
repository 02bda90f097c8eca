// The python-gitlab stage of `npm test`: the README's `npm start`, run for real in a scratch copy
// of the project (its own .dev.vars, .wrangler state and port), then Debian's python3-gitlab
// (test/clients/python_gitlab_test.py, run by /usr/bin/python3) against it, then a second
// `npm start` on the same state to show that the state and the root token persist. The server is
// stopped in every way out (normal end, error, SIGINT/SIGTERM/SIGHUP, exit).
//   node test/clients/run.mjs [--counts <file>] [unittest names…]
// CLIENT_TEST_PORT picks the port (default 8870).
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const args = process.argv.slice(2)
const countsAt = args.indexOf('--counts')
const countsFile = countsAt === -1 ? null : args.splice(countsAt, 2)[1]
const writeCounts = (passed, failed) => {
  if (countsFile) writeFileSync(countsFile, JSON.stringify({ passed, failed }))
}

const PYTHON = '/usr/bin/python3' // Debian's, where python3-gitlab is installed (not a pyenv shim)
const probe = spawnSync(PYTHON, ['-c', 'import gitlab; print(gitlab.__version__)'], { encoding: 'utf8' })
if (probe.status !== 0) {
  console.error("python-gitlab tests: Debian's python3-gitlab is not installed (.ci/run installs it)")
  writeCounts(0, 1)
  process.exit(1)
}
console.log(`python-gitlab tests with python-gitlab ${probe.stdout.trim()}`)

const root = resolve(import.meta.dirname, '../..')
const port = Number(process.env.CLIENT_TEST_PORT ?? 8870)
// localhost, as start.mjs sets EXTERNAL_URL (python-gitlab checks that Link headers stay on its URL).
const base = `http://localhost:${port}`

/**
 * A scratch copy in which `npm start` behaves as on a fresh clone: scripts/ is copied (start.mjs
 * finds the project next to itself), the rest linked; .dev.vars and .wrangler/ are made there.
 */
const dir = mkdtempSync(join(tmpdir(), 'edgejobs-clients-'))
mkdirSync(join(dir, 'scripts'))
cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true })
for (const entry of ['src', 'node_modules', 'package.json', 'wrangler.toml', 'schema.sql', 'schema-upgrades.sql', 'tsconfig.json']) {
  symlinkSync(join(root, entry), join(dir, entry))
}

let server = null
const killServer = () => {
  if (!server || server.exitCode !== null) return
  try {
    process.kill(-server.pid, 'SIGKILL')
  } catch {
    /* gone */
  }
}
process.once('exit', () => {
  killServer()
  rmSync(dir, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => process.exit(130))
}

/** `npm start` (node scripts/start.mjs) in the scratch copy; resolves with its printed root token. */
async function npmStart(logName) {
  const logFile = join(dir, logName)
  let output = ''
  server = spawn(process.execPath, ['scripts/start.mjs', '--log-level', 'warn', '--show-interactive-dev-session=false'], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // EXTERNAL_URL as the clients reach it (start.mjs uses http://localhost:<port> otherwise).
    env: { ...process.env, PORT: String(port), CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' },
  })
  const collect = (chunk) => {
    output += chunk
    writeFileSync(logFile, output)
  }
  server.stdout.on('data', collect)
  server.stderr.on('data', collect)
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`npm start exited:\n${output.slice(-3000)}`)
    const token = /root token \((new|from \.dev\.vars)[^)]*\): (glpat-\S+)/.exec(output)
    if (token) {
      const ok = await fetch(`${base}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': token[2] } }).then((r) => r.status === 200, () => false)
      if (ok) return { token: token[2], fresh: token[1] === 'new', output }
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`npm start did not serve ${base} in 120 s:\n${output.slice(-3000)}`)
}

async function stopServer() {
  if (!server || server.exitCode !== null) return
  const exited = new Promise((r) => server.once('exit', r))
  process.kill(-server.pid, 'SIGTERM')
  const timer = setTimeout(killServer, 10_000)
  await exited
  clearTimeout(timer)
}

let passed = 0
let failed = 0
let status = 1
try {
  const first = await npmStart('first-start.log')
  const check = (ok, what) => {
    if (ok) passed += 1
    else {
      failed += 1
      console.error(`not ok: ${what}`)
    }
    console.log(`${ok ? 'ok' : 'not ok'} - ${what}`)
  }
  check(first.fresh && /^INITIAL_ROOT_TOKEN=glpat-/m.test(readFileSync(join(dir, '.dev.vars'), 'utf8')),
    'first npm start makes a root token, prints it and keeps it in .dev.vars')

  const counts = join(dir, 'python-counts.json')
  const python = await new Promise((done) => {
    const child = spawn(PYTHON, [join(root, 'test/clients/python_gitlab_test.py'), '--counts', counts, ...args], {
      stdio: 'inherit',
      env: { ...process.env, EDGEJOBS_URL: base, EDGEJOBS_TOKEN: first.token, PYTHONDONTWRITEBYTECODE: '1' },
    })
    child.on('exit', (code) => done(code ?? 1))
  })
  try {
    const result = JSON.parse(readFileSync(counts, 'utf8'))
    passed += result.passed
    failed += result.failed
  } catch {
    failed += 1 // the python run died before writing its counts
  }

  // gitbeaker (npm) with node:test, against the same server.
  const tap = join(dir, 'gitbeaker.tap')
  const gitbeaker = await new Promise((done) => {
    const child = spawn(process.execPath, ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`, join(root, 'test/clients/gitbeaker.test.mjs')], {
      stdio: 'inherit',
      env: { ...process.env, EDGEJOBS_URL: base, EDGEJOBS_TOKEN: first.token },
    })
    child.on('exit', (code) => done(code ?? 1))
  })
  try {
    const text = readFileSync(tap, 'utf8')
    const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
    passed += count('pass')
    failed += count('fail') + count('cancelled')
  } catch {
    failed += 1
  }

  // A second start on the same state: same token (read back, not new) and the projects still there.
  await stopServer()
  const second = await npmStart('second-start.log')
  const projects = await fetch(`${base}/api/v4/projects/1`, { headers: { 'PRIVATE-TOKEN': second.token } })
  check(!second.fresh && second.token === first.token && projects.status === 200,
    'a second npm start keeps the root token and the state (project 1 is still there)')
  status = failed === 0 && python === 0 && gitbeaker === 0 ? 0 : 1
} catch (error) {
  console.error(error)
  failed += 1
} finally {
  await stopServer().catch(() => killServer())
  if (status !== 0) console.error(`npm start logs: ${dir} (removed at exit; KEEP_CLIENT_LOG=1 copies them to /tmp/edgejobs-clients-logs)`)
  if (status !== 0 && process.env.KEEP_CLIENT_LOG) cpSync(dir, '/tmp/edgejobs-clients-logs', { recursive: true, filter: (p) => !p.includes('node_modules') })
}
console.log(`clients stage (python-gitlab, gitbeaker): ${passed} passed, ${failed} failed`)
writeCounts(passed, failed)
process.exit(status)
