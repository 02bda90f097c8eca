/**
 * GitLab's UrlBlocker wording for literal loopback, private, link-local and unspecified
 * addresses. (A Worker cannot resolve DNS itself, so names are judged as written; Cloudflare's
 * network does not route Workers' fetches into private ranges anyway.)
 */
export function blockedReason(hostname: string): string | null {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\./.test(host) || host === '0.0.0.0' || host === '::') {
    return 'Requests to localhost are not allowed'
  }
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])]
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a === 0) {
      return 'Requests to the local network are not allowed'
    }
    if (a === 169 && b === 254) return 'Requests to the link local network are not allowed'
  }
  if (/^f[cd][0-9a-f]{2}:/.test(host)) return 'Requests to the local network are not allowed'
  if (/^fe[89ab][0-9a-f]:/.test(host)) return 'Requests to the link local network are not allowed'
  return null
}
