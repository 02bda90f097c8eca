import { isStringArray } from './entries'
import { expandVariables } from './expand-variables'
import { evaluateExpression, parseExpression } from './expression'
import { deepMerge } from './extends'
import type { PipelineFacts } from './facts'
import { globMatcher } from './glob'
import { interpolate, InputsError } from './inputs'
import { isHash, type Config } from './keywords'
import { loadCiYaml } from './load'
import { changesMatch } from './policy'
import type { ConfigSources, ProjectHandle } from './sources'

/**
 * `include:`, expanded the way GitLab's External::Mapper and Processor do: per file normalize,
 * filter by `include:rules`, expand wildcards and `file:` lists, expand variables (unknown ones
 * become ""), match one type, then fetch, load, interpolate inputs and expand that file's own
 * includes; finally deep-merge the included hashes in order with the including file on top.
 * Every file counts towards the 150-file limit, duplicates included (an include cycle ends there).
 * Sources: gitlabhq lib/gitlab/ci/config/external/{mapper,processor,context,rules}.rb,
 * external/mapper/*.rb, external/file/*.rb, app/services/ci/components/fetch_service.rb.
 */

export class IncludeError extends Error {}

export interface IncludeContext {
  sources: ConfigSources
  /** the project local includes read from; null in remote and template files */
  project: ProjectHandle | null
  sha: string | null
  /** predefined, project and pipeline variables (not YAML `variables:`) */
  variables: Record<string, string>
  facts: PipelineFacts
}

export const MAX_INCLUDES = 150
export const MAX_TOTAL_YAML_BYTES = 10 * 1024 * 1024
/** GITLAB_CI_CONFIG_FETCH_TIMEOUT_SECONDS' default. */
export const FETCH_DEADLINE_MS = 30_000

const TYPES = ['local', 'project', 'remote', 'template', 'artifact', 'component'] as const
type IncludeType = (typeof TYPES)[number]
const SUBKEYS = TYPES.map((type) => `\`${type}\``).join(', ')
const RULE_KEYS = ['if', 'exists', 'changes', 'when']

interface State {
  count: number
  bytes: number
  deadline: number
  /** every included file, in the order read (Gitlab::Ci::Config::External::Context#includes) */
  includes: IncludeRecord[]
}

/**
 * An included file as CI Lint lists it (External::File::Base#metadata): the including file's
 * project and sha, the include's type and location, and where the file was read from (`target`,
 * for the blob and raw URLs of local and project includes).
 */
export interface IncludeRecord {
  contextProject: string | null
  contextSha: string | null
  type: IncludeType
  location: string
  target: { project: string; sha: string } | null
  extra: Record<string, string>
}

interface Location {
  type: IncludeType
  item: Config
}

interface Fetched {
  location: string
  content: string
  context: IncludeContext
  inputs?: Config
}

/** `config` with its includes merged in (and removed), or an IncludeError. */
export async function expandIncludes(config: Config, context: IncludeContext, state: State = newState()): Promise<Config> {
  if (config.include === undefined || config.include === null) {
    const { include: _ignored, ...rest } = config
    return rest
  }
  const items = Array.isArray(config.include) ? config.include : [config.include]
  const locations: Location[] = []
  for (const raw of items) {
    const item = normalize(raw, context)
    if (!(await rulesAllow(item, context))) continue
    for (const expanded of await expandLocation(item, context)) locations.push(match(expanded))
  }
  state.count += locations.length
  if (state.count > MAX_INCLUDES) throw new IncludeError(`Maximum of ${MAX_INCLUDES} nested includes are allowed!`)
  // A level's files are fetched together (GitLab fetches remote ones 4 at a time).
  const settled = await Promise.allSettled(locations.map((location) => fetchLocation(location, context, state)))
  // The first failing include in config order is the one reported.
  const failed = settled.find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
  const fetched = settled.map((result) => (result as PromiseFulfilledResult<Fetched>).value)
  fetched.forEach((file, index) => state.includes.push(includeRecord(locations[index], file, context)))
  let merged: Config = {}
  for (const file of fetched) {
    state.bytes += file.content.length
    if (state.bytes > MAX_TOTAL_YAML_BYTES) throw new IncludeError('Total size of combined CI/CD configuration is too big')
    const hash = await loadIncluded(file, state)
    merged = deepMerge(merged, hash)
  }
  const { include: _removed, ...own } = config
  return deepMerge(merged, own)
}

function includeRecord(location: Location, file: Fetched, context: IncludeContext): IncludeRecord {
  const target = (location.type === 'local' || location.type === 'project') && file.context.project && file.context.sha
    ? { project: file.context.project.path, sha: file.context.sha }
    : null
  const extra: Record<string, string> = location.type === 'project'
    ? { project: String(location.item.project), ref: typeof location.item.ref === 'string' && location.item.ref !== '' ? location.item.ref : 'HEAD' }
    : {}
  return { contextProject: context.project?.path ?? null, contextSha: context.sha, type: location.type, location: file.location, target, extra }
}

