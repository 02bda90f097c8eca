import type { ReleaseSpec } from '../types'
import { isStringArray } from './entries'
import { checkKeys, entryError, isHash } from './keywords'

/**
 * `release:` and `pages:`/`publish:`. Sources: gitlabhq
 * lib/gitlab/ci/config/entry/{release,release/assets,release/assets/link,pages}.rb, entry/job.rb.
 */

const RELEASE_KEYS = ['tag_name', 'tag_message', 'name', 'description', 'ref', 'released_at', 'milestones', 'assets']
const LINK_KEYS = ['name', 'url', 'link_type', 'filepath', 'direct_asset_path']

export function readRelease(location: string, value: unknown, errors: string[]): ReleaseSpec | undefined {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return undefined
  }
  const count = errors.length
  checkKeys(location, value, { supported: RELEASE_KEYS, unsupported: [] }, errors)
  for (const key of ['tag_name', 'description'] as const) {
    if (typeof value[key] !== 'string' || value[key] === '') errors.push(entryError(location, `${key.replace('_', ' ')} can't be blank`))
  }
  for (const key of ['tag_message', 'name', 'ref', 'released_at'] as const) {
    if (value[key] != null && typeof value[key] !== 'string') errors.push(entryError(location, `${key.replace('_', ' ')} should be a string`))
  }
  if (value.milestones != null && typeof value.milestones !== 'string' && !isStringArray(value.milestones)) {
    errors.push(entryError(location, 'milestones should be an array of strings or a string'))
  }
  if (value.assets != null) readAssets(`${location}:assets`, value.assets, errors)
  return errors.length === count ? (value as unknown as ReleaseSpec) : undefined
}

function readAssets(location: string, value: unknown, errors: string[]): void {
  if (!isHash(value)) {
    errors.push(entryError(location, 'config should be a hash'))
    return
  }
  checkKeys(location, value, { supported: ['links'], unsupported: [] }, errors)
  if (!Array.isArray(value.links) || value.links.length === 0) {
    errors.push(entryError(`${location}:links`, "config can't be blank"))
    return
  }
  for (const link of value.links) {
    if (!isHash(link)) {
      errors.push(entryError(`${location}:links:link`, 'config should be a hash'))
      continue
    }
    checkKeys(`${location}:links:link`, link, { supported: LINK_KEYS, unsupported: [] }, errors)
    if (typeof link.name !== 'string' || typeof link.url !== 'string') errors.push(entryError(`${location}:links:link`, "name and url can't be blank"))
  }
}

/** `pages: true | false | {path_prefix, expire_in, publish}`; a job named `pages` is a Pages job unless `pages: false`. */
export function readPages(location: string, name: string, value: unknown, publish: unknown, errors: string[]): Record<string, unknown> | undefined {
  let pages: Record<string, unknown> | undefined
  if (value === undefined || value === null) pages = name === 'pages' ? {} : undefined
  else if (value === true) pages = {}
  else if (value === false) pages = undefined
  else if (isHash(value)) {
    checkKeys(`${location}:pages`, value, { supported: ['path_prefix', 'expire_in', 'publish'], unsupported: [] }, errors)
    pages = value
  } else errors.push(entryError(location, 'pages should be a hash or a boolean value'))
  if (publish != null) {
    if (!pages) errors.push(entryError(location, 'publish can only be used within a `pages` job'))
    else if (typeof publish !== 'string') errors.push(entryError(location, 'publish should be a string'))
    else pages = { ...pages, publish }
  }
  return pages
}
