// The real-git test stage of `npm test`: starts the Worker under `wrangler dev` (own port,
// persist dir and bundle), runs test/git-cli/*.test.mjs with node:test against it using the
// system `git`, stops the server in every way out, and writes the counts for scripts/test.mjs
// (runServedTests in ./server.mjs).
//   node test/git-cli/run.mjs [--counts <file>] [test files…]
import { spawnSync } from 'node:child_process'
import { runServedTests, stageArgs } from './server.mjs'

const { files, writeCounts } = stageArgs('test/git-cli')

const version = spawnSync('git', ['--version'], { encoding: 'utf8' })
if (version.status !== 0) {
  console.error('git-cli tests: `git` is not installed (.ci/run installs Debian\'s git)')
  writeCounts(0, 1)
  process.exit(1)
}
console.log(`git-cli tests with ${version.stdout.trim()}`)

await runServedTests({
  files, writeCounts,
  port: Number(process.env.GIT_TEST_PORT ?? 8822),
  // A small push limit so the over-limit test stays quick (the benchmark runs its own server).
  vars: { GIT_MAX_PUSH_BYTES: String(8 * 1024 * 1024), GIT_MAX_OBJECT_BYTES: String(4 * 1024 * 1024) },
  concurrency: 2,
  keepLogAs: '/tmp/edgejobs-git-wrangler.log',
})
