// Browser stage of `npm test` (issue #9, hole 2): the log viewer in real Chromium (Debian's
// /usr/bin/chromium through playwright-core) against the Worker served by `wrangler dev`.
// Cases: crafted URLs, a job named like HTML, a log full of HTML and escape sequences, HTML
// injected into the page anyway (the CSP must stop it), and the token's reach. None may run
// script, and the token must not be readable from the page. Starts its own wrangler dev (port
// BROWSER_TEST_PORT, default 8801, fresh state in a temp dir) and stops it in every way out.
// Writes {passed, failed} to the file after --counts (default node_modules/.cache/browser-report.json)
// for scripts/test.mjs.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { bundle, d1, killDevNow, startDev, stopDev, waitForDev } from '../../bench/wrangler.mjs'

const PORT = Number(process.env.BROWSER_TEST_PORT ?? 8801)
const ORIGIN = `http://127.0.0.1:${PORT}`
const API = `${ORIGIN}/api/v4`
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ROOT_TOKEN = `glpat-browser-${Math.random().toString(36).slice(2, 14)}`
const countsAt = process.argv.indexOf('--counts')
const REPORT = countsAt === -1 ? 'node_modules/.cache/browser-report.json' : process.argv[countsAt + 1]

const HTML_NAME = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
const HTML_STAGE = '"><svg onload="window.__xss=3">'
const HOSTILE_LOG =
  'section_start:1700000000:step_script\r\x1b[0K\x1b[31;1m<script>window.__xss=4;alert(4)</script>\x1b[0;m\r\n' +
  '<img src=x onerror="window.__xss=5">\n' +
  '${window.__xss=6}`${alert(6)}`\n' +
  'event: end\ndata: forged\n\n' +
  '</pre><iframe src="javascript:alert(7)"></iframe>\r' +
  '\x1b]8;;javascript:alert(8)\x1b\\link\x1b]8;;\x1b\\ \u2028\u2029 é 漢字\n' +
  'section_end:1700000001:step_script\r\x1b[0K'

const results = []
let dev
let state

function log(message) {
  console.log(`[browser] ${message}`)
}

async function call(method, path, { token = ROOT_TOKEN, json, headers = {}, body } = {}) {
  const h = { ...headers }
  if (token) h['PRIVATE-TOKEN'] = token
  if (json !== undefined) h['Content-Type'] = 'application/json'
  const res = await fetch(`${API}${path}`, { method, headers: h, body: json !== undefined ? JSON.stringify(json) : body })
  const text = await res.text()
  let parsed = text
  try { parsed = JSON.parse(text) } catch { /* text */ }
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`)
  return { status: res.status, body: parsed, headers: res.headers }
}

/** A private project with a running job named like HTML, its log full of HTML and escapes. */
async function seed() {
  const project = (await call('POST', '/projects', { json: { name: 'xss-demo', visibility: 'private' } })).body
  const ci = `stages: [${JSON.stringify(HTML_STAGE)}]\n${JSON.stringify(HTML_NAME)}:\n  stage: ${JSON.stringify(HTML_STAGE)}\n  script: echo hi\n`
  await call('POST', `/projects/${project.id}/repository/files/.gitlab-ci.yml`, { json: { branch: 'main', content: ci, commit_message: 'ci' } })
  await call('POST', `/projects/${project.id}/pipeline`, { json: { ref: 'main' } })
  const runner = (await call('POST', '/user/runners', { json: { runner_type: 'project_type', project_id: project.id } })).body
  const job = (await call('POST', '/jobs/request', { token: null, json: { token: runner.token, info: { features: { trace_sections: true } } } })).body
  await call('PUT', `/jobs/${job.id}`, { token: null, headers: { 'JOB-TOKEN': job.token }, json: { token: job.token, state: 'running' } })
  const bytes = new TextEncoder().encode(HOSTILE_LOG)
  await call('PATCH', `/jobs/${job.id}/trace`, { token: null, headers: { 'JOB-TOKEN': job.token, 'Content-Range': `0-${bytes.byteLength - 1}`, 'Content-Type': 'text/plain' }, body: bytes })
  return { project, job, offset: bytes.byteLength }
}

async function test(name, fn) {
  const started = Date.now()
  try {
    await fn()
    results.push({ name, ok: true })
    log(`✓ ${name} (${Date.now() - started} ms)`)
  } catch (error) {
    results.push({ name, ok: false, error: String(error?.stack ?? error) })
    log(`✗ ${name}\n${error?.stack ?? error}`)
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`)
}

