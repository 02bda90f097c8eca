/**
 * The log viewer's script and style, served as files of the Worker's origin
 * (`/-/edgejobs/log-viewer.js`, `/-/edgejobs/log-viewer.css`) so that the page's CSP can refuse
 * every inline script and style. Both are constants: no request data is ever written into them.
 */
export const LOG_VIEWER_SCRIPT = String.raw`'use strict';
(() => {
  const $ = (id) => document.getElementById(id)
  const match = /^\/(.+)\/-\/jobs\/(\d+)\/?$/.exec(location.pathname)
  if (!match) return
  let projectPath
  try { projectPath = decodeURIComponent(match[1]) } catch { return }
  const jobId = match[2]
  const api = location.origin + '/api/v4/projects/' + encodeURIComponent(projectPath) + '/jobs/' + jobId
  // The token lives in this closure only: never in storage or a cookie.
  let token = ''
  let controller
  document.title = 'Job #' + jobId + ' · ' + projectPath
  $('project').textContent = projectPath
  $('job').textContent = 'Job #' + jobId
  $('login').addEventListener('submit', (event) => {
    event.preventDefault()
    token = $('token').value
    $('token').value = ''
    start()
  })
  const headers = () => (token ? { 'PRIVATE-TOKEN': token } : {})
  // Runner log lines may carry a timestamp header, ANSI colour codes, OSC links and section markers: show plain text.
  const clean = (text) => text
    .replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z \d\d[OE][+ ]?/gm, '')
    .replace(/section_(start|end):\d+:[^\r\n]*\r?(\x1b\[0K)?/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)?/g, '')
    .replace(/\x1b\[[0-9;?]*[ -\/]*[@-~]/g, '')
    .replace(/\x1b[@-Z\\-_]?/g, '')
    .replace(/\r\n?/g, '\n')
  async function showJob() {
    const res = await fetch(api, { headers: headers() })
    const status = $('status')
    if (!res.ok) { status.textContent = res.status === 401 ? 'enter a token' : 'HTTP ' + res.status; return false }
    const job = await res.json()
    $('name').textContent = String(job.name) + ' (' + String(job.stage) + ')'
    status.textContent = String(job.status)
    status.className = 'status ' + String(job.status).replace(/[^a-z_]/g, '')
    $('meta').textContent = typeof job.duration === 'number' ? job.duration.toFixed(1) + ' s' : ''
    return true
  }
  /** One Server-Sent Event block: its event name and its data, parsed as the JSON it holds. */
  function parseEvent(block) {
    let name = 'message'
    const data = []
    for (const line of block.split(/\r\n|\r|\n/)) {
      const colon = line.indexOf(':')
      if (colon === 0) continue
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'event') name = value
      if (field === 'data') data.push(value)
    }
    let value = null
    try { value = JSON.parse(data.join('\n')) } catch { value = null }
    return { name, value }
  }
  async function start() {
    if (controller) controller.abort()
    controller = new AbortController()
    $('log').textContent = ''
    if (!(await showJob())) return
    const res = await fetch(api + '/trace', { headers: { ...headers(), Accept: 'text/event-stream' }, signal: controller.signal })
    if (!res.ok || !res.body) return
    const reader = res.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      const blocks = buffer.split(/\r\n\r\n|\n\n|\r\r/)
      buffer = blocks.pop()
      for (const block of blocks) {
        const event = parseEvent(block)
        if (event.name === 'log' && typeof event.value === 'string') $('log').textContent += clean(event.value)
        if (event.name === 'end') showJob()
        if (event.name === 'error') $('status').textContent = 'access ended'
      }
    }
  }
  start()
})()
`

export const LOG_VIEWER_STYLE = `body{margin:0;font:14px system-ui,sans-serif;background:#fafafa;color:#222}
header{padding:12px 16px;background:#fff;border-bottom:1px solid #ddd;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
.status{padding:2px 8px;border-radius:10px;background:#eee;font-weight:600}
.success{background:#d4f4dd}.failed{background:#fbd3d3}.running,.pending{background:#d7e8fb}.canceled,.canceling{background:#eee}
pre{margin:0;padding:12px 16px;background:#1f1f1f;color:#e8e8e8;font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all;min-height:70vh}
input{font:inherit;padding:4px;width:22em}
form{margin:0}
`
