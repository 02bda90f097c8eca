import * as v from 'valibot'
import { readBodyBytes } from './body'
import { ApiError } from './errors'
import { paramObject, parseNestedPairs, sanitizeJson, type ParamObject } from './nested-params'

/**
 * Grape-style parameters: query string, route params and body merged into one object, then
 * validated with a valibot schema whose messages are Grape's (`is missing`, `is invalid`,
 * `does not have a valid value`, `has a value not allowed`).
 */
export type RawParams = Record<string, unknown>

export async function readParams(
  request: Request,
  routeParams: Record<string, string>,
  /** the configured limit (config.ts) */
  maxBodyBytes: number,
): Promise<RawParams> {
  const url = new URL(request.url)
  const query = parseNestedPairs(url.searchParams.entries())
  const body = await readBody(request, maxBodyBytes)
  // Route params win, as in Grape, where the path segment is the declared value. The merged
  // object has no prototype either (see nested-params.ts).
  return Object.assign(paramObject(), query, body, routeParams)
}

async function readBody(request: Request, maxBodyBytes: number): Promise<ParamObject> {
  if (request.method === 'GET' || request.method === 'HEAD') return paramObject()
  const type = (request.headers.get('Content-Type') ?? '').toLowerCase()
  if (type.startsWith('multipart/form-data')) return paramObject() // multipart is read by the endpoints that take files
  const text = new TextDecoder().decode(await readBodyBytes(request, maxBodyBytes))
  if (text.trim() === '') return paramObject()
  if (type.startsWith('application/json') || (!type && /^\s*[{[]/.test(text))) {
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw ApiError.badRequest('Malformed JSON body')
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw ApiError.badRequest('JSON body must be an object')
    }
    return sanitizeJson(parsed) as ParamObject
  }
  if (type.startsWith('application/x-www-form-urlencoded') || !type) {
    return parseNestedPairs(new URLSearchParams(text).entries())
  }
  return paramObject()
}

/**
 * Validates raw params against a schema; failures become one Grape 400. An optional parameter
 * sent as JSON `null` counts as absent, at any depth (Grape skips nil for optional params: its
 * coercion and `values:` validators return early on nil, and `declared` leaves the key out);
 * a required one sent as null stays present, as Grape's PresenceValidator only asks `key?`.
 */
export function validate<TSchema extends v.GenericSchema>(schema: TSchema, raw: RawParams): v.InferOutput<TSchema> {
  const result = v.safeParse(schema, withoutOptionalNulls(schema as unknown as AnySchema, raw), { abortPipeEarly: true })
  if (result.success) return result.output
  const errors: string[] = []
  for (const issue of result.issues) {
    const name = grapeName(issue.path?.map((item) => item.key as string | number) ?? [])
    const missingKey = ['object', 'loose_object', 'strict_object'].includes(issue.type) && issue.input === undefined
    const message = missingKey ? 'is missing' : issue.message
    const text = `${name} ${message}`
    if (!errors.includes(text)) errors.push(text)
  }
  throw ApiError.validation(errors)
}

/** ['job_variables_attributes', 0, 'key'] → `job_variables_attributes[0][key]`. */
function grapeName(path: Array<string | number>): string {
  if (path.length === 0) return 'params'
  return String(path[0]) + path.slice(1).map((part) => `[${part}]`).join('')
}

type AnySchema = v.GenericSchema & { type: string; entries?: Record<string, AnySchema>; wrapped?: AnySchema; item?: AnySchema; options?: AnySchema[] }

const OPTIONAL_TYPES = new Set(['optional', 'nullish', 'exact_optional', 'undefinedable'])
const OBJECT_TYPES = new Set(['object', 'loose_object', 'strict_object', 'object_with_rest'])

/** A copy of `value` without the keys whose schema is optional and whose value is null. */
function withoutOptionalNulls(schema: AnySchema, value: unknown): unknown {
  if (OPTIONAL_TYPES.has(schema.type) && schema.wrapped) return withoutOptionalNulls(schema.wrapped, value)
  if (OBJECT_TYPES.has(schema.type) && schema.entries && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const entry = schema.entries[key]
      if (!entry) out[key] = item
      else if (item === null && OPTIONAL_TYPES.has(entry.type)) continue
      else out[key] = withoutOptionalNulls(entry, item)
    }
    return out
  }
  if (schema.type === 'array' && schema.item && Array.isArray(value)) return value.map((item) => withoutOptionalNulls(schema.item!, item))
  if (schema.type === 'union' && schema.options) {
    const branch = schema.options.find((option) => option.type === 'array' || OBJECT_TYPES.has(option.type))
    return branch ? withoutOptionalNulls(branch, value) : value
  }
  return value
}
