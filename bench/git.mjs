// `npm run bench:git`: push and clone of a repository of 5,000 files (~50 MB), then a one-file
// push and the incremental fetch, against the Worker under its own `wrangler dev` (port 8825,
// own persist dir, stopped in every way out). Times each git command and reads the peak
// resident memory of the workerd processes (VmHWM, reset before each step) as the Worker's
// peak memory. Writes bench/git-results.md.
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { randomBytes } from 'node:crypto'
import { bundle, d1, killDevNow, startDev, stopDev, waitForDev } from './wrangler.mjs'

process.chdir(join(dirname(fileURLToPath(import.meta.url)), '..'))
const PORT = Number(process.env.BENCH_GIT_PORT ?? 8825)
const FILES = Number(process.env.BENCH_GIT_FILES ?? 5000)
const FILE_BYTES = Number(process.env.BENCH_GIT_FILE_BYTES ?? 10_000)
const ROOT_TOKEN = 'glpat-bench-git-root-token-00000'
const base = `http://127.0.0.1:${PORT}`
const dir = mkdtempSync(join(tmpdir(), 'edgejobs-bench-git-'))
const home = join(dir, 'home')
mkdirSync(home)
writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n')
const gitEnv = { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' }
const log = (m) => process.stderr.write(`[bench:git] ${m}\n`)

let dev
process.once('exit', () => dev && killDevNow(dev))
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130))

/** git, asynchronously, sampling the workerd processes' anonymous memory every 20 ms meanwhile. */
function gitSampled(args, cwd) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let anonPeak = 0
    const sample = () => (anonPeak = Math.max(anonPeak, memoryMb('RssAnon')))
    const timer = setInterval(sample, 20)
    const child = spawn('git', args, { cwd, env: gitEnv, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (status) => {
      clearInterval(timer)
      sample()
      if (status !== 0) reject(new Error(`git ${args.join(' ')}: ${stderr}`))
      else resolve({ ms: performance.now() - started, anonPeak })
    })
  })
}

function git(args, cwd) {
  const started = performance.now()
  const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', maxBuffer: 1 << 28 })
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`)
  return { ms: performance.now() - started, out: r.stdout.trim() }
}

/** workerd processes of our wrangler dev (its process group). */
function workerdPids() {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
      return pgrp === dev.child.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd')
    } catch {
      return false
    }
  })
}
function resetPeak() {
  for (const pid of workerdPids()) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5')
    } catch {
      /* not allowed: the peak then covers the process's whole life */
    }
  }
}
function memoryMb(field) {
  let max = 0
  for (const pid of workerdPids()) {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    if (m) max = Math.max(max, Number(m[1]))
  }
  return max / 1024
}
const peakMb = () => memoryMb('VmHWM')
async function api(method, path, body) {
  const res = await fetch(`${base}/api/v4${path}`, {
    method, headers: { 'PRIVATE-TOKEN': ROOT_TOKEN, 'Content-Type': 'application/json' }, body: body && JSON.stringify(body),
  })
  return res.json()
}

try {
  const persistTo = join(dir, 'state')
  d1(persistTo, { file: 'schema.sql' })
  const script = bundle(join(dir, 'bundle'))
  dev = startDev({ script, port: PORT, persistTo, logFile: join(dir, 'wrangler.log'), vars: { INITIAL_ROOT_TOKEN: ROOT_TOKEN, EXTERNAL_URL: base } })
  await waitForDev(dev, async () => (await fetch(`${base}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': ROOT_TOKEN } })).status === 200, 90_000)
  const project = await api('POST', '/projects', { name: 'bench', visibility: 'private' })
  const url = `http://root:${ROOT_TOKEN}@127.0.0.1:${PORT}/${project.path_with_namespace}.git`

  log(`writing ${FILES} files of ${FILE_BYTES} bytes`)
  const work = join(dir, 'work')
  git(['init', '-q', work])
  for (let i = 0; i < FILES; i++) {
    const sub = join(work, `dir${String(i % 100).padStart(2, '0')}`)
    if (i < 100) mkdirSync(sub)
    // Half text (compressible), half random bytes (incompressible).
    const content = i % 2 === 0 ? randomBytes(FILE_BYTES / 2).toString('hex') : randomBytes(FILE_BYTES)
    writeFileSync(join(sub, `file${i}.${i % 2 === 0 ? 'txt' : 'bin'}`), content)
  }
  writeFileSync(join(work, '.gitlab-ci.yml'), 'test:\n  script: echo hi\n')
  git(['add', '.'], work)
  git(['commit', '-q', '-m', 'bench: 5000 files'], work)
  git(['remote', 'add', 'origin', url], work)
  const counts = git(['count-objects', '-v'], work).out
  const packBytes = (Number(/^size: (\d+)/m.exec(counts)?.[1] ?? 0) + Number(/size-pack: (\d+)/.exec(counts)?.[1] ?? 0)) * 1024

  const rows = []
  const step = async (name, args, cwd) => {
    resetPeak()
    const before = memoryMb('RssAnon')
    const { ms, anonPeak } = await gitSampled(args, cwd)
    const row = { name, seconds: ms / 1000, before, anonPeak, peak: peakMb() }
    rows.push(row)
    log(`${name}: ${row.seconds.toFixed(2)} s, workerd anonymous memory ${before.toFixed(0)} MB before, peak ${anonPeak.toFixed(0)} MB; total RSS peak ${row.peak.toFixed(0)} MB`)
  }
  await step(`push ${FILES} files (${(packBytes / 1e6).toFixed(1)} MB pack)`, ['push', '-q', 'origin', 'main'], work)
  const clone = join(dir, 'clone')
  await step('clone (full)', ['clone', '-q', url, clone], dir)
  await step('clone --depth 1', ['clone', '-q', '--depth', '1', url, join(dir, 'shallow')], dir)
  writeFileSync(join(work, 'dir00', 'file0.txt'), 'changed\n')
  git(['commit', '-q', '-am', 'one file'], work)
  await step('push of a one-file change', ['push', '-q', 'origin', 'main'], work)
  await step('incremental fetch of it', ['fetch', '-q', 'origin'], clone)
  git(['merge', '-q', '--ff-only', 'origin/main'], clone)
  git(['fsck', '--full'], clone)

  const table = [
    `Git benchmark: ${FILES} files of ${FILE_BYTES} bytes (half hex text, half random), ${new Date().toISOString().slice(0, 10)}, wrangler dev (local), git ${git(['--version'], dir).out.replace('git version ', '')}.`,
    '',
    '| Step | seconds | workerd anonymous memory before (MB) | its peak (MB) | workerd total RSS peak (MB) |',
    '|---|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.name} | ${r.seconds.toFixed(2)} | ${r.before.toFixed(0)} | ${r.anonPeak.toFixed(0)} | ${r.peak.toFixed(0)} |`),
    '',
  ].join('\n')
  writeFileSync('bench/git-results.md', table)
  console.log(table)
} finally {
  if (dev) await stopDev(dev)
  rmSync(dir, { recursive: true, force: true })
}
