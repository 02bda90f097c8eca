import * as v from 'valibot'

/**
 * Grape's coercions as valibot schemas. Query strings arrive as strings, JSON bodies as typed
 * values; both are accepted where Grape would coerce them.
 */
const INVALID = 'is invalid'

function isIntLike(value: unknown): boolean {
  if (typeof value === 'number') return Number.isSafeInteger(value)
  return typeof value === 'string' && /^[+-]?\d{1,15}$/.test(value.trim())
}

/** Integer (Grape `type: Integer`). */
export const Int = v.pipe(
  v.custom<string | number>(isIntLike, INVALID),
  v.transform((value) => Number(value)),
)

/** Integer within a range (Grape `values: a..b`). */
export function IntIn(min: number, max = Number.MAX_SAFE_INTEGER) {
  return v.pipe(Int, v.check((n: number) => n >= min && n <= max, 'does not have a valid value'))
}

const TRUE = new Set(['true', '1', 't', 'yes', 'y', 'on'])
const FALSE = new Set(['false', '0', 'f', 'no', 'n', 'off'])

/** Boolean (Grape `type: Boolean`, Virtus coercion). */
export const Bool = v.pipe(
  v.custom<string | boolean | number>(
    (value) =>
      typeof value === 'boolean' ||
      value === 0 || value === 1 ||
      (typeof value === 'string' && (TRUE.has(value.toLowerCase()) || FALSE.has(value.toLowerCase()))),
    INVALID,
  ),
  v.transform((value) => (typeof value === 'string' ? TRUE.has(value.toLowerCase()) : Boolean(value))),
)

/** String (Grape `type: String`): numbers are accepted and stringified, objects are not. */
export const Str = v.pipe(
  v.custom<string | number | boolean>(
    (value) => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean',
    INVALID,
  ),
  v.transform((value) => String(value)),
)

/** A required param: missing gives `is missing`, blank gives `is empty` (Grape allow_blank: false). */
export const NonBlankStr = v.pipe(Str, v.check((s: string) => s.trim() !== '', 'is empty'))

/** One of a fixed set (Grape `values:`). */
export function OneOf<const T extends string>(values: readonly T[]) {
  return v.pipe(
    Str,
    v.check((s: string) => (values as readonly string[]).includes(s), 'does not have a valid value'),
    v.transform((s) => s as T),
  )
}

/** A list's `sort` (Grape `values: %w[asc desc]`); each list names its own default. */
export const SortDirection = OneOf(['asc', 'desc'] as const)

/** ISO date `YYYY-MM-DD` (Grape `type: Date`). */
export const IsoDate = v.pipe(
  Str,
  v.check((s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s)), INVALID),
)

/** Grape's DateTime: an ISO 8601 date or time, as milliseconds since the epoch. */
export const DateTime = v.pipe(
  Str,
  v.check((text: string) => /^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text)), INVALID),
  v.transform((text: string) => Date.parse(text)),
)

/** A hash param (Grape `type: Hash`). */
export const Hash = v.custom<Record<string, unknown>>(
  (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
  INVALID,
)

/** `:id` of a project: numeric id or URL-encoded full path. */
export const ProjectRef = Str

/** Gitlab::PathTraversal.check_path_traversal!: `.`/`..` segments and newlines. */
const PATH_TRAVERSAL = /(^\.{1,2}$|^\.\.[/\\]|[/\\]\.\.$|[/\\]\.\.[/\\]|\n)/

function decodedOnce(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

/**
 * Git's own path rules (read-cache.c verify_path, which Gitaly applies): no NUL byte, no empty
 * segment (`a//b`, a trailing `/`), no `.` or `..` segment, no `.git` segment in any letter case.
 */
function gitPathAllowed(path: string): boolean {
  if (path.includes('\0')) return false
  return path.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..' && segment.toLowerCase() !== '.git')
}

/**
 * A repository file path (Grape `file_path: true`): no traversal, not absolute, and what git
 * accepts in a tree. Raw reads allow and drop leading slashes (`allow_initial_path_separator`).
 */
export function FilePath(options: { allowInitialSeparator?: boolean } = {}) {
  return v.pipe(
    Str,
    v.transform((path: string) => (options.allowInitialSeparator ? path.replace(/^[/\\]+/, '') : path)),
    v.check(
      (path: string) =>
        path !== '' && !path.startsWith('/') && !PATH_TRAVERSAL.test(path) && !PATH_TRAVERSAL.test(decodedOnce(path)) && gitPathAllowed(path),
      'should be a valid file path',
    ),
  )
}
