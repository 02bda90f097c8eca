// The benchmark's use of wrangler: local D1 through `wrangler d1 execute --local`, one bundle of
// the Worker, and a `wrangler dev` of its own (own port, own --persist-to) that is always stopped.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
// wrangler's "exports" hide bin/; find it next to its package.json, which is exported.
const WRANGLER = join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js')
export const WRANGLER_VERSION = JSON.parse(readFileSync(require.resolve('wrangler/package.json'), 'utf8')).version
const ENV = { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }

function wrangler(args, what) {
  const result = spawnSync(process.execPath, [WRANGLER, ...args], { encoding: 'utf8', env: ENV, maxBuffer: 256 * 1024 * 1024 })
  if (result.status !== 0) {
    throw new Error(`${what} failed (exit ${result.status ?? result.signal}):\n${tail(result.stdout)}\n${tail(result.stderr)}`)
  }
  return result.stdout
}

/** Runs SQL (`;`-separated statements, one transaction) on the local D1; returns each statement's rows. */
export function d1(persistTo, { command, file }) {
  const input = file ? ['--file', file] : ['--command', command]
  const out = wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persistTo, '--json', ...input], 'wrangler d1 execute')
  return JSON.parse(out).map((result) => result.results)
}

/**
 * Bundles the Worker once (`wrangler deploy --dry-run`). The dev server runs this snapshot with
 * --no-bundle, so edits others save in src/ during a run neither reload nor break it.
 */
export function bundle(outdir) {
  wrangler(['deploy', '--dry-run', '--outdir', outdir], 'wrangler deploy --dry-run')
  return join(outdir, 'index.js')
}

/** A fixed CI_VARIABLES_KEY for served test and benchmark Workers (never a deployment's). */
export const TEST_CI_VARIABLES_KEY = 'dGVzdC1jaS12YXJpYWJsZXMta2V5LTMyLWJ5dGVzISE='

/** Starts `wrangler dev` in its own process group (so that stopping it ends workerd too). */
export function startDev({ script, port, persistTo, vars: given, logFile }) {
  const vars = { CI_VARIABLES_KEY: TEST_CI_VARIABLES_KEY, ...given }
  const log = openSync(logFile, 'w')
  const args = [
    WRANGLER, 'dev', script, '--config', 'wrangler.toml', '--no-bundle', '--local',
    '--ip', '127.0.0.1', '--port', String(port), '--persist-to', persistTo,
    '--show-interactive-dev-session=false', '--log-level', 'warn',
    ...Object.entries(vars).flatMap(([key, value]) => ['--var', `${key}:${value}`]),
  ]
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env: ENV })
  closeSync(log)
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)))
  return { child, exited, logFile }
}

/** Waits until `probe()` is true; fails early with the log's tail if wrangler dev exits. */
export async function waitForDev(dev, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  let gone = false
  dev.exited.then(() => (gone = true))
  while (Date.now() < deadline) {
    if (gone) throw new Error(`wrangler dev exited while starting:\n${tail(readFileSync(dev.logFile, 'utf8'))}`)
    if (await probe().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  throw new Error(`wrangler dev was not ready after ${timeoutMs} ms:\n${tail(readFileSync(dev.logFile, 'utf8'))}`)
}

/** SIGTERM to the whole process group, then SIGKILL to whatever of it is left after 5 s. */
export async function stopDev(dev) {
  const signalGroup = (signal) => {
    try {
      process.kill(-dev.child.pid, signal)
      return true
    } catch {
      return false // the group is gone
    }
  }
  signalGroup('SIGTERM')
  const deadline = Date.now() + 5000
  await Promise.race([dev.exited, new Promise((resolve) => setTimeout(resolve, 5000))])
  // wrangler may exit before its workerd children: wait for the group, not only for wrangler.
  while (Date.now() < deadline && signalGroup(0)) await new Promise((resolve) => setTimeout(resolve, 100))
  signalGroup('SIGKILL')
}

/** Synchronous last resort (process 'exit' handlers cannot wait). */
export function killDevNow(dev) {
  try {
    process.kill(-dev.child.pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

function tail(text = '', lines = 30) {
  return text.split('\n').slice(-lines).join('\n')
}
