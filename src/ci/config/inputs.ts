import { compileRe2 } from '../re2'
import { expandExisting } from './expand-variables'
import { isHash, type Config } from './keywords'

/**
 * `spec:inputs` headers and `$[[ inputs.name | fn ]]` interpolation of the content document.
 * Sources: gitlabhq lib/gitlab/ci/config/header/{spec,input}.rb,
 * lib/gitlab/ci/config/interpolation/{interpolator,template,block,access,inputs,functions/*}.rb.
 */

export class InputsError extends Error {}

type InputValue = string | number | boolean | unknown[]
const TYPES = ['array', 'boolean', 'number', 'string']
const INPUT_KEYS = ['default', 'description', 'options', 'regex', 'type']
const BLOCK = /\$\[\[\s*(\S.*?\S|\S)\s*\]\]/g
const MAX_BLOCKS = 10_000
const MAX_FUNCTIONS = 3

/**
 * The content with the header's inputs interpolated. `given` are the include's (or the
 * pipeline's) inputs. Errors are InputsError with GitLab's texts, unprefixed.
 */
export function interpolate(header: Config | undefined, content: Config, given: Config | undefined, variables: Record<string, string>): Config {
  if (!header) {
    if (given && Object.keys(given).length > 0) throw new InputsError('Given inputs not defined in the `spec` section of the included configuration file')
    return content
  }
  const spec = header.spec
  if (!isHash(spec)) throw new InputsError('header:spec config should be a hash')
  const specKeys = Object.keys(spec).filter((key) => !['inputs', 'include', 'component'].includes(key))
  if (specKeys.length > 0) throw new InputsError(`header:spec config contains unknown keys: ${specKeys.join(', ')}`)
  const inputs = resolveInputs(spec.inputs ?? {}, given ?? {})
  const state = { blocks: 0 }
  return walk(content, inputs, variables, state) as Config
}

function resolveInputs(specs: unknown, given: Config): Record<string, InputValue> {
  if (!isHash(specs)) throw new InputsError('header:spec:inputs config should be a hash')
  const unknown = Object.keys(given).filter((name) => !Object.hasOwn(specs, name))
  if (unknown.length > 0) throw new InputsError(`unknown input arguments: ${unknown.join(', ')}`)
  const errors: string[] = []
  const values: Record<string, InputValue> = {}
  for (const [name, raw] of Object.entries(specs)) {
    const spec: Config = raw == null ? {} : isHash(raw) ? raw : { __invalid: raw }
    const extra = Object.keys(spec).filter((key) => !INPUT_KEYS.includes(key))
    if (extra.length > 0) {
      errors.push(`header:spec:inputs:${name} config contains unknown keys: ${extra.join(', ')}`)
      continue
    }
    const type = spec.type === undefined ? 'string' : spec.type
    if (typeof type !== 'string' || !TYPES.includes(type)) {
      errors.push(`unknown input specification for \`${name}\` (valid types: ${TYPES.join(', ')})`)
      continue
    }
    const provided = Object.hasOwn(given, name)
    const value = provided ? given[name] : spec.default
    if (!provided && spec.default === undefined) {
      errors.push(`\`${name}\` input: required value has not been provided`)
      continue
    }
    const problem = checkInput(name, type, spec, value, provided)
    if (problem) errors.push(`\`${name}\` input: ${problem}`)
    else values[name] = value as InputValue
  }
  if (errors.length > 0) throw new InputsError(errors.slice(0, 3).join(', '))
  return values
}

function checkInput(name: string, type: string, spec: Config, value: unknown, provided: boolean): string | undefined {
  const which = provided ? 'provided' : 'default'
  const typeOk =
    type === 'string' ? typeof value === 'string' :
    type === 'number' ? typeof value === 'number' :
    type === 'boolean' ? typeof value === 'boolean' :
    Array.isArray(value)
  if (!typeOk) return `${which} value is not a${type === 'array' ? 'n' : ''} ${type}`
  if (spec.options !== undefined) {
    if (type !== 'string' && type !== 'number') return 'Options can only be used with string and number inputs'
    if (Array.isArray(spec.options) && spec.options.length > 50) return 'cannot define more than 50 options'
    if (Array.isArray(spec.options) && !spec.options.includes(value)) return `\`${String(value)}\` cannot be used because it is not in the list of allowed options`
  }
  if (spec.regex !== undefined) {
    if (type !== 'string') return 'RegEx validation can only be used with string inputs'
    const regex = typeof spec.regex === 'string' ? compileRe2(spec.regex) : null
    if (!regex) return 'invalid regular expression'
    if (!regex.test(String(value))) return `${which} value does not match required RegEx pattern`
  }
  void name
}

