/**
 * edgejobs extension: a job's `web_url` (`<external_url>/<project path>/-/jobs/<id>`) opens a
 * small log viewer. It calls the same API as any client (the token is kept in the browser's
 * localStorage) and follows a running job's log through the `text/event-stream` extension.
 */
const JOB_PAGE = /^\/(.+)\/-\/jobs\/(\d+)\/?$/

export function matchLogViewer(url: URL): { projectPath: string; jobId: number } | undefined {
  const match = JOB_PAGE.exec(url.pathname)
  if (!match || match[1].startsWith('api/')) return undefined
  return { projectPath: decodeURIComponent(match[1]), jobId: Number(match[2]) }
}

export function logViewerPage(projectPath: string, jobId: number): Response {
  const html = PAGE.replace(/__PROJECT__/g, escapeHtml(projectPath)).replace(/__JOB__/g, String(jobId))
  return new Response(html, {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
    },
  })
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Job #__JOB__ · __PROJECT__</title>
<style>
body{margin:0;font:14px system-ui,sans-serif;background:#fafafa;color:#222}
header{padding:12px 16px;background:#fff;border-bottom:1px solid #ddd;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
.status{padding:2px 8px;border-radius:10px;background:#eee;font-weight:600}
.success{background:#d4f4dd}.failed{background:#fbd3d3}.running,.pending{background:#d7e8fb}.canceled,.canceling{background:#eee}
pre{margin:0;padding:12px 16px;background:#1f1f1f;color:#e8e8e8;font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap;word-break:break-all;min-height:70vh}
input{font:inherit;padding:4px;width:22em}
</style></head>
<body>
<header><strong>__PROJECT__</strong><span>Job #__JOB__</span><span id="name"></span><span id="status" class="status">…</span>
<span id="meta"></span><label>Token <input id="token" type="password" placeholder="glpat-…"></label></header>
<pre id="log"></pre>
<script>
const project = encodeURIComponent(${'`'}__PROJECT__${'`'}), job = __JOB__
const api = location.origin + '/api/v4/projects/' + project + '/jobs/' + job
const tokenInput = document.getElementById('token')
tokenInput.value = localStorage.getItem('edgejobs-token') || ''
tokenInput.onchange = () => { localStorage.setItem('edgejobs-token', tokenInput.value); start() }
const headers = () => tokenInput.value ? { 'PRIVATE-TOKEN': tokenInput.value } : {}
// Runner log lines carry a 32-character timestamp header and ANSI colour codes: show plain text.
const clean = (text) => text.replace(/^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\d\\d[OE][+ ]?/gm, '').replace(/\\x1b\\[[0-9;]*[A-Za-z]/g, '').replace(/section_(start|end):\\d+:[^\\r\\n]*\\r?(\\x1b\\[0K)?/g, '')
async function showJob() {
  const res = await fetch(api, { headers: headers() })
  const el = document.getElementById('status')
  if (!res.ok) { el.textContent = res.status === 401 ? 'enter a token' : 'HTTP ' + res.status; return false }
  const j = await res.json()
  document.getElementById('name').textContent = j.name + ' (' + j.stage + ')'
  el.textContent = j.status; el.className = 'status ' + j.status
  document.getElementById('meta').textContent = j.duration != null ? j.duration.toFixed(1) + ' s' : ''
  return true
}
let controller
async function start() {
  if (controller) controller.abort()
  controller = new AbortController()
  document.getElementById('log').textContent = ''
  if (!(await showJob())) return
  const res = await fetch(api + '/trace', { headers: { ...headers(), Accept: 'text/event-stream' }, signal: controller.signal })
  const reader = res.body.getReader(), decoder = new TextDecoder()
  let buffer = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffer += decoder.decode(value, { stream: true })
    let cut
    while ((cut = buffer.indexOf('\\n\\n')) >= 0) {
      const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2)
      const kind = (block.match(/^event: (.*)$/m) || [])[1]
      const data = block.split('\\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6)).join('\\n')
      if (kind === 'log') document.getElementById('log').textContent += clean(data)
      if (kind === 'end') showJob()
    }
  }
}
start()
</script></body></html>`
