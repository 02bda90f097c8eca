/** A `Link` header as `{ rel: url }` (GitLab's pagination links); a malformed part fails the test. */
export function linksOf(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (headers.get('Link') ?? '').split(', ').filter(Boolean)) {
    const match = /^<([^>]*)>; rel="(\w+)"$/.exec(part)
    if (!match) throw new Error(`bad Link part ${part}`)
    out[match[2]] = match[1]
  }
  return out
}
