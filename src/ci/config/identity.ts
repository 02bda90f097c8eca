import type { IdTokenSpec } from '../types'
import { readCommands } from './entries'
import { checkKeys, entryError, isHash, type Config } from './keywords'

/**
 * `hooks:` (pre_get_sources_script), `id_tokens:` and `secrets:`. edgejobs accepts and keeps
 * them; it has no OIDC signer and no secrets provider, so an id token or secret variable gets no
 * value (README). Sources: gitlabhq lib/gitlab/ci/config/entry/{hooks,id_token}.rb, EE
 * entry/secret.rb.
 */

export function readHooks(location: string, value: unknown, errors: string[]): { pre_get_sources_script: string[] } | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  checkKeys(location, value, { supported: ['pre_get_sources_script'], unsupported: [] }, errors)
  if (value.pre_get_sources_script == null) return undefined
  const script = readCommands(`${location}:pre_get_sources_script`, value.pre_get_sources_script, errors)
  return script ? { pre_get_sources_script: script } : undefined
}

export function readIdTokens(location: string, value: unknown, errors: string[]): Record<string, IdTokenSpec> | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  const tokens: Record<string, IdTokenSpec> = {}
  for (const [name, token] of Object.entries(value)) {
    const at = `${location}:${name}`
    if (!isHash(token)) {
      errors.push(entryError(at, 'config should be a hash'))
      continue
    }
    checkKeys(at, token, { supported: ['aud'], unsupported: [] }, errors)
    if (token.aud == null) errors.push(entryError(at, 'config missing required keys: aud'))
    else if (typeof token.aud === 'string' || (Array.isArray(token.aud) && token.aud.every((aud) => typeof aud === 'string'))) tokens[name] = { aud: token.aud }
    else errors.push(entryError(at, 'aud should be an array of strings or a string'))
  }
  return tokens
}

const PROVIDERS = ['vault', 'azure_key_vault', 'gcp_secret_manager', 'akeyless', 'gitlab_secrets_manager', 'aws_secrets_manager']

export function readSecrets(location: string, value: unknown, errors: string[]): Config | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  for (const [name, secret] of Object.entries(value)) {
    const at = `${location}:${name}`
    if (!isHash(secret)) {
      errors.push(entryError(at, 'config should be a hash'))
      continue
    }
    checkKeys(at, secret, { supported: [...PROVIDERS, 'file', 'token'], unsupported: [] }, errors)
    const used = PROVIDERS.filter((provider) => provider in secret)
    if (used.length !== 1) errors.push(entryError(at, `config must use exactly one of these keys: ${PROVIDERS.join(', ')}`))
  }
  return value
}
