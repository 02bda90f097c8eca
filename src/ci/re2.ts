import { RE2JS } from 're2js'

/**
 * Regular expressions with RE2 semantics, as GitLab compiles them (Gitlab::UntrustedRegexp):
 * `(?i)` and the other inline flags, `\A`, `\z`, `\Q…\E`, POSIX classes and `(?P<name>…)` work;
 * lookarounds, backreferences and repeat counts over 1000 are syntax errors. Matching is linear
 * in time, so a pattern from a CI config cannot stall a Worker.
 *
 * Engine: re2js, a pure-JavaScript port of RE2/RE2J (no wasm, no Node APIs), so it bundles with
 * wrangler's esbuild and runs in workerd unchanged.
 */

export interface Re2 {
  /** unanchored search (`scan(text).present?`: an empty match counts) */
  test(text: string): boolean
  /** every match of the text, left to right: the whole match and its groups (undefined when unmatched) */
  scan(text: string): (string | undefined)[][]
}

const cache = new Map<string, Re2 | null>()
const CACHE_LIMIT = 500

/**
 * `source` compiled with `flags` (any of i, m, s, U as in GitLab's `/re/flags` literals, put
 * inline in front of the source), or null when RE2 rejects it.
 */
export function compileRe2(source: string, flags = ''): Re2 | null {
  const key = `${flags}/${source}`
  if (cache.has(key)) return cache.get(key)!
  const compiled = build(source, flags)
  if (cache.size >= CACHE_LIMIT) cache.clear()
  cache.set(key, compiled)
  return compiled
}

function build(source: string, flags: string): Re2 | null {
  const inline = [...new Set(flags.replace(/[^imsU]/g, ''))].join('')
  let pattern: RE2JS
  try {
    pattern = RE2JS.compile(inline === '' ? source : `(?${inline})${source}`)
  } catch {
    return null
  }
  return {
    test: (text) => pattern.test(text),
    scan: (text) => {
      const found: (string | undefined)[][] = []
      const matcher = pattern.matcher(text)
      while (matcher.find()) {
        const groups: (string | undefined)[] = []
        for (let index = 0; index <= matcher.groupCount(); index++) groups.push(matcher.group(index) ?? undefined)
        found.push(groups)
        if (found.length > 100_000) break
      }
      return found
    },
  }
}

/**
 * A `/re/flags` literal as `only:refs` and `coverage` read it (UntrustedRegexp::RubySyntax): the
 * pattern runs to the last slash followed only by flags. Null when the string is not a literal.
 */
export function regexpLiteral(text: string): { source: string; flags: string } | null {
  const match = /^\/(.*)\/([ismU]*)$/s.exec(text)
  return match ? { source: match[1], flags: match[2] } : null
}
