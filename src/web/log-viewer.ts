import type { Env } from '../env'
import { ApiError } from '../http/errors'
import { errorResponse } from '../http/response'
import { jobIsPublic } from '../db/jobs'
import { LOG_VIEWER_SCRIPT, LOG_VIEWER_STYLE } from './log-viewer-assets'

/**
 * edgejobs extension: a job's `web_url` (`<external_url>/<project path>/-/jobs/<id>`) opens a
 * small log viewer. It calls the same API as any client and follows a running job's log through
 * the `text/event-stream` extension.
 *
 * Security model:
 * - the page is one constant document: nothing from the request (path, job, names, log) is ever
 *   written into its HTML or script; the script reads the path from `location` and puts every
 *   value it shows into the page with `textContent`;
 * - the script and style are separate files of this origin, and the page's CSP allows no inline
 *   script or style, no other origin, no framing, no forms and no `<base>`;
 * - the token lives only in the script's memory: typed into the form, kept in a closure, the input
 *   cleared; never in localStorage, sessionStorage or a cookie, so no page can read it back;
 * - a private project stays invisible: the page answers 200 only for a job an anonymous visitor
 *   may see (a public project with public jobs); for any other path (a private or internal
 *   project, an unknown project or job, a bad escape) it answers 404 with the very same constant
 *   document, so the response tells nothing about what exists. The page's script then reads the
 *   job through the API with the token typed in, and the API decides what that token may see.
 */
const JOB_PAGE = /^\/(.+)\/-\/jobs\/(\d+)\/?$/
export const ASSET_BASE = '/-/edgejobs/'

const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const ASSETS: Record<string, { type: string; body: string }> = {
  'log-viewer.js': { type: 'text/javascript; charset=utf-8', body: LOG_VIEWER_SCRIPT },
  'log-viewer.css': { type: 'text/css; charset=utf-8', body: LOG_VIEWER_STYLE },
}

/** The job page's project path and job id, or undefined when the path is not a job page. */
export function matchLogViewer(url: URL): { projectPath: string; jobId: number } | undefined {
  const match = JOB_PAGE.exec(url.pathname)
  if (!match || match[1] === 'api' || match[1].startsWith('api/') || match[1].startsWith('-/')) return undefined
  return { projectPath: match[1], jobId: Number(match[2]) }
}

/** GET (or HEAD) of a web page or asset; undefined when the path is not one. */
export async function webPage(url: URL, env: Env): Promise<Response | undefined> {
  if (url.pathname.startsWith(ASSET_BASE)) {
    const asset = ASSETS[url.pathname.slice(ASSET_BASE.length)]
    if (!asset) return errorResponse(ApiError.notFound())
    return new Response(asset.body, { headers: { 'Content-Type': asset.type, 'Cache-Control': 'no-cache' } })
  }
  const viewer = matchLogViewer(url)
  if (!viewer) return undefined
  let projectPath: string | undefined
  try {
    projectPath = decodeURIComponent(viewer.projectPath)
  } catch {
    projectPath = undefined
  }
  const visible = projectPath !== undefined && Number.isSafeInteger(viewer.jobId) && (await jobIsPublic(env.DB, projectPath, viewer.jobId))
  return new Response(PAGE, {
    status: visible ? 200 : 404,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': PAGE_CSP,
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
    },
  })
}

/** The whole page: a constant, with no request data in it. */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Job log</title>
<link rel="stylesheet" href="${ASSET_BASE}log-viewer.css">
<script src="${ASSET_BASE}log-viewer.js" defer></script>
</head>
<body>
<header><strong id="project"></strong><span id="job"></span><span id="name"></span><span id="status" class="status">…</span>
<span id="meta"></span>
<form id="login"><label>Token <input id="token" type="password" autocomplete="off" placeholder="glpat-…"></label> <button type="submit">Show</button></form></header>
<pre id="log"></pre>
</body></html>`
