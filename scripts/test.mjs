// `npm test`: type-check, then every test inside workerd. Runs on the Node pinned in
// package.json (node_modules/.bin/node), whatever the system Node is. Ends with a plain
// "Tests: N passed, N failed" line (from vitest's JSON report) for CI logs.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'

const run = (args) => spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } }).status ?? 1

if (run(['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']) !== 0) process.exit(1)

mkdirSync('node_modules/.cache', { recursive: true })
const report = 'node_modules/.cache/vitest-report.json'
rmSync(report, { force: true })
const status = run([
  'node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`,
  ...process.argv.slice(2),
])
if (existsSync(report)) {
  const { numPassedTests, numFailedTests } = JSON.parse(readFileSync(report, 'utf8'))
  console.log(`Tests: ${numPassedTests} passed, ${numFailedTests} failed`)
}
process.exit(status)
