import { compileRe2 } from '../re2'

/**
 * Ruby's `File.fnmatch?(glob, path, File::FNM_PATHNAME | File::FNM_DOTMATCH | File::FNM_EXTGLOB)`,
 * the matcher of `only:changes`, `rules:changes`, `rules:exists` and wildcard `include:local`:
 * `*` and `?` stop at `/` (a leading dot matches), `**​/` is zero or more directories (a `**` not
 * followed by `/` is `*`), `[...]` never matches `/`, `{a,b}` alternates (nested), `\` escapes.
 * Whole-path and case-sensitive. Compiled to RE2, so matching stays linear whatever the glob.
 * (minimatch and picomatch default to other rules for dots and `**`, hence this small module.)
 */

export function globMatcher(glob: string): (path: string) => boolean {
  const source = globToRe2(glob)
  const regexp = source === null ? null : compileRe2(`^(?:${source})$`)
  return regexp ? (path) => regexp.test(path) : (path) => path === glob
}

export function fnmatch(glob: string, path: string): boolean {
  return globMatcher(glob)(path)
}

/** True when the glob has no metacharacter, so it names one path. */
export function isLiteralGlob(glob: string): boolean {
  return !/[*?[{\\]/.test(glob)
}

function globToRe2(glob: string): string | null {
  let out = ''
  let depth = 0
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]
    if (char === '\\' && i + 1 < glob.length) {
      out += quote(glob[++i])
    } else if (char === '*') {
      if (glob[i + 1] === '*' && glob[i + 2] === '/' && (i === 0 || glob[i - 1] === '/')) {
        out += '(?:[^/]*/)*'
        i += 2
      } else {
        while (glob[i + 1] === '*') i++
        out += '[^/]*'
      }
    } else if (char === '?') {
      out += '[^/]'
    } else if (char === '[') {
      const end = classEnd(glob, i)
      if (end < 0) {
        out += quote(char)
        continue
      }
      let body = glob.slice(i + 1, end)
      let negate = false
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true
        body = body.slice(1)
      }
      const escaped = body.replace(/[\]\\^]/g, (c) => `\\${c}`).replace(/\//g, '')
      out += negate ? `[^/${escaped}]` : `(?:[${escaped}])`
      i = end
    } else if (char === '{') {
      depth++
      out += '(?:'
    } else if (char === '}' && depth > 0) {
      depth--
      out += ')'
    } else if (char === ',' && depth > 0) {
      out += '|'
    } else {
      out += quote(char)
    }
  }
  return depth === 0 ? out : null
}

function classEnd(glob: string, start: number): number {
  let i = start + 1
  if (glob[i] === '!' || glob[i] === '^') i++
  if (glob[i] === ']') i++
  while (i < glob.length && glob[i] !== ']') i++
  return i < glob.length ? i : -1
}

function quote(char: string): string {
  return /[\\.+*?()|[\]{}^$]/.test(char) ? `\\${char}` : char
}