function newState(): State {
  return { count: 0, bytes: 0, deadline: Date.now() + FETCH_DEADLINE_MS, includes: [] }
}

/** A fresh state for one config's expansion, whose `includes` the caller reads afterwards. */
export function newIncludeState(): State {
  return newState()
}

async function loadIncluded(file: Fetched, state: State): Promise<Config> {
  const loaded = loadCiYaml(file.content, `Included file \`${file.location}\` is empty or does not exist!`)
  if (!loaded.ok) {
    const error = loaded.errors[0]
    if (error === 'Invalid configuration format') throw new IncludeError(`Included file \`${file.location}\` does not have valid YAML syntax!`)
    if (error.startsWith('Included file')) throw new IncludeError(error)
    throw new IncludeError(`\`${file.location}\`: ${error}`)
  }
  let content: Config
  try {
    content = interpolate(loaded.header, loaded.config, file.inputs, file.context.variables)
  } catch (error) {
    if (error instanceof InputsError) throw new IncludeError(`\`${file.location}\`: ${error.message}`)
    throw error
  }
  return expandIncludes(content, file.context, state)
}

/** A string is a remote URL or a local path (after variable expansion); hashes keep their keys. */
function normalize(raw: unknown, context: IncludeContext): Config {
  if (typeof raw === 'string') {
    const expanded = expandVariables(raw, context.variables)
    return isUrl(expanded) ? { remote: expanded } : { local: expanded }
  }
  if (!isHash(raw)) throw new IncludeError('Each include must be a hash or a string')
  return raw
}

function isUrl(text: string): boolean {
  try {
    const url = new URL(text)
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== ''
  } catch {
    return false
  }
}

/** include:rules: no rules, included; else the first matching rule decides (`never` excludes); no match, excluded. */
async function rulesAllow(item: Config, context: IncludeContext): Promise<boolean> {
  if (item.rules === undefined || item.rules === null) return true
  if (!Array.isArray(item.rules)) throw new IncludeError('include:rules config should be an array of hashes')
  for (const rule of item.rules) {
    if (!isHash(rule)) throw new IncludeError('include:rules:rule config should be a hash')
    const unknown = Object.keys(rule).filter((key) => !RULE_KEYS.includes(key))
    if (unknown.length > 0) throw new IncludeError(`include:rules:rule config contains unknown keys: ${unknown.join(', ')}`)
    if (rule.when !== undefined && rule.when !== null && rule.when !== 'never' && rule.when !== 'always') {
      throw new IncludeError(`include:rules:rule when unknown value: ${String(rule.when)}`)
    }
    if (await ruleMatches(rule, context)) return rule.when !== 'never'
  }
  return false
}

async function ruleMatches(rule: Config, context: IncludeContext): Promise<boolean> {
  if (rule.if !== undefined && rule.if !== null) {
    const expression = typeof rule.if === 'string' ? parseExpression(rule.if) : null
    if (!expression) throw new IncludeError('include:rules:rule if invalid expression syntax')
    if (!evaluateExpression(expression, context.variables)) return false
  }
  if (rule.exists !== undefined && rule.exists !== null) {
    const globs = typeof rule.exists === 'string' ? [rule.exists] : isStringArray(rule.exists) ? rule.exists : null
    if (!globs) throw new IncludeError('include:rules:rule exists should be an array of strings or a string')
    const files = context.project && context.sha ? await context.sources.repository.listFiles(context.project, context.sha) : []
    const matchers = globs.map((glob) => globMatcher(glob))
    if (!files.some((file) => matchers.some((matches) => matches(file)))) return false
  }
  if (rule.changes !== undefined && rule.changes !== null) {
    const globs = isStringArray(rule.changes) ? rule.changes : isHash(rule.changes) && isStringArray(rule.changes.paths) ? rule.changes.paths : null
    if (!globs) throw new IncludeError('include:rules:rule changes should be an array or a hash')
    if (!changesMatch(globs, context.facts.modifiedPaths)) return false
  }
  return true
}

