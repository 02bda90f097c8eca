// The real-git test stage of `npm test`: starts the Worker under `wrangler dev` (own port,
// persist dir and bundle), runs test/git-cli/*.test.mjs with node:test against it using the
// system `git`, stops the server in every way out, and writes the counts for scripts/test.mjs.
//   node test/git-cli/run.mjs [--counts <file>] [test files…]
import { spawn, spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT_TOKEN, startServer } from './server.mjs'

const args = process.argv.slice(2)
const countsAt = args.indexOf('--counts')
const countsFile = countsAt === -1 ? null : args.splice(countsAt, 2)[1]
const dir = 'test/git-cli'
const files = args.length > 0 ? args : readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(dir, f))

const writeCounts = (passed, failed) => {
  if (countsFile) writeFileSync(countsFile, JSON.stringify({ passed, failed }))
}

const version = spawnSync('git', ['--version'], { encoding: 'utf8' })
if (version.status !== 0) {
  console.error('git-cli tests: `git` is not installed (.ci/run installs Debian\'s git)')
  writeCounts(0, 1)
  process.exit(1)
}
console.log(`git-cli tests with ${version.stdout.trim()}`)

const port = Number(process.env.GIT_TEST_PORT ?? 8822)
// A small push limit so the over-limit test stays quick (the benchmark runs its own server).
const server = await startServer({ port, vars: { GIT_MAX_PUSH_BYTES: String(8 * 1024 * 1024), GIT_MAX_OBJECT_BYTES: String(4 * 1024 * 1024) } })
let status = 1
const tap = join(server.dir, 'results.tap')
try {
  status = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=2', '--test-reporter=spec', '--test-reporter-destination=stdout',
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
  if (status !== 0 && process.env.KEEP_GIT_LOG) spawnSync('cp', [server.logFile, '/tmp/edgejobs-git-wrangler.log'])
  await server.stop()
}
process.exit(status)
