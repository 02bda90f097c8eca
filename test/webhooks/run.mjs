// The webhook stage of `npm test`: starts the Worker under `wrangler dev` (own port, persist dir
// and bundle; the queue consumer runs inside it), runs test/webhooks/*.test.mjs with node:test
// against it (each test file starts its own HTTP receiver on 127.0.0.1), stops the server in
// every way out, and writes the counts for scripts/test.mjs.
//   node test/webhooks/run.mjs [--counts <file>] [test files…]
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT_TOKEN, startServer } from '../git-cli/server.mjs'

const args = process.argv.slice(2)
const countsAt = args.indexOf('--counts')
const countsFile = countsAt === -1 ? null : args.splice(countsAt, 2)[1]
const dir = 'test/webhooks'
const files = args.length > 0 ? args : readdirSync(dir).filter((f) => f.endsWith('.test.mjs')).sort().map((f) => join(dir, f))

const writeCounts = (passed, failed) => {
  if (countsFile) writeFileSync(countsFile, JSON.stringify({ passed, failed }))
}

const port = Number(process.env.HOOKS_TEST_PORT ?? 8825)
let status = 1
let server
try {
  // Retries one second apart, so a failing receiver's three tries take two seconds.
  server = await startServer({ port, vars: { WEBHOOK_RETRY_DELAYS_SECONDS: '1,1' } })
  const tap = join(server.dir, 'results.tap')
  status = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout',
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
  await server?.stop()
}
process.exit(status)
