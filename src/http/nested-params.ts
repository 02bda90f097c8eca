/**
 * Rack's nested parameter rules, so `scope[]=a&scope[]=b`, `scope[x]=a` and
 * `job_variables_attributes[0][key]=K` arrive as the same structures Grape sees.
 */
export type ParamValue = string | ParamValue[] | { [key: string]: ParamValue }
export type ParamObject = { [key: string]: ParamValue }

/**
 * Keys that could reach an object's prototype. Every params object is made without a prototype
 * and a key with any of these segments is dropped, so `__proto__[x]=1` can never set a key on
 * Object.prototype (which would break every schema of the isolate).
 */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype'])

export function isForbiddenKey(key: string): boolean {
  return FORBIDDEN_SEGMENTS.has(key)
}

/** A params object with no prototype: `obj[key]` never finds an inherited property. */
export function paramObject(): ParamObject {
  return Object.create(null) as ParamObject
}

export function parseNestedPairs(pairs: Iterable<[string, string]>): ParamObject {
  const out = paramObject()
  for (const [rawKey, value] of pairs) {
    const parts = splitKey(rawKey)
    if (parts.some(isForbiddenKey)) continue
    assign(out, parts, value)
  }
  return out
}

/**
 * A parsed JSON body as a params object: every nested object without a prototype and every
 * `__proto__`/`constructor`/`prototype` key dropped (JSON.parse makes `__proto__` an own key,
 * which a later spread or merge could turn into a prototype write).
 */
export function sanitizeJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitizeJson)
  if (value === null || typeof value !== 'object') return value
  const out: Record<string, unknown> = Object.create(null)
  for (const [key, item] of Object.entries(value)) {
    if (!isForbiddenKey(key)) out[key] = sanitizeJson(item)
  }
  return out
}

/** `a[b][]` → ['a', 'b', '']. A key without brackets is one part. */
function splitKey(key: string): string[] {
  const first = key.indexOf('[')
  if (first <= 0) return [key]
  const parts = [key.slice(0, first)]
  const rest = key.slice(first)
  const re = /\[([^\]]*)\]/g
  let match: RegExpExecArray | null
  let consumed = 0
  while ((match = re.exec(rest)) !== null) {
    if (match.index !== consumed) break
    parts.push(match[1])
    consumed = re.lastIndex
  }
  if (consumed !== rest.length) return [key]
  return parts
}

function assign(target: ParamObject, parts: string[], value: string): void {
  let node: ParamObject | ParamValue[] = target
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    const last = i === parts.length - 1
    const nextIsArray = !last && parts[i + 1] === ''
    if (Array.isArray(node)) {
      // `a[][key]=1&a[][value]=2`: Rack starts a new element when the key repeats.
      if (part === '') {
        if (last) {
          node.push(value)
          return
        }
        const lastEl: ParamValue | undefined = node[node.length - 1]
        const childKey = parts[i + 1]
        if (lastEl && typeof lastEl === 'object' && !Array.isArray(lastEl) && !Object.hasOwn(lastEl, childKey)) {
          node = lastEl
        } else {
          const fresh = paramObject()
          node.push(fresh)
          node = fresh
        }
        continue
      }
      return // malformed mix of array and hash: ignore like Rack would raise; we drop it
    }
    if (last) {
      node[part] = value
      return
    }
    const existing: ParamValue | undefined = Object.hasOwn(node, part) ? node[part] : undefined
    if (nextIsArray) {
      if (!Array.isArray(existing)) node[part] = []
      node = node[part] as ParamValue[]
    } else {
      if (!existing || typeof existing !== 'object' || Array.isArray(existing)) node[part] = paramObject()
      node = node[part] as ParamObject
    }
  }
}

/**
 * Rails' `to_query`: `key=value` pairs escaped like CGI.escape, arrays as `key[]=`, hashes as
 * `key[sub]=`, empty arrays and hashes left out. The encoded pairs are sorted, except inside an
 * array of hashes, whose keys keep their order (activesupport Hash#to_query).
 */
export function toQuery(params: Record<string, unknown>, prefix?: string): string {
  const parts: string[] = []
  for (const [key, value] of Object.entries(params)) {
    const name = prefix ? `${prefix}[${key}]` : key
    if (value === undefined) continue
    if (Array.isArray(value)) {
      const items = value.map((item) =>
        item !== null && typeof item === 'object' ? toQuery(item as Record<string, unknown>, `${name}[]`) : pair(`${name}[]`, item),
      )
      parts.push(items.filter(Boolean).join('&'))
    } else if (value !== null && typeof value === 'object') {
      parts.push(toQuery(value as Record<string, unknown>, name))
    } else {
      parts.push(pair(name, value))
    }
  }
  const present = parts.filter(Boolean)
  if (!prefix?.includes('[]')) present.sort()
  return present.join('&')
}

function pair(name: string, value: unknown): string {
  return `${cgiEscape(name)}=${cgiEscape(String(value ?? ''))}`
}

/** Ruby's CGI.escape: letters, digits and `-._~` stay as they are, a space becomes `+`. */
function cgiEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}
