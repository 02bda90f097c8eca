import { describe, expect, it } from 'vitest'
import { extractCoverage } from '../../src/ci/coverage'

const stamp = (n: number, line: string) => `2024-05-01T10:00:0${n}.123456Z 01O ${line}`

describe('extractCoverage (Trace::Stream#extract_coverage)', () => {
  it.each<[string, string, string, number | null]>([
    ['whole match holds the number', 'Coverage: 87.5%\n', '/Coverage: \\d+\\.\\d+%/', 87.5],
    ['bare regex', 'Coverage: 87.5%\n', 'Coverage: \\d+\\.\\d+%', 87.5],
    ['integer coverage', 'lines...... 90%\n', '/lines\\.+ \\d+%/', 90],
    ['last capture group wins', 'total 10 of 45.25\n', '/total (\\d+) of (\\d+\\.\\d+)/', 45.25],
    ['last match on the line wins', 'a 10% b 20%\n', '/\\d+%/', 20],
    ['the line nearest the end wins', 'Coverage: 10%\nCoverage: 20%\nend\n', '/Coverage: \\d+%/', 20],
    ['lines whose match has no number are skipped', 'Coverage: 30%\nCoverage: n/a\n', '/Coverage: \\S+/', 30],
    ['no match', 'nothing here\n', '/Coverage: \\d+/', null],
    ['bad regex is swallowed', 'Coverage: 1\n', '/(unclosed/', null],
    ['empty log', '', '/\\d+/', null],
    ['empty regex', 'Coverage: 1', '', null],
    ['an unmatched last group gives up like GitLab', 'Coverage: 5\n', '/Coverage: (\\d+)( total)?/', null],
    ['flags are honoured', 'COVERAGE: 12%\n', '/coverage: \\d+%/i', 12],
  ])('%s', (_name, log, regex, expected) => {
    expect(extractCoverage(log, regex)).toBe(expected)
  })

  it('reads RE2 syntax JavaScript lacks: inline (?i) and \\z', () => {
    expect(extractCoverage('TOTAL   12   3   75%\n', '(?i)total.*\\s(\\d+)%')).toBe(75)
    expect(extractCoverage('lines 80.5%', '/(\\d+\\.\\d+)%\\z/')).toBe(80.5)
  })

  it('strips the runner timestamp header when the log has one', () => {
    const log = [stamp(1, 'Running tests'), stamp(2, 'Coverage: 77.7%'), stamp(3, 'Job succeeded')].join('\n')
    // Anchored at the start of the line: only works once the 32-character header is gone.
    expect(extractCoverage(log, '/^Coverage: (\\d+\\.\\d+)%/')).toBe(77.7)
  })

  it('does not take numbers from the timestamp header', () => {
    const log = [stamp(1, 'Running tests'), stamp(2, 'Coverage: unknown')].join('\n')
    expect(extractCoverage(log, '/.*Coverage.*/')).toBeNull()
  })

  it('leaves lines alone when the first line has no header', () => {
    const log = ['plain first line', stamp(2, 'Coverage: 5%')].join('\n')
    expect(extractCoverage(log, '/^Coverage: (\\d+)%/')).toBeNull()
  })
})
