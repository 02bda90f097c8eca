// `npm start`: local API on http://localhost:8787 with persistent local D1/R2 state.
// First start: adds a fresh root token and a CI_VARIABLES_KEY to .dev.vars and prints the token. Every start: brings the local
// D1 up to schema.sql (scripts/schema.mjs: missing columns, then the idempotent schema), then runs
// `wrangler dev` on 127.0.0.1.
// PORT=9000 npm start picks another port; extra arguments go to `wrangler dev`.
import { spawnSync, spawn } from 'node:child_process'
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { applySchema } from './schema.mjs'

const require = createRequire(import.meta.url)
// wrangler's "exports" hide bin/; find it next to its package.json, which is exported.
const wrangler = join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js')
const port = process.env.PORT ?? '8787'

const readVar = (name) => {
  const text = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : ''
  const match = new RegExp(`^\\s*${name}\\s*=\\s*(.*?)\\s*$`, 'm').exec(text)
  return match?.[1].replace(/^(["'])(.*)\1$/, '$2')
}

let firstStart = false
if (!readVar('INITIAL_ROOT_TOKEN')) {
  const token = 'glpat-' + randomBytes(20).toString('base64url').slice(0, 26)
  const text = existsSync('.dev.vars') ? readFileSync('.dev.vars', 'utf8') : ''
  appendFileSync('.dev.vars', `${text && !text.endsWith('\n') ? '\n' : ''}INITIAL_ROOT_TOKEN=${token}\n`, { mode: 0o600 })
  firstStart = true
}
const rootToken = readVar('INITIAL_ROOT_TOKEN')
// The key CI/CD variable values are encrypted with (src/auth/secret-box.ts); made once, kept:
// losing it makes every stored variable unreadable.
if (!readVar('CI_VARIABLES_KEY')) {
  const text = readFileSync('.dev.vars', 'utf8')
  appendFileSync('.dev.vars', `${text && !text.endsWith('\n') ? '\n' : ''}CI_VARIABLES_KEY=${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
}

// No network needed: wrangler would otherwise try to download the `Request.cf` sample object.
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false' }

try {
  applySchema('--local')
} catch (error) {
  console.error(`could not apply schema.sql to the local D1: ${error.message}`)
  process.exit(1)
}

// web_url fields and Link headers follow the port unless EXTERNAL_URL is set in .dev.vars.
const externalUrl = readVar('EXTERNAL_URL') ?? `http://localhost:${port}`
const vars = readVar('EXTERNAL_URL') ? [] : ['--var', `EXTERNAL_URL:${externalUrl}`]

console.log('')
console.log(`edgejobs: ${externalUrl}/api/v4`)
console.log(firstStart ? `root token (new, saved in .dev.vars): ${rootToken}` : `root token (from .dev.vars): ${rootToken}`)
console.log('')

const dev = spawn(process.execPath, [wrangler, 'dev', '--port', port, '--ip', '127.0.0.1', ...vars, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
})
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)))
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal))
