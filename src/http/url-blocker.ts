/**
 * Gitlab::HTTP_V2::UrlBlocker#validate_local_request for a literal host: its wording for
 * localhost, loopback, private (local network), link-local, shared (100.64.0.0/10) and limited
 * broadcast addresses. A Worker cannot resolve DNS itself, so names are judged as written
 * (`localhost`, `*.localhost`, `localhost.localdomain`, with or without the root's trailing dot);
 * Cloudflare's network does not route Workers' fetches into private ranges anyway.
 *
 * An IPv6 address that carries an IPv4 one is judged as that IPv4 address, as GitLab's
 * get_address_info turns a v4-mapped address into IPv4 (`::ffff:127.0.0.1`, written `::ffff:7f00:1`
 * once parsed); the same is done for the other embeddings a gateway may route to IPv4:
 * IPv4-compatible (`::127.0.0.1`), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64 (`64:ff9b::/96`,
 * `64:ff9b:1::/48`) and 6to4 (`2002:AABB:CCDD::/48`). Stricter than GitLab, on purpose: 0.0.0.0/8
 * is refused as the local network (GitLab lets 0.x.y.z other than 0.0.0.0 through).
 *
 * Callers skip the check when the instance allows local requests
 * (allow_local_requests_from_web_hooks_and_services, or the remote-include setting): GitLab then
 * passes allow_localhost and allow_local_network both true, and validate_local_request returns.
 */
export function blockedReason(hostname: string): string | null {
  const host = normalizedHost(hostname)
  if (host === null) return null
  if (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.localdomain') return LOCALHOST
  const v4 = parseIPv4(host)
  if (v4) return ipv4Reason(v4)
  const v6 = host.startsWith('[') && host.endsWith(']') ? parseIPv6(host.slice(1, -1)) : parseIPv6(host)
  if (v6) return ipv6Reason(v6)
  return null
}

const LOCALHOST = 'Requests to localhost are not allowed'
const LOOPBACK = 'Requests to loopback addresses are not allowed'
const LOCAL_NETWORK = 'Requests to the local network are not allowed'
const LINK_LOCAL = 'Requests to the link local network are not allowed'
const SHARED = 'Requests to the shared address space are not allowed'
const BROADCAST = 'Requests to the limited broadcast address are not allowed'

/**
 * The host as a URL parser leaves it (lower case, IPv4 in dotted decimal however it was written:
 * `0x7f.1`, `2130706433`; IPv6 compressed, in brackets), without the trailing dots of a
 * fully-qualified name. null when it is no host at all.
 */
function normalizedHost(hostname: string): string | null {
  let host = hostname.trim().toLowerCase()
  const bracketed = host.startsWith('[') ? host : host.includes(':') ? `[${host}]` : host
  try {
    host = new URL(`http://${bracketed}/`).hostname
  } catch {
    // not a valid host: judged as written below (nothing will connect to it)
  }
  while (host.endsWith('.') && !host.startsWith('[')) host = host.slice(0, -1)
  return host === '' ? null : host
}

function parseIPv4(host: string): number[] | null {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  if (!match) return null
  const bytes = match.slice(1).map(Number)
  return bytes.every((byte) => byte <= 255) ? bytes : null
}

function ipv4Reason([a, b, c, d]: number[]): string | null {
  // validate_localhost: "::", "0.0.0.0" and the machine's own addresses (127.0.0.1)
  if ((a === 0 && b === 0 && c === 0 && d === 0) || (a === 127 && b === 0 && c === 0 && d === 1)) return LOCALHOST
  if (a === 127) return LOOPBACK
  // ipv4_private? (10/8, 172.16/12, 192.168/16), and 0.0.0.0/8 ("this network")
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a === 0) return LOCAL_NETWORK
  if (a === 169 && b === 254) return LINK_LOCAL
  if (a === 100 && b >= 64 && b <= 127) return SHARED
  if (a === 255 && b === 255 && c === 255 && d === 255) return BROADCAST
  return null
}

/** Eight 16-bit groups, or null when `text` is not an IPv6 address (a zone `%…` is refused). */
export function parseIPv6(text: string): number[] | null {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.split('::').length > 2) return null
  let tail: number[] = []
  let body = text
  const dotted = /(?:^|:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text)
  if (dotted) {
    const v4 = parseIPv4(dotted[1])
    if (!v4) return null
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]]
    body = text.slice(0, text.length - dotted[1].length)
    if (body.endsWith(':') && !body.endsWith('::')) body = body.slice(0, -1)
  } else if (text.includes('.')) {
    return null
  }
  const group = (part: string) => (/^[0-9a-f]{1,4}$/i.test(part) ? parseInt(part, 16) : NaN)
  const [head, rest] = body.split('::')
  const left = head === '' ? [] : head.split(':').map(group)
  const right = rest === undefined || rest === '' ? [] : rest.split(':').map(group)
  const groups = [...left, ...right, ...tail]
  if (groups.some(Number.isNaN)) return null
  if (rest === undefined) return groups.length === 8 ? groups : null
  if (groups.length > 7) return null
  return [...left, ...new Array(8 - groups.length).fill(0), ...right, ...tail]
}

function ipv6Reason(groups: number[]): string | null {
  const embedded = embeddedIPv4(groups)
  if (embedded) return ipv4Reason(embedded)
  const zeros = groups.slice(0, 7).every((value) => value === 0)
  if (zeros && (groups[7] === 0 || groups[7] === 1)) return LOCALHOST // "::" and "::1"
  const first = groups[0]
  if ((first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfec0) return LOCAL_NETWORK // unique local fc00::/7, site local fec0::/10
  if ((first & 0xffc0) === 0xfe80) return LINK_LOCAL // fe80::/10
  return null
}

/** The IPv4 address an IPv6 one stands for, when it embeds one. */
function embeddedIPv4(g: number[]): number[] | null {
  const zero = (from: number, to: number) => g.slice(from, to).every((value) => value === 0)
  const bytes = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff]
  if (zero(0, 5) && g[5] === 0xffff) return bytes(g[6], g[7]) // ::ffff:a.b.c.d (mapped)
  if (zero(0, 4) && g[4] === 0xffff && g[5] === 0) return bytes(g[6], g[7]) // ::ffff:0:a.b.c.d (translated)
  if (zero(0, 6) && !(g[6] === 0 && g[7] <= 1)) return bytes(g[6], g[7]) // ::a.b.c.d (compatible)
  if (g[0] === 0x64 && g[1] === 0xff9b && (zero(2, 6) || g[2] === 1)) return bytes(g[6], g[7]) // NAT64
  if (g[0] === 0x2002) return bytes(g[1], g[2]) // 6to4
  return null
}
