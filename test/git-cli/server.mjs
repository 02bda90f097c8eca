// A served Worker for the real-client tests: its own bundle, port, persist dir and wrangler dev,
// stopped on every way out (normal end, error, SIGINT/SIGTERM, exit).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundle, d1, startDev, stopDev, waitForDev } from '../../bench/wrangler.mjs'

export const ROOT_TOKEN = 'glpat-git-cli-root-token-0000000'

export async function startServer({ port, vars = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'edgejobs-git-'))
  const persistTo = join(dir, 'state')
  d1(persistTo, { file: 'schema.sql' })
  const script = bundle(join(dir, 'bundle'))
  const base = `http://127.0.0.1:${port}`
  const dev = startDev({
    script, port, persistTo, logFile: join(dir, 'wrangler.log'),
    vars: { INITIAL_ROOT_TOKEN: ROOT_TOKEN, EXTERNAL_URL: base, ...vars },
  })
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    await stopDev(dev)
    rmSync(dir, { recursive: true, force: true })
  }
  const stopNow = () => {
    if (stopped) return
    try {
      process.kill(-dev.child.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  process.once('exit', stopNow)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      stopNow()
      process.exit(130)
    })
  }
  try {
    await waitForDev(dev, async () => (await fetch(`${base}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': ROOT_TOKEN } })).status === 200, 90_000)
  } catch (error) {
    await stop()
    throw error
  }
  return { base, dir, logFile: dev.logFile, stop }
}
