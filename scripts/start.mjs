// `npm start`: local API on http://localhost:8787 with persistent local D1/R2 state.
// First start: writes .dev.vars with a fresh root token and prints it. Every start: applies
// schema.sql to the local D1 (idempotent), then runs `wrangler dev`.
import { spawnSync, spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const wrangler = require.resolve('wrangler/bin/wrangler.js')
const port = process.env.PORT ?? '8787'

let firstStart = false
if (!existsSync('.dev.vars')) {
  const token = 'glpat-' + randomBytes(20).toString('base64url').slice(0, 26)
  writeFileSync('.dev.vars', `INITIAL_ROOT_TOKEN=${token}\n`, { mode: 0o600 })
  firstStart = true
}
const rootToken = /INITIAL_ROOT_TOKEN=(\S+)/.exec(readFileSync('.dev.vars', 'utf8'))?.[1]

const applied = spawnSync(process.execPath, [wrangler, 'd1', 'execute', 'DB', '--local', '--file', 'schema.sql'], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false' },
})
if (applied.status !== 0) {
  console.error('could not apply schema.sql to the local D1')
  process.exit(applied.status ?? 1)
}

console.log('')
console.log(`edgejobs: http://localhost:${port}/api/v4`)
console.log(firstStart ? `root token (new, saved in .dev.vars): ${rootToken}` : `root token (from .dev.vars): ${rootToken}`)
console.log('')

const dev = spawn(process.execPath, [wrangler, 'dev', '--port', port, '--ip', '127.0.0.1', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
})
dev.on('exit', (code) => process.exit(code ?? 0))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal))
