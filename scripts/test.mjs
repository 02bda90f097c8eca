// `npm test`: type-check, the dependency check (scripts/check-deps.mjs), then every test inside
// workerd, then the real-client stages against the Worker served by `wrangler dev`: the `git` command line (test/git-cli/run.mjs), the log viewer
// in headless Chromium (test/browser/log-viewer-xss.mjs), Debian's python3-gitlab against a real
// `npm start` (test/clients/run.mjs) and webhook deliveries to a real HTTP receiver (test/webhooks/run.mjs). Runs on the Node pinned in package.json
// (node_modules/.bin/node), whatever the system Node is. Ends with a plain
// "Tests: N passed, N failed" line counting every stage, for CI logs.
//   npm test                  everything
//   npm test -- <vitest args> vitest with those arguments only (no real-client stage, unless
//                             BROWSER_TESTS=1, GIT_TESTS=1, CLIENT_TESTS=1 or HOOKS_TESTS=1 asks for it)
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'

const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } }).status ?? 1

if (run(['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']) !== 0) process.exit(1)
// The layer table and the no-cycle rule (docs/architecture.md), before any test runs.
if (run(['scripts/check-deps.mjs']) !== 0) {
  console.log('Tests: 0 passed, 1 failed')
  process.exit(1)
}

mkdirSync('node_modules/.cache', { recursive: true })
const report = 'node_modules/.cache/vitest-report.json'
rmSync(report, { force: true })
const vitestArgs = process.argv.slice(2)
let status = run([
  'node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...vitestArgs,
])
let passed = 0
let failed = 0
if (existsSync(report)) {
  const counts = JSON.parse(readFileSync(report, 'utf8'))
  passed += counts.numPassedTests
  failed += counts.numFailedTests
} else if (status !== 0) failed += 1

// Real clients against a served Worker, one stage per file; each writes {passed, failed} to --counts.
const all = vitestArgs.length === 0
const stages = [
  ['test/git-cli/run.mjs', all || process.env.GIT_TESTS === '1'],
  ['test/browser/log-viewer-xss.mjs', all || process.env.BROWSER_TESTS === '1'],
  ['test/clients/run.mjs', all || process.env.CLIENT_TESTS === '1'],
  ['test/webhooks/run.mjs', all || process.env.HOOKS_TESTS === '1'],
].filter(([, wanted]) => wanted).map(([stage]) => stage)
for (const stage of stages) {
  const counts = `node_modules/.cache/${stage.replace(/[^\w]+/g, '-')}.json`
  rmSync(counts, { force: true })
  const stageStatus = run([stage, '--counts', counts])
  if (stageStatus !== 0) status = status || stageStatus
  if (existsSync(counts)) {
    const result = JSON.parse(readFileSync(counts, 'utf8'))
    passed += result.passed
    failed += result.failed
  } else failed += 1 // the stage died before writing its counts
}
console.log(`Tests: ${passed} passed, ${failed} failed`)
process.exit(status)
