// A served Worker for the real-client tests: its own bundle, port, persist dir and wrangler dev,
// stopped on every way out (normal end, error, SIGINT/SIGTERM, exit); and the runner of a served
// test stage (test/git-cli/run.mjs, test/webhooks/run.mjs) around it.
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundle, d1, startDev, stopDev, waitForDev } from '../../bench/wrangler.mjs'

export const ROOT_TOKEN = 'glpat-git-cli-root-token-0000000'

export async function startServer({ port, vars = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'edgejobs-git-'))
  const persistTo = join(dir, 'state')
  d1(persistTo, { file: 'schema.sql' })
  const script = bundle(join(dir, 'bundle'))
  const base = `http://127.0.0.1:${port}`
  const dev = startDev({
    script, port, persistTo, logFile: join(dir, 'wrangler.log'),
    vars: { INITIAL_ROOT_TOKEN: ROOT_TOKEN, EXTERNAL_URL: base, ...vars },
  })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await stopDev(dev)
    rmSync(dir, { recursive: true, force: true })
  }
  const stopNow = () => {
    if (stopped) return
    try {
      process.kill(-dev.child.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  process.once('exit', stopNow)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      stopNow()
      process.exit(130)
    })
  }
  try {
    await waitForDev(dev, async () => (await fetch(`${base}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': ROOT_TOKEN } })).status === 200, 90_000)
  } catch (error) {
    await stop()
    throw error
  }
  return { base, dir, logFile: dev.logFile, stop }
}

// A served test stage's command line, `[--counts <file>] [test files…]`: the test files (all of
// dir's *.test.mjs when none is named) and where the counts for scripts/test.mjs go.
export function stageArgs(dir) {
  const args = process.argv.slice(2)
  const countsAt = args.indexOf('--counts')
  const countsFile = countsAt === -1 ? null : args.splice(countsAt, 2)[1]
  const files = args.length > 0 ? args : readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(dir, f))
  const writeCounts = (passed, failed) => {
    if (countsFile) writeFileSync(countsFile, JSON.stringify({ passed, failed }))
  }
  return { files, writeCounts }
}

// Starts the served Worker, runs the files with node:test against it (GIT_TEST_BASE and
// GIT_TEST_ROOT_TOKEN in their env), writes the counts from the TAP report, stops the server in
// every way out and exits with the tests' status. keepLogAs: where to copy the wrangler log of a
// failed run when KEEP_GIT_LOG is set.
export async function runServedTests({ files, writeCounts, port, vars, concurrency = 1, keepLogAs }) {
  let status = 1
  let server
  try {
    server = await startServer({ port, vars })
    const tap = join(server.dir, 'results.tap')
    status = await new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', '--test-reporter-destination=stdout',
          '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
        { stdio: 'inherit', env: { ...process.env, GIT_TEST_BASE: server.base, GIT_TEST_ROOT_TOKEN: ROOT_TOKEN } },
      )
      child.on('exit', (code) => resolve(code ?? 1))
    })
    const text = readFileSync(tap, 'utf8')
    const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
    writeCounts(count('pass'), count('fail') + count('cancelled'))
    if (status !== 0) console.error(`wrangler log: ${server.logFile} (kept until the server stops)`)
  } catch (error) {
    console.error(error)
    writeCounts(0, 1)
  } finally {
    if (server && status !== 0 && keepLogAs && process.env.KEEP_GIT_LOG) copyFileSync(server.logFile, keepLogAs)
    await server?.stop()
  }
  process.exit(status)
}
