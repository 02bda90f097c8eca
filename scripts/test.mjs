// `npm test`: type-check, the dependency check (scripts/check-deps.mjs), then every test inside
// workerd, then the browser stage (the log viewer in headless Chromium against `wrangler dev`,
// test/browser/). Runs on the Node pinned in
// package.json (node_modules/.bin/node), whatever the system Node is. Ends with a plain
// "Tests: N passed, N failed" line (vitest's JSON report plus the browser stage's) for CI logs.
// Arguments go to vitest; with arguments (one file, a filter) the browser stage is skipped unless
// BROWSER_TESTS=1.
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
const browserReport = 'node_modules/.cache/browser-report.json'
rmSync(report, { force: true })
rmSync(browserReport, { force: true })
const args = process.argv.slice(2)
const vitestStatus = run(['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args])

const browser = args.length === 0 || process.env.BROWSER_TESTS === '1'
const browserStatus = browser ? run(['test/browser/log-viewer-xss.mjs']) : 0

let passed = 0
let failed = 0
if (existsSync(report)) {
  const { numPassedTests, numFailedTests } = JSON.parse(readFileSync(report, 'utf8'))
  passed += numPassedTests
  failed += numFailedTests
} else if (vitestStatus !== 0) failed += 1
if (browser) {
  if (existsSync(browserReport)) {
    const counts = JSON.parse(readFileSync(browserReport, 'utf8'))
    passed += counts.passed
    failed += counts.failed
  } else failed += 1 // the stage died before writing its report
}
console.log(`Tests: ${passed} passed, ${failed} failed`)
process.exit(vitestStatus || browserStatus)
