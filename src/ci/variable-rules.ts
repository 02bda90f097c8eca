/**
 * GitLab's rules for CI/CD variables, as data: the model validations of Ci::Variable and
 * Ci::InstanceVariable (app/models/concerns/ci/has_variable.rb, ci/maskable.rb,
 * ci/hidable_variable.rb, has_environment_scope.rb) and which variables a job receives
 * (HasEnvironmentScope.on_environment, Project#protected_for?).
 */

/** Ci::Maskable::REGEX: one line, 8+ characters of Base64 (RFC 4648) plus `@ : . ~`. */
const MASKABLE = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/
/** Ci::Maskable::MASK_AND_RAW_REGEX for raw variables: 8+ characters, no whitespace. */
const MASKABLE_RAW = /^[^ \t\r\n\f\v]{8,}$/
const KEY = /^[a-zA-Z0-9_]+$/
/** Gitlab::Regex.environment_scope_regex */
const ENVIRONMENT_SCOPE = /^[a-zA-Z0-9_/${}. *-]+$/

export const KEY_FORMAT_MESSAGE = "can contain only letters, digits and '_'."
export const SCOPE_FORMAT_MESSAGE = "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', '*' and spaces"
/** Ci::InstanceVariable's value limit. */
export const INSTANCE_VALUE_LIMIT = 10_000

/** A variable's settings in plaintext, as the API sets them (instance variables have only these). */
export interface VariableValues {
  key: string
  value: string
  variable_type: 'env_var' | 'file'
  protected: boolean
  masked: boolean
  raw: boolean
  description: string | null
}

export type FieldErrors = Record<string, string[]>

function add(errors: FieldErrors, field: string, message: string): void {
  ;(errors[field] ??= []).push(message)
}

/** The validations every variable kind shares (key, masked value, description). */
export function variableErrors(values: VariableValues): FieldErrors {
  const errors: FieldErrors = {}
  if (values.key === '') add(errors, 'key', "can't be blank")
  if (values.key.length > 255) add(errors, 'key', 'is too long (maximum is 255 characters)')
  if (!KEY.test(values.key)) add(errors, 'key', KEY_FORMAT_MESSAGE)
  if (values.masked && !(values.raw ? MASKABLE_RAW : MASKABLE).test(values.value)) add(errors, 'value', 'is invalid')
  if (values.description !== null && values.description.length > 255) add(errors, 'description', 'is too long (maximum is 255 characters)')
  return errors
}

export function environmentScopeErrors(scope: string, errors: FieldErrors = {}): FieldErrors {
  if (scope === '') add(errors, 'environment_scope', "can't be blank")
  else if (!ENVIRONMENT_SCOPE.test(scope)) add(errors, 'environment_scope', SCOPE_FORMAT_MESSAGE)
  return errors
}

export function addError(errors: FieldErrors, field: string, message: string): FieldErrors {
  add(errors, field, message)
  return errors
}

/**
 * HasEnvironmentScope.on_environment: `*`, the environment's name itself, or a pattern whose `*`
 * matches any characters. How relevant a match is orders the variables: `*` first, patterns next,
 * the exact name last, so the most specific one wins a key. A job without an environment gets
 * only `*` variables (for_environment(nil)).
 */
export function scopeRelevance(scope: string, environment: string | null): number | undefined {
  if (scope === '*') return 0
  if (environment === null) return undefined
  if (scope === environment) return 2
  if (!scope.includes('*')) return undefined
  const pattern = new RegExp(`^${scope.split('*').map(escapeRegExp).join('.*')}$`, 's')
  return pattern.test(environment) ? 1 : undefined
}

/** The variables a job receives: matching its environment, protected ones only on a protected ref, least relevant first. */
export function variablesForJob<T extends { environment_scope: string; protected: number; id: number }>(
  rows: readonly T[],
  environment: string | null,
  protectedRef: boolean,
): T[] {
  const matched: Array<{ row: T; relevance: number }> = []
  for (const row of rows) {
    if (row.protected === 1 && !protectedRef) continue
    const relevance = scopeRelevance(row.environment_scope, environment)
    if (relevance !== undefined) matched.push({ row, relevance })
  }
  return matched.sort((a, b) => a.relevance - b.relevance || a.row.id - b.row.id).map((m) => m.row)
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
