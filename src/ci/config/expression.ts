/**
 * `rules:if` expressions: a tokenizer and a recursive-descent parser producing a tree, and an
 * evaluator with GitLab's Ruby semantics. Source: gitlabhq lib/gitlab/ci/pipeline/expression/
 * (lexer.rb, parser.rb, statement.rb, lexeme/*.rb). Patterns are RE2 (lib/gitlab/untrusted_regexp.rb).
 *
 *   expression := and ('||' and)*
 *   and        := comparison ('&&' comparison)*
 *   comparison := operand (('==' | '!=' | '=~' | '!~') operand)*
 *   operand    := $VAR | "string" | 'string' | /pattern/flags | null | '(' expression ')'
 */

import { compileRe2, type Re2 } from '../re2'

export type Expression =
  | { kind: 'variable'; name: string }
  | { kind: 'string'; value: string }
  | { kind: 'pattern'; source: string; flags: string; regexp: Re2 }
  | { kind: 'null' }
  | { kind: 'binary'; operator: Operator; left: Expression; right: Expression }

type Operator = '==' | '!=' | '=~' | '!~' | '&&' | '||'
type Token = { kind: 'operator'; operator: Operator } | { kind: '(' } | { kind: ')' } | { kind: 'operand'; operand: Expression }
/** Ruby values an expression can produce: nil, booleans, strings and regexps. */
type Value = null | boolean | string | Pattern
type Pattern = Extract<Expression, { kind: 'pattern' }>

const OPERATORS: readonly Operator[] = ['==', '!=', '=~', '!~', '&&', '||']
const COMPARISONS: readonly Operator[] = ['==', '!=', '=~', '!~']

/** The parsed expression, or null for GitLab's "invalid expression syntax". */
export function parseExpression(text: string): Expression | null {
  const tokens = tokenize(text)
  if (tokens === null || tokens.length === 0) return null
  const parser = new Parser(tokens)
  const tree = parser.expression()
  return tree !== null && parser.done() ? tree : null
}

/** Statement#truthful?: the result is `present?` (not nil, false or a blank string). */
export function evaluateExpression(expression: Expression, variables: Record<string, string>): boolean {
  const value = evaluate(expression, variables)
  if (typeof value === 'string') return /\S/.test(value)
  return value !== null && value !== false
}

function tokenize(text: string): Token[] | null {
  const tokens: Token[] = []
  let rest = text
  while ((rest = rest.replace(/^\s+/, '')) !== '') {
    const token = nextToken(rest)
    if (token === null) return null
    tokens.push(token.token)
    rest = rest.slice(token.length)
  }
  return tokens
}

function nextToken(text: string): { token: Token; length: number } | null {
  const variable = /^\$(\w+)/.exec(text)
  if (variable) return { token: operand({ kind: 'variable', name: variable[1] }), length: variable[0].length }
  // Strings have no escapes: they end at the next matching quote (lexeme/string.rb).
  const string = /^"([^"]*)"|^'([^']*)'/.exec(text)
  if (string) return { token: operand({ kind: 'string', value: string[1] ?? string[2] }), length: string[0].length }
  if (text.startsWith('/')) return patternToken(text)
  if (/^null\b/.test(text)) return { token: operand({ kind: 'null' }), length: 4 }
  const operator = OPERATORS.find((candidate) => text.startsWith(candidate))
  if (operator) return { token: { kind: 'operator', operator }, length: 2 }
  if (text[0] === '(' || text[0] === ')') return { token: { kind: text[0] }, length: 1 }
  return null
}

function operand(expression: Expression): Token {
  return { kind: 'operand', operand: expression }
}

/** `/…/flags`: `\/` does not end the pattern and becomes a plain slash (lexeme/pattern.rb). */
function patternToken(text: string): { token: Token; length: number } | null {
  let index = 1
  while (index < text.length && text[index] !== '/') index += text[index] === '\\' && text[index + 1] === '/' ? 2 : 1
  if (index >= text.length || index === 1) return null
  const flags = /^[ismU]*/.exec(text.slice(index + 1))![0]
  const source = text.slice(1, index).replaceAll('\\/', '/')
  const regexp = compileRe2(source, flags)
  if (regexp === null) return null
  return { token: operand({ kind: 'pattern', source, flags, regexp }), length: index + 1 + flags.length }
}

class Parser {
  private position = 0

  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.position === this.tokens.length
  }

  expression(): Expression | null {
    return this.binary(['||'], () => this.binary(['&&'], () => this.binary(COMPARISONS, () => this.operand())))
  }

  private binary(operators: readonly Operator[], next: () => Expression | null): Expression | null {
    let left = next()
    while (left !== null) {
      const token = this.tokens[this.position]
      if (token?.kind !== 'operator' || !operators.includes(token.operator)) break
      this.position += 1
      const right = next()
      left = right === null ? null : { kind: 'binary', operator: token.operator, left, right }
    }
    return left
  }

  private operand(): Expression | null {
    const token = this.tokens[this.position]
    this.position += 1
    if (token?.kind === 'operand') return token.operand
    if (token?.kind !== '(') return null
    const inner = this.expression()
    if (this.tokens[this.position]?.kind !== ')') return null
    this.position += 1
    return inner
  }
}

function evaluate(expression: Expression, variables: Record<string, string>): Value {
  switch (expression.kind) {
    case 'variable':
      return Object.hasOwn(variables, expression.name) ? variables[expression.name] : null
    case 'string':
      return expression.value
    case 'pattern':
      return expression
    case 'null':
      return null
    case 'binary':
      return evaluateBinary(expression.operator, expression.left, expression.right, variables)
  }
}

function evaluateBinary(operator: Operator, left: Expression, right: Expression, variables: Record<string, string>): Value {
  const leftValue = evaluate(left, variables)
  // Ruby's `&&` and `||` return an operand; only nil and false are falsy (an empty string is not).
  if (operator === '&&') return truthy(leftValue) ? evaluate(right, variables) : leftValue
  if (operator === '||') return truthy(leftValue) ? leftValue : evaluate(right, variables)
  const rightValue = evaluate(right, variables)
  if (operator === '==') return equal(leftValue, rightValue)
  if (operator === '!=') return !equal(leftValue, rightValue)
  if (operator === '=~') return matches(leftValue, rightValue)
  return !matches(leftValue, rightValue)
}

function truthy(value: Value): boolean {
  return value !== null && value !== false
}

function isPattern(value: Value): value is Pattern {
  return typeof value === 'object' && value !== null
}

function equal(left: Value, right: Value): boolean {
  if (isPattern(left) && isPattern(right)) return left.source === right.source && left.flags === right.flags
  return left === right
}

/**
 * Lexeme::Matches: nil on the left reads as "". A variable on the right holding "/re/" is used as
 * a pattern; any other string falls back to Ruby's String#scan, which is a substring search.
 */
function matches(left: Value, right: Value): boolean {
  if (right === null || right === false) return false
  const text = left === null ? '' : isPattern(left) ? `/${left.source}/${left.flags}` : String(left)
  if (isPattern(right)) return right.regexp.test(text)
  if (right === true) return false
  const pattern = /^\/(.+)\/([ismU]*)$/s.exec(right)
  const regexp = pattern ? compileRe2(pattern[1].replaceAll('\\/', '/'), pattern[2]) : null
  return regexp ? regexp.test(text) : right.includes(text)
}