function walk(value: unknown, inputs: Record<string, InputValue>, variables: Record<string, string>, state: { blocks: number }): unknown {
  if (typeof value === 'string') return interpolateString(value, inputs, variables, state)
  if (Array.isArray(value)) return value.map((item) => walk(item, inputs, variables, state))
  if (isHash(value)) {
    const out: Config = {}
    for (const [key, child] of Object.entries(value)) {
      const newKey = String(interpolateString(key, inputs, variables, state))
      Object.defineProperty(out, newKey, { value: walk(child, inputs, variables, state), enumerable: true, writable: true, configurable: true })
    }
    return out
  }
  return value
}

function interpolateString(text: string, inputs: Record<string, InputValue>, variables: Record<string, string>, state: { blocks: number }): unknown {
  if (!text.includes('$[[')) return text
  const blocks = [...text.matchAll(BLOCK)]
  if (blocks.length === 0) return text
  state.blocks += blocks.length
  if (state.blocks > MAX_BLOCKS) throw new InputsError('too many interpolation blocks')
  if (blocks.length === 1 && blocks[0][0] === text) return evaluateBlock(blocks[0][1], inputs, variables)
  return text.replace(BLOCK, (_, body: string) => toS(evaluateBlock(body, inputs, variables)))
}

function evaluateBlock(body: string, inputs: Record<string, InputValue>, variables: Record<string, string>): unknown {
  if (new TextEncoder().encode(body).length > 1024) throw new InputsError('maximum interpolation expression size exceeded')
  const [access, ...functions] = body.split('|').map((part) => part.trim())
  if (functions.length > MAX_FUNCTIONS) throw new InputsError('too many functions in interpolation block')
  const parts = access.split('.')
  if (parts.length < 2 || parts.length > 5 || parts.some((part) => !/^[\w-]+$/.test(part))) throw new InputsError('invalid interpolation access pattern')
  if (parts[0] !== 'inputs') throw new InputsError(`unknown interpolation key: \`${parts[0]}\``)
  let value: unknown = inputs
  for (const part of parts.slice(1)) {
    if (!isHash(value) || !Object.hasOwn(value, part)) throw new InputsError(`unknown interpolation key: \`${part}\``)
    value = value[part]
  }
  for (const fn of functions) value = applyFunction(fn, value, variables)
  return value
}

function applyFunction(expression: string, value: unknown, variables: Record<string, string>): unknown {
  const name = /^(\w+)/.exec(expression)?.[1]
  const args = /^\w+\((.*)\)$/.exec(expression)?.[1]
  if (name === 'expand_vars' && args === undefined) {
    if (typeof value !== 'string') throw new InputsError('invalid input type: expand_vars can only be used with string inputs')
    return expandExisting(value, variables)
  }
  if (name === 'truncate' && args !== undefined && /^\s*\d+\s*,\s*\d+\s*$/.test(args)) {
    if (typeof value !== 'string') throw new InputsError('invalid input type: truncate can only be used with string inputs')
    const [offset, length] = args.split(',').map((arg) => Number(arg.trim()))
    return value.slice(offset, offset + length)
  }
  if (name === 'posix_escape' && args === undefined) {
    if (typeof value !== 'string') throw new InputsError('invalid input type: posix_escape can only be used with string inputs')
    return value.replace(/([^A-Za-z0-9_\-.,:+/@\n])/g, '\\$1').replace(/\n/g, "'\n'")
  }
  throw new InputsError(`no function matching \`${expression}\`: check that the function name, arguments, and types are correct`)
}

/** Ruby's `to_s` for the values inputs hold. */
function toS(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => (typeof item === 'string' ? JSON.stringify(item) : toS(item))).join(', ')}]`
  if (value === null || value === undefined) return ''
  return String(value)
}