/** Variables expanded in the top-level strings and string arrays; `project` + `file: [a, b]` and local wildcards fan out. */
async function expandLocation(item: Config, context: IncludeContext): Promise<Config[]> {
  const expanded: Config = {}
  for (const [key, value] of Object.entries(item)) {
    if (key === 'inputs' || key === 'with' || key === 'rules') expanded[key] = value
    else if (typeof value === 'string') expanded[key] = expandVariables(value, context.variables)
    else if (isStringArray(value)) expanded[key] = value.map((entry) => expandVariables(entry, context.variables))
    else expanded[key] = value
  }
  if (typeof expanded.project === 'string' && Array.isArray(expanded.file)) {
    return expanded.file.map((file) => ({ ...expanded, file }))
  }
  if (typeof expanded.local === 'string' && expanded.local.includes('*') && context.project && context.sha) {
    const pattern = globMatcher(expanded.local.replace(/^\/+/, ''))
    const files = await context.sources.repository.listFiles(context.project, context.sha)
    return files.filter((file) => pattern(file)).sort().map((local) => ({ ...expanded, local }))
  }
  return [expanded]
}

function match(item: Config): Location {
  const types = TYPES.filter((type) => (type === 'project' ? item.project !== undefined && item.project !== null && item.project !== '' : type in item))
  if (types.length === 0) throw new IncludeError(`\`${JSON.stringify(item)}\` does not have a valid subkey for include. Valid subkeys are: ${SUBKEYS}`)
  if (types.length > 1) throw new IncludeError(`Each include must use only one of: ${SUBKEYS}`)
  return { type: types[0], item }
}

async function fetchLocation(location: Location, context: IncludeContext, state: State): Promise<Fetched> {
  if (Date.now() > state.deadline) throw new IncludeError('Request timed out when fetching configuration files.')
  const { item } = location
  const inputs = isHash(item.inputs) ? item.inputs : isHash(item.with) ? item.with : undefined
  if (location.type === 'component') return fetchComponent(item.component, context, inputs)
  const where = location.type === 'project' ? item.file : item[location.type]
  if (typeof where !== 'string') throw new IncludeError(`Included file \`${JSON.stringify(where ?? null)}\` needs to be a string`)
  if (location.type !== 'template' && !/.+\.(yml|yaml)$/i.test(where.split('/').pop() ?? '')) {
    throw new IncludeError(`Included file \`${where}\` does not have YAML extension!`)
  }
  if (location.type === 'artifact') return { ...(await fetchArtifact(item, where, context)), inputs }
  if (location.type === 'local') return { ...(await fetchLocal(where, context)), inputs }
  if (location.type === 'project') return { ...(await fetchProject(item, where, context)), inputs }
  if (location.type === 'remote') return { location: where, content: await fetchRemote(where, context), context: detached(context), inputs }
  return { location: where, content: await fetchTemplate(where, context), context: detached(context), inputs }
}

/**
 * `include: {artifact, job}` (external/file/artifact.rb, Gitlab::Ci::ArtifactFileReader): a file of
 * the parent pipeline job's artifacts, only while creating a child pipeline. The file is read in
 * the child's project and sha, as GitLab's expand_context_attrs keeps them.
 */
async function fetchArtifact(item: Config, path: string, context: IncludeContext): Promise<Omit<Fetched, 'inputs'>> {
  const read = context.sources.readParentArtifact
  if (!read) throw new IncludeError('Including configs from artifacts is only allowed when triggering child pipelines')
  if (typeof item.job !== 'string' || item.job === '') throw new IncludeError('Job must be provided when including configs from artifacts')
  const result = await read(item.job, path)
  if (!result.ok && result.reason === 'missing') throw new IncludeError(`Job \`${item.job}\` not found in parent pipeline or does not have artifacts!`)
  if (!result.ok) throw new IncludeError(result.message)
  if (result.content.trim() === '') throw new IncludeError(`File \`${path}\` is empty!`)
  return { location: path, content: result.content, context }
}

/** Remote and template files have no project: a local include inside them has nothing to read. */
function detached(context: IncludeContext): IncludeContext {
  return { ...context, project: null, sha: null }
}

async function fetchLocal(path: string, context: IncludeContext): Promise<Omit<Fetched, 'inputs'>> {
  const location = path.replace(/^\/+/, '')
  if (!context.project || !context.sha) throw new IncludeError(`Local file \`${path}\` does not have project!`)
  const content = await context.sources.repository.readFileAt(context.project, context.sha, location)
  if (content === null) throw new IncludeError(`Local file \`${path}\` does not exist!`)
  if (content.trim() === '') throw new IncludeError(`Local file \`${path}\` is empty!`)
  return { location: path, content, context }
}