/** A fresh page that records every sign of script running: dialogs, foreign requests, CSP reports. */
async function watchedPage(context) {
  const page = await context.newPage()
  const signs = { dialogs: [], foreign: [], cspViolations: [] }
  page.on('dialog', (dialog) => {
    signs.dialogs.push(dialog.message())
    dialog.dismiss().catch(() => {})
  })
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) signs.cspViolations.push(message.text())
  })
  return { page, signs }
}

async function noScriptRan(page, signs) {
  const marker = await page.evaluate(() => ({ xss: window.__xss, inline: window.__inline })).catch(() => ({}))
  assert(marker.xss === undefined && marker.inline === undefined, `a payload ran: ${JSON.stringify(marker)}`)
  assert(signs.dialogs.length === 0, `a dialog opened: ${signs.dialogs.join(' | ')}`)
  assert(signs.foreign.length === 0, `a request left the origin: ${signs.foreign.join(' | ')}`)
}

async function enterToken(page, token) {
  await page.fill('#token', token)
  await page.click('button[type=submit]')
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (.ci/run installs Debian's chromium)`)
  state = mkdtempSync(join(tmpdir(), 'edgejobs-browser-'))
  log(`state in ${state}; applying schema.sql and bundling the Worker`)
  d1(state, { file: 'schema.sql' })
  const script = bundle(join(state, 'build'))
  dev = startDev({
    script, port: PORT, persistTo: state,
    vars: { INITIAL_ROOT_TOKEN: ROOT_TOKEN, EXTERNAL_URL: ORIGIN },
    logFile: join(state, 'wrangler-dev.log'),
  })
  await waitForDev(dev, async () => (await fetch(`${API}/user`, { headers: { 'PRIVATE-TOKEN': ROOT_TOKEN } })).status === 200, 120_000)
  log(`wrangler dev on ${ORIGIN}`)
  const { project, job, offset } = await seed()
  const jobUrl = `${ORIGIN}/${project.path_with_namespace}/-/jobs/${job.id}`

  const profile = join(state, 'chromium-profile')
  mkdirSync(profile)
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  // Nothing leaves 127.0.0.1: a payload that reaches out is recorded and refused.
  const foreign = []
  await context.route('**/*', (route) => {
    const url = route.request().url()
    if (url.startsWith(ORIGIN)) return route.continue()
    foreign.push(url)
    return route.abort()
  })
  try {
    await test('crafted URLs run no script (template-literal, HTML and javascript: payloads)', async () => {
      const crafted = [
        `${ORIGIN}/\${window.__xss=1,alert(document.domain)}/-/jobs/${job.id}`,
        `${ORIGIN}/%60%2B(window.__xss%3D1)%2B%60/-/jobs/${job.id}`,
        `${ORIGIN}/%3Cscript%3Ewindow.__xss%3D1%3C%2Fscript%3E/-/jobs/1`,
        `${ORIGIN}/${project.path_with_namespace}/-/jobs/${job.id}?x=%3Cscript%3Ewindow.__xss%3D1%3C/script%3E#%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E`,
        `${ORIGIN}/%FF/-/jobs/1`,
      ]
      for (const url of crafted) {
        const { page, signs } = await watchedPage(context)
        const response = await page.goto(url)
        await page.waitForTimeout(300)
        signs.foreign = foreign.splice(0)
        const status = response.status()
        assert(status === 404 || status === 200, `${url}: status ${status}`)
        if (status === 200) assert(!(await page.content()).includes('__xss'), `${url}: request data in the page`)
        await noScriptRan(page, signs)
        await page.close()
      }
    })

    await test('a job named like HTML and a log full of HTML and escape sequences show as text', async () => {
      const { page, signs } = await watchedPage(context)
      await page.goto(jobUrl)
      await enterToken(page, ROOT_TOKEN)
      await page.waitForFunction(() => document.getElementById('log').textContent.includes('漢字'), null, { timeout: 15_000 })
      const name = await page.textContent('#name')
      assert(name === `${HTML_NAME} (${HTML_STAGE})`, `job name shown as ${JSON.stringify(name)}`)
      const logText = await page.textContent('#log')
      for (const piece of ['<script>window.__xss=4;alert(4)</script>', '<img src=x onerror="window.__xss=5">', '${window.__xss=6}`${alert(6)}`', 'event: end', '</pre><iframe']) {
        assert(logText.includes(piece), `log lacks ${JSON.stringify(piece)}`)
      }
      assert(!logText.includes('\x1b'), 'escape sequences left in the shown log')
      const elements = await page.evaluate(() => ({ img: document.querySelectorAll('img, svg, iframe').length, scripts: [...document.scripts].map((s) => s.src) }))
      assert(elements.img === 0, `HTML elements made from data: ${elements.img}`)
      assert(elements.scripts.length === 1 && elements.scripts[0] === `${ORIGIN}/-/edgejobs/log-viewer.js`, `scripts: ${elements.scripts}`)
      // More log while the page follows it live, then the job ends.
      const more = new TextEncoder().encode('<b onmouseover=alert(9)>live</b>\r\n')
      await call('PATCH', `/jobs/${job.id}/trace`, { token: null, headers: { 'JOB-TOKEN': job.token, 'Content-Range': `${offset}-${offset + more.byteLength - 1}`, 'Content-Type': 'text/plain' }, body: more })
      await page.waitForFunction(() => document.getElementById('log').textContent.includes('live</b>'), null, { timeout: 15_000 })
      await call('PUT', `/jobs/${job.id}`, { token: null, headers: { 'JOB-TOKEN': job.token }, json: { token: job.token, state: 'success' } })
      await page.waitForFunction(() => document.getElementById('status').textContent === 'success', null, { timeout: 30_000 })
      signs.foreign = foreign.splice(0)
      await noScriptRan(page, signs)
      await page.close()
    })

    await test('HTML injected into the page anyway cannot run script (CSP: no inline script)', async () => {
      const { page, signs } = await watchedPage(context)
      await page.goto(jobUrl)
      await page.evaluate(() => {
        document.body.insertAdjacentHTML('beforeend', '<img src="/x" onerror="window.__inline=1"><script>window.__inline=2</script><a id="js" href="javascript:window.__inline=3">x</a>')
        const s = document.createElement('script')
        s.textContent = 'window.__inline=4'
        document.body.append(s)
      })
      await page.click('#js').catch(() => {})
      await page.waitForTimeout(500)
      signs.foreign = foreign.splice(0)
      await noScriptRan(page, signs)
      assert(signs.cspViolations.length > 0, 'the CSP reported no refused inline script')
      await page.close()
    })

    await test('the token is not readable from the page: no storage, no cookie, not in the DOM, not on a second page', async () => {
      const { page } = await watchedPage(context)
      await page.goto(jobUrl)
      await enterToken(page, ROOT_TOKEN)
      await page.waitForFunction(() => document.getElementById('name').textContent !== '', null, { timeout: 15_000 })
      const seen = await page.evaluate(() => ({
        local: Object.keys(localStorage).length,
        session: Object.keys(sessionStorage).length,
        cookie: document.cookie,
        html: document.documentElement.outerHTML,
        input: document.getElementById('token').value,
        globals: Object.keys(window).filter((key) => {
          try { return typeof window[key] === 'string' && window[key].startsWith('glpat-') } catch { return false }
        }),
      }))
      assert(seen.local === 0 && seen.session === 0, `storage holds ${seen.local} + ${seen.session} items`)
      assert(seen.cookie === '', `cookie: ${seen.cookie}`)
      assert(!seen.html.includes(ROOT_TOKEN), 'the token is in the DOM')
      assert(seen.input === '', 'the token stays in the input')
      assert(seen.globals.length === 0, `globals hold a token: ${seen.globals}`)
      assert((await context.cookies()).length === 0, 'the browser holds cookies')
      // Another page of the same origin (where a crafted page would be) finds no token to use.
      const { page: other } = await watchedPage(context)
      await other.goto(jobUrl)
      await other.waitForFunction(() => document.getElementById('status').textContent === 'enter a token', null, { timeout: 15_000 })
      await other.close()
      await page.close()
    })
  } finally {
    await context.close().catch(() => {})
  }
}

function finish() {
  mkdirSync('node_modules/.cache', { recursive: true })
  const passed = results.filter((r) => r.ok).length
  const failed = results.length - passed
  writeFileSync(REPORT, JSON.stringify({ passed, failed, results }, null, 2))
  log(`${passed} passed, ${failed} failed`)
  return failed
}

const cleanup = () => {
  if (dev) killDevNow(dev)
  if (state) rmSync(state, { recursive: true, force: true })
}
process.on('exit', cleanup)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))

rmSync(REPORT, { force: true })
let failedCount = 1
try {
  await main()
  failedCount = finish()
} catch (error) {
  results.push({ name: 'browser stage setup', ok: false, error: String(error?.stack ?? error) })
  log(`✗ setup: ${error?.stack ?? error}`)
  failedCount = finish()
} finally {
  if (dev) await stopDev(dev)
  dev = undefined
}
process.exit(failedCount === 0 ? 0 : 1)
