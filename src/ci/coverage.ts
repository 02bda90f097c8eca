/**
 * Coverage extraction from a job log (state-machine.md §13).
 * Source: gitlabhq lib/gitlab/ci/trace/stream.rb `extract_coverage` (newest, with timestamp
 * stripping). The regex is compiled with RE2 as in GitLab (`(?i)` works; a pattern RE2 rejects
 * yields no coverage, as a bad regex does in GitLab).
 */
import { compileRe2, regexpLiteral, type Re2 } from './re2'

/**
 * The runner's per-line header (FF_TIMESTAMPS): ISO-8601 time with microseconds, a space, two hex
 * digits of stream id, E or O for the stream, and `+` or a space: 32 characters.
 */
const TIMESTAMP_HEADER = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z [0-9a-f]{2}[EO][+ ]/
const NUMBER = /\d+(\.\d+)?/

export function extractCoverage(log: string, regex: string): number | null {
  if (!log || !regex) return null
  const pattern = compile(regex)
  if (!pattern) return null
  let lines = log.split('\n')
  if (TIMESTAMP_HEADER.test(lines[0])) lines = lines.map((line) => line.replace(TIMESTAMP_HEADER, ''))
  for (let i = lines.length - 1; i >= 0; i--) {
    const found = coverageInLine(lines[i], pattern)
    if (found === undefined) continue
    return found
  }
  return null
}

/**
 * undefined: nothing usable on this line, keep looking upwards. null: the scan's last element
 * is an unmatched group, on which GitLab's `gsub` raises and the whole extraction gives up.
 */
function coverageInLine(line: string, pattern: Re2): number | null | undefined {
  const matches = pattern.scan(line)
  if (matches.length === 0) return undefined
  const last = matches[matches.length - 1]
  // String#scan yields the groups when there are any, else the whole match; take the last one.
  const element = last.length > 1 ? last[last.length - 1] : last[0]
  if (element === undefined) return null
  const number = NUMBER.exec(element)
  return number ? Number(number[0]) : undefined
}

/** `coverage:` is written `/pattern/` (optionally with flags); a bare pattern is accepted too. */
function compile(regex: string): Re2 | null {
  const literal = regexpLiteral(regex)
  return literal ? compileRe2(literal.source, literal.flags) : compileRe2(regex)
}