async function fetchProject(item: Config, file: string, context: IncludeContext): Promise<Omit<Fetched, 'inputs'>> {
  const path = String(item.project)
  const ref = typeof item.ref === 'string' && item.ref !== '' ? item.ref : 'HEAD'
  const project = await context.sources.findProject(path.toLowerCase())
  if (!project) {
    throw new IncludeError(`Project \`${path}\` not found or access denied! Make sure any includes in the pipeline configuration are correctly defined.`)
  }
  const sha = await context.sources.repository.resolveRef(project, ref)
  if (!sha) throw new IncludeError(`Project \`${path}\` reference \`${ref}\` does not exist!`)
  const location = file.replace(/^\/+/, '')
  const content = await context.sources.repository.readFileAt(project, sha, location)
  if (content === null) throw new IncludeError(`Project \`${path}\` file \`${file}\` does not exist!`)
  if (content.trim() === '') throw new IncludeError(`Project \`${path}\` file \`${file}\` is empty!`)
  return { location: file, content, context: { ...context, project, sha } }
}

async function fetchRemote(url: string, context: IncludeContext): Promise<string> {
  if (!isUrl(url)) throw new IncludeError(`Remote file \`${url}\` does not have a valid address!`)
  const result = await context.sources.fetchRemote(url)
  if (result.ok) {
    if (result.body.trim() === '') throw new IncludeError(`Included file \`${url}\` is empty or does not exist!`)
    return result.body
  }
  switch (result.reason) {
    case 'invalid':
      throw new IncludeError(`Remote file \`${url}\` does not have a valid address!`)
    case 'blocked':
      throw new IncludeError(`Remote file could not be fetched because ${result.detail ?? 'URL is blocked'}!`)
    case 'timeout':
      throw new IncludeError(`Remote file \`${url}\` could not be fetched because of a timeout error!`)
    case 'http':
      throw new IncludeError(`Remote file \`${url}\` could not be fetched because of HTTP code \`${result.status}\` error!`)
    case 'too_big':
      throw new IncludeError(`Remote file \`${url}\` could not be fetched because the file is too big!`)
    default:
      throw new IncludeError(`Remote file \`${url}\` could not be fetched because of a socket error!`)
  }
}

/**
 * edgejobs does not ship GitLab's templates (they are GitLab's code, MIT-licensed but large and
 * versioned with GitLab); with `CI_TEMPLATE_BASE_URL` set they are fetched from there.
 */
async function fetchTemplate(name: string, context: IncludeContext): Promise<string> {
  if (!/\.gitlab-ci\.yml$/.test(name) || name.includes('..')) throw new IncludeError(`Template file \`${name}\` is not a valid location!`)
  const base = context.sources.templateBaseUrl
  if (!base) {
    throw new IncludeError(
      `Template file \`${name}\` is not a valid location! (edgejobs does not ship GitLab's CI templates; set CI_TEMPLATE_BASE_URL to serve them)`,
    )
  }
  const result = await context.sources.fetchRemote(`${base.replace(/\/+$/, '')}/${name.split('/').map(encodeURIComponent).join('/')}`)
  if (!result.ok) throw new IncludeError(`Template file \`${name}\` is not a valid location!`)
  return result.body
}

/**
 * `<host>/<project path>/<name>@<version>`: the project must be on this server; the version is a
 * tag, branch or sha (`~latest` needs the CI/CD catalog, which edgejobs does not keep); the file is
 * `templates/<name>.yml` or `templates/<name>/template.yml`.
 */
async function fetchComponent(address: unknown, context: IncludeContext, inputs: Config | undefined): Promise<Fetched> {
  if (typeof address !== 'string') throw new IncludeError(`Included file \`${JSON.stringify(address ?? null)}\` needs to be a string`)
  if (!context.project) throw new IncludeError('Unable to use components outside of a project context')
  const at = address.lastIndexOf('@')
  const path = at < 0 ? address : address.slice(0, at)
  const version = at < 0 ? '' : address.slice(at + 1)
  const host = context.sources.serverHost
  if (!path.startsWith(`${host}/`) || version === '') throw new IncludeError(`Component '${address}' - the component path is not supported`)
  const segments = path.slice(host.length + 1).split('/')
  // The project is the longest prefix that exists; the rest is the component name.
  for (let split = segments.length - 1; split >= 1; split--) {
    const project = await context.sources.findProject(segments.slice(0, split).join('/').toLowerCase())
    if (!project) continue
    if (version === '~latest') {
      throw new IncludeError(`Component '${address}' - The ~latest version reference is not supported for non-catalog resources. Use a tag, branch, or commit SHA instead.`)
    }
    const sha = await context.sources.repository.resolveRef(project, version)
    if (!sha) throw new IncludeError(`Component '${address}' - content not found`)
    const name = segments.slice(split).join('/')
    for (const file of [`templates/${name}.yml`, `templates/${name}/template.yml`]) {
      const content = await context.sources.repository.readFileAt(project, sha, file)
      if (content !== null) return { location: address, content, context: { ...context, project, sha }, inputs }
    }
    throw new IncludeError(`Component '${address}' - content not found`)
  }
  throw new IncludeError(`Component '${address}' - project does not exist or you don't have sufficient permissions`)
}
