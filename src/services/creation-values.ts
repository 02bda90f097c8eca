import { guessTier, validEnvironmentName } from '../ci/config/environment'
import { expandVariables } from '../ci/config/expand-variables'
import { globMatcher, isLiteralGlob } from '../ci/config/glob'
import { inheritedVariables } from '../ci/config/seed'
import type { CiRepository, ProjectHandle } from '../ci/config/sources'
import type { CacheSpec, JobDefinition, PipelineDefinition, Variable } from '../ci/types'

/**
 * The job values GitLab computes when it seeds a pipeline and that need the repository or
 * hashing: `cache:key:files` digests, the expanded environment (name, url, tier, slug and the
 * CI_ENVIRONMENT_* variables) and the expanded `resource_group`. Sources: gitlabhq
 * lib/gitlab/ci/pipeline/seed/build/cache.rb, lib/gitlab/ci/pipeline/seed/build.rb,
 * app/models/environment.rb, lib/gitlab/slug/environment.rb.
 */
export async function completeJobs(
  definition: PipelineDefinition,
  context: Record<string, string>,
  repository: CiRepository,
  project: ProjectHandle,
  sha: string,
): Promise<void> {
  let files: string[] | undefined
  const listFiles = async () => (files ??= await repository.listFiles(project, sha))
  for (const job of definition.jobs) {
    const variables = jobVariables(definition, job, context)
    if (job.options.cache?.some((cache) => cache.key_files)) {
      job.options = { ...job.options, cache: await Promise.all(job.options.cache.map((cache) => cacheWithKey(cache, listFiles, repository, project, sha))) }
    }
    if (job.options.environment) await expandEnvironment(job, variables)
    if (job.options.resource_group) job.options = { ...job.options, resource_group: expandVariables(job.options.resource_group, variables) }
  }
}

function jobVariables(definition: PipelineDefinition, job: JobDefinition, context: Record<string, string>): Record<string, string> {
  const record: Record<string, string> = {}
  for (const variable of [...inheritedVariables(definition.variables, job.inheritVariables), ...job.variables]) record[variable.key] = variable.value
  return { ...record, ...context }
}

/** `<prefix>-<SHA1 of the files' sorted unique blob ids joined by '-'>`, `default` for the digest when none exists. */
async function cacheWithKey(
  cache: CacheSpec,
  listFiles: () => Promise<string[]>,
  repository: CiRepository,
  project: ProjectHandle,
  sha: string,
): Promise<CacheSpec> {
  if (!cache.key_files) return cache
  const paths: string[] = []
  for (const pattern of cache.key_files.files) {
    if (isLiteralGlob(pattern)) paths.push(pattern.replace(/^\/+/, ''))
    else paths.push(...(await listFiles()).filter(globMatcher(pattern)))
  }
  const blobs = (await Promise.all(paths.map((path) => repository.blobIdAt(project, sha, path)))).filter((blob): blob is string => blob !== null)
  const digest = blobs.length === 0 ? 'default' : await sha1([...new Set(blobs)].sort().join('-'))
  const { key_files, ...rest } = cache
  return { ...rest, key: key_files.prefix ? `${key_files.prefix}-${digest}` : digest }
}

/**
 * Name and url expanded with the job's variables (unknown ones become ""). An expanded name that
 * is no longer valid fails the job at creation with environment_creation_failure, as
 * Environments::CreateForJobService does (T19).
 */
async function expandEnvironment(job: JobDefinition, variables: Record<string, string>): Promise<void> {
  const spec = job.options.environment!
  const name = expandVariables(spec.name, variables)
  if (!validEnvironmentName(name) || name.trim() === '') {
    const { environment: _dropped, ...options } = job.options
    job.options = options
    job.failureReason = 'environment_creation_failure'
    return
  }
  const slug = await environmentSlug(name)
  const url = spec.url === undefined ? undefined : expandVariables(spec.url, { ...variables, CI_ENVIRONMENT_NAME: name, CI_ENVIRONMENT_SLUG: slug })
  const tier = spec.deployment_tier ?? guessTier(name)
  job.options = { ...job.options, environment: { ...spec, name, ...(url === undefined ? {} : { url }), deployment_tier: tier, slug } }
  const added: Variable[] = [
    { key: 'CI_ENVIRONMENT_NAME', value: name },
    { key: 'CI_ENVIRONMENT_SLUG', value: slug },
    { key: 'CI_ENVIRONMENT_ACTION', value: spec.action },
    { key: 'CI_ENVIRONMENT_TIER', value: tier! },
    ...(url === undefined ? [] : [{ key: 'CI_ENVIRONMENT_URL', value: url }]),
  ]
  job.variables = [...job.variables.filter((variable) => !added.some((one) => one.key === variable.key)), ...added]
}

/** Gitlab::Slug::Environment: lower-case, dashes, starts with a letter, at most 24 characters with a 6-character suffix when changed. */
export async function environmentSlug(name: string): Promise<string> {
  let slug = name.toLowerCase().replace(/[^a-z0-9]/g, '-')
  if (!/^[a-z]/.test(slug)) slug = `env-${slug}`
  slug = slug.replace(/-+/g, '-')
  if (slug.length > 24 || slug !== name) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(name))
    const suffix = BigInt(`0x${hex(digest)}`).toString(36).slice(-6)
    let prefix = slug.slice(0, 17)
    if (!prefix.endsWith('-')) prefix += '-'
    return `${prefix}${suffix}`
  }
  return slug.replace(/-$/, '')
}

async function sha1(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text)))
}

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}
