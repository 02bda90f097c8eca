// `npm test`: type-check, then every test inside workerd. Runs on the Node pinned in
// package.json (node_modules/.bin/node), whatever the system Node is.
import { spawnSync } from 'node:child_process'

const run = (args) => {
  const result = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NO_COLOR: '1' } })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

run(['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'])
run(['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)])
