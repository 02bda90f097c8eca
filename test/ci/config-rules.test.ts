import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../src/ci/config/duration'
import { evaluateExpression, parseExpression } from '../../src/ci/config/expression'

const variables = {
  BRANCH: 'main',
  SOURCE: 'push',
  EMPTY: '',
  BLANK: '  ',
  PATTERN: '/^rel-\\d+$/',
  TEXT: 'feature/login',
  TAG: 'rel-12',
}

function holds(expression: string): boolean {
  const parsed = parseExpression(expression)
  if (parsed === null) throw new Error(`invalid expression: ${expression}`)
  return evaluateExpression(parsed, variables)
}

describe('rules:if expressions', () => {
  it.each([
    ['$BRANCH', true],
    ['$UNDEFINED', false],
    ['$EMPTY', false],
    // present? treats whitespace-only strings as blank
    ['$BLANK', false],
    ['$BRANCH == "main"', true],
    ["$BRANCH == 'main'", true],
    ['$BRANCH == "dev"', false],
    ['"main" == $BRANCH', true],
    ['$BRANCH != "dev"', true],
    ['$BRANCH != "main"', false],
    ['$UNDEFINED == null', true],
    ['$EMPTY == null', false],
    ['$EMPTY == ""', true],
    ['$BRANCH != null', true],
    ['null == null', true],
    ['$BRANCH == $BRANCH', true],
    ['$BRANCH == $SOURCE', false],
    ['$BRANCH =~ /^ma/', true],
    ['$BRANCH =~ /^MA/', false],
    ['$BRANCH =~ /^MA/i', true],
    ['$TEXT =~ /^feature\\/log/', true],
    // RE2 syntax JavaScript lacks: inline flags, \\A and \\z, POSIX classes, ungreedy
    ['$BRANCH =~ /(?i)^MAIN$/', true],
    ['$BRANCH =~ /\\Amain\\z/', true],
    ['$BRANCH =~ /^[[:alpha:]]+$/', true],
    ['$BRANCH =~ /^m.*?n$/U', true],
    ['$BRANCH !~ /^dev/', true],
    ['$BRANCH !~ /^ma/', false],
    ['$UNDEFINED =~ /^$/', true],
    ['$UNDEFINED !~ /x/', true],
    ['$TAG =~ $PATTERN', true],
    ['$BRANCH =~ $PATTERN', false],
    // a right-hand variable that is no pattern is searched as a substring (Ruby String#scan)
    ['$BRANCH =~ $TEXT', false],
    ['"log" =~ $TEXT', true],
    ['$BRANCH =~ $UNDEFINED', false],
    ['$BRANCH == "main" && $SOURCE == "push"', true],
    ['$BRANCH == "main" && $SOURCE == "web"', false],
    ['$BRANCH == "dev" || $SOURCE == "push"', true],
    ['$BRANCH == "dev" || $SOURCE == "web"', false],
    // && binds tighter than ||
    ['$SOURCE == "push" || $BRANCH == "dev" && $SOURCE == "web"', true],
    ['($SOURCE == "push" || $BRANCH == "dev") && $SOURCE == "web"', false],
    ['(($BRANCH))', true],
    ['$UNDEFINED || $BRANCH', true],
    // Ruby truthiness: "" is truthy inside &&, so the result is $UNDEFINED (nil)
    ['$EMPTY && $UNDEFINED', false],
    ['$EMPTY && $BRANCH', true],
  ])('%s → %s', (expression, expected) => {
    expect(holds(expression)).toBe(expected)
  })

  it.each([
    [''],
    ['$'],
    ['== "x"'],
    ['$A =='],
    ['$A = "x"'],
    ['$A == "x" &&'],
    ['($A == "x"'],
    ['$A == "x")'],
    ['$A "x"'],
    ['$A =~ /[/'],
    ['$A =~ /(?<!x)y/'],
    ['$A =~ /(a)\\1/'],
    ['"unterminated'],
    ['$A == nil'],
  ])('%j is invalid syntax', (expression) => {
    expect(parseExpression(expression)).toBeNull()
  })
})

describe('parseDuration', () => {
  it.each([
    ['3600', 3600],
    ['30', 30],
    ['1 hour', 3600],
    ['30 minutes', 1800],
    ['1h 30m', 5400],
    ['1h30m', 5400],
    ['1 hour and 30 minutes', 5400],
    ['2 days', 172_800],
    ['1 week', 604_800],
    ['1 day 2 hours', 93_600],
    ['one hour', 3600],
    ['1.5 hours', 5400],
    ['90 sec', 90],
    ['1 month', 2_592_000],
    ['1 year', 31_557_600],
    ['1:30', 90],
    ['1:00:00', 3600],
    ['day', 86_400],
    ['3 HOURS', 10_800],
  ])('%j → %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  it.each([['never'], ['7 elephants'], [''], ['0'], ['0 seconds'], ['soon'], ['an hour']])('%j → null', (text) => {
    expect(parseDuration(text)).toBeNull()
  })
})
