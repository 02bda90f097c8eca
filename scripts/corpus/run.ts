/**
 * The corpus check's body (bundled and run by scripts/corpus.mjs): every file of the corpus
 * through the same config path pipeline creation uses (resolveCiConfig), for the events a new
 * user's project sees, compared with the expected outcome recorded per file.
 */
import { resolveCiConfig, type ParseResult } from '../../src/ci/config/parse'
import { isHash, type Config } from '../../src/ci/config/keywords'
import { loadCiYaml } from '../../src/ci/config/load'
import type { CiRepository, ConfigSources, ProjectHandle } from '../../src/ci/config/sources'
import { pipelineVariables } from '../../src/services/predefined-variables'
import type { ProjectRow } from '../../src/db/projects'

export interface Outcome {
  /** the first event that creates a pipeline, or absent when none does */
  event?: string
  jobs?: number
  stages?: string[]
  manual?: number
  allowFailure?: number
  dag?: number
  /** included files the corpus does not hold, read as empty (their content is another repository's) */
  missingIncludes?: number
  /** GitLab's error, when no event creates a pipeline */
  error?: string
  /** the error comes from content the corpus lacks (jobs or `extends` bases defined in included files) */
  needsIncludedContent?: true
  /**
   * accepted once the included files stand in for what the main file expects of them: each
   * missing `extends` base and the `script:` of jobs the main file only amends (a `{script: [":"]}`
   * hash each, one placeholder job when every job comes from includes); the count of stand-ins
   */
  standIns?: number
}

/**
 * Included content that supplies exactly the names the main file refers to but does not define:
 * `extends` bases, and `script:` for visible jobs without one; a placeholder job when the main
 * file defines no visible job at all.
 */
function standInContent(source: string): { text: string; count: number } | null {
  const loaded = loadCiYaml(source)
  if (!loaded.ok) return null
  const config = loaded.config
  const reserved = ['include', 'spec', 'default', 'stages', 'types', 'variables', 'workflow', 'image', 'services', 'before_script', 'after_script', 'cache']
  const entries: Record<string, unknown> = {}
  const bases = new Set<string>()
  let visible = 0
  for (const [name, value] of Object.entries(config)) {
    if (reserved.includes(name) || !isHash(value)) continue
    const extendsValue = value.extends
    for (const base of typeof extendsValue === 'string' ? [extendsValue] : Array.isArray(extendsValue) ? extendsValue : []) {
      if (typeof base === 'string' && !Object.hasOwn(config, base)) bases.add(base)
    }
    if (name.startsWith('.')) continue
    if (!('script' in value || 'trigger' in value || 'run' in value || 'extends' in value)) entries[name] = { script: [':'] }
    else visible += 1
  }
  for (const base of bases) entries[base] = { script: [':'] }
  if (visible === 0 && Object.keys(entries).length === 0) entries['corpus-placeholder'] = { script: [':'] }
  const count = Object.keys(entries).length
  return count === 0 ? null : { text: `${JSON.stringify(entries)}\n`, count }
}

const SERVER = 'gitlab.example.com'
const EVENTS: { name: string; source: string; ref: string; tag?: boolean; defaultBranch: string }[] = [
  { name: 'push main', source: 'push', ref: 'main', defaultBranch: 'main' },
  { name: 'push master', source: 'push', ref: 'master', defaultBranch: 'master' },
  { name: 'tag v1.0.0', source: 'push', ref: 'v1.0.0', tag: true, defaultBranch: 'main' },
  { name: 'merge request', source: 'merge_request_event', ref: 'feature', defaultBranch: 'main' },
  { name: 'schedule', source: 'schedule', ref: 'main', defaultBranch: 'main' },
  { name: 'web', source: 'web', ref: 'main', defaultBranch: 'main' },
]

export interface CorpusFile {
  file: string
  repository: string
  source: string
}

/**
 * Every file's outcome, compared with `expected` (null: record them). Returns the exit status
 * and the outcomes; the caller (scripts/corpus.mjs) does the file I/O.
 */
export async function runCorpus(files: CorpusFile[], expected: Record<string, Outcome> | null, expectedPath: string): Promise<{ status: number; outcomes: Record<string, Outcome> }> {
  const update = expected === null
  const outcomes: Record<string, Outcome> = {}
  const mismatches: string[] = []
  let times: { file: string; ms: number }[] = []
  for (const { file, repository, source } of files) {
    const started = performance.now()
    outcomes[file] = await outcomeOf(source, repository)
    times.push({ file, ms: performance.now() - started })
    if (!update && JSON.stringify(outcomes[file]) !== JSON.stringify(expected[file])) {
      mismatches.push(`${file}: expected ${JSON.stringify(expected[file])}\n        got ${JSON.stringify(outcomes[file])}`)
    }
  }
  report(files.map(({ file, repository }) => ({ file, repository, outcome: outcomes[file] })))
  times = times.sort((a, b) => b.ms - a.ms).slice(0, 3)
  console.log(`slowest: ${times.map((t) => `${t.file} ${t.ms.toFixed(1)} ms`).join(', ')}`)
  if (mismatches.length > 0) {
    console.log(`\n${mismatches.length} outcome(s) differ from ${expectedPath}:\n  ${mismatches.join('\n  ')}`)
    return { status: 1, outcomes }
  }
  console.log(update ? `expected outcomes written to ${expectedPath}` : 'every outcome matches the expected one')
  return { status: 0, outcomes }
}

function report(rows: { file: string; repository: string; outcome: Outcome }[]): void {
  const large = rows.filter(({ file }) => Number(file.slice(0, 3)) >= 115)
  const accepted = (list: typeof rows) => list.filter(({ outcome }) => outcome.event !== undefined)
  const missing = rows.filter(({ outcome }) => outcome.event !== undefined && (outcome.missingIncludes ?? 0) > 0)
  const blocked = rows.filter(({ outcome }) => outcome.needsIncludedContent)
  const standIns = rows.filter(({ outcome }) => outcome.standIns !== undefined)
  console.log(`corpus: ${accepted(rows).length}/${rows.length} files create a pipeline; large projects ${accepted(large).length}/${large.length}`)
  console.log(`  of which ${missing.length} with included files (not in the corpus) read as empty`)
  console.log(`  of which ${standIns.length} (large projects ${standIns.filter((row) => large.includes(row)).length}) once included files stand in for the bases and scripts the main file expects of them`)
  console.log(`  refused only for want of included content: ${blocked.length} (large projects ${blocked.filter((row) => large.includes(row)).length})`)
  const refused = rows.filter(({ outcome }) => outcome.event === undefined)
  if (refused.length > 0) console.log('refused:')
  for (const { file, repository, outcome } of refused) {
    const noJobs = /^(Pipeline will not run|Pipeline filtered out)/.test(outcome.error ?? '')
    const label = outcome.needsIncludedContent ? ' [needs included content]' : noJobs ? ' [valid; no job for these six events]' : ''
    console.log(`  ${file} (${repository})${label}: ${outcome.error}`)
  }
}

async function outcomeOf(source: string, repository: string): Promise<Outcome> {
  const strict = await outcomeWith(source, repository, '{}\n')
  if (!strict.needsIncludedContent) return strict
  // Again with included files standing in for what the main file expects from them.
  const standIn = standInContent(source)
  if (standIn === null) return strict
  const lenient = await outcomeWith(source, repository, standIn.text)
  if (lenient.event === undefined) return { ...lenient, needsIncludedContent: true }
  return { ...lenient, standIns: standIn.count }
}

async function outcomeWith(source: string, repository: string, stubBody: string): Promise<Outcome> {
  const stubs = stubbedInputs(source)
  let first: ParseResult | undefined
  const missing = new Set<string>()
  for (const event of EVENTS) {
    const project: ProjectHandle = { id: 1, path: repository.toLowerCase(), defaultBranch: event.defaultBranch, visibility: 'public' }
    const variables = variablesFor(project, event)
    const result = await resolveCiConfig(source, {
      variables,
      facts: { source: event.source, ref: event.ref, tag: event.tag === true, projectPath: project.path, modifiedPaths: null },
      sources: corpusSources(source, stubs, missing, componentHost(source), stubBody),
      project,
      sha: SHA,
    })
    first ??= result
    if (result.ok) {
      const jobs = result.pipeline.jobs
      const outcome: Outcome = {
        event: event.name,
        jobs: jobs.length,
        stages: [...new Set(jobs.map((job) => job.stage))],
        manual: jobs.filter((job) => job.when === 'manual').length,
        allowFailure: jobs.filter((job) => job.allowFailure).length,
        dag: jobs.filter((job) => job.needs !== null).length,
      }
      if (missing.size > 0) outcome.missingIncludes = missing.size
      return outcome
    }
    // A config error is the same for every event; only "no jobs" outcomes depend on it.
    if (!isEventDependent(result.errors)) break
  }
  const errors = first!.ok ? [] : first!.errors
  const outcome: Outcome = { error: errors.slice(0, 3).join(' | ') }
  if (missing.size > 0 && errors.every(isMissingContentError)) outcome.needsIncludedContent = true
  return outcome
}

/** Errors an included file's jobs and hidden bases would have prevented. */
function isMissingContentError(error: string): boolean {
  return /unknown keys in `extends`|should contain at least one visible job|config should implement the script:, run:, or trigger: keyword|could not be found$|job: undefined need|job: chosen stage .* does not exist/.test(error)
}

/** One creation of a corpus file for a push to main, included files standing in (the benchmark's unit). */
export async function resolveCorpusFile(source: string, repository: string): Promise<ParseResult> {
  const event = EVENTS[0]
  const project: ProjectHandle = { id: 1, path: repository.toLowerCase(), defaultBranch: event.defaultBranch, visibility: 'public' }
  const body = standInContent(source)?.text ?? '{}\n'
  return resolveCiConfig(source, {
    variables: variablesFor(project, event),
    facts: { source: event.source, ref: event.ref, tag: false, projectPath: project.path, modifiedPaths: null },
    sources: corpusSources(source, stubbedInputs(source), new Set(), componentHost(source), body),
    project,
    sha: SHA,
  })
}

function isEventDependent(errors: string[]): boolean {
  return errors.every((error) => error.startsWith('Pipeline filtered out') || error.startsWith('Pipeline will not run') || error.includes('No stages / jobs'))
    || errors.some((error) => error.includes("does not exist in the pipeline"))
}

const SHA = 'c0ffee0000000000000000000000000000000001'

function variablesFor(project: ProjectHandle, event: (typeof EVENTS)[number]): Record<string, string> {
  const row = {
    id: 1, path: project.path.split('/').pop()!, name: project.path.split('/').pop()!, full_path: project.path,
    namespace_path: project.path.split('/').slice(0, -1).join('/'), visibility: 'public', default_branch: event.defaultBranch,
    ci_config_path: null,
  } as unknown as ProjectRow
  const variables: Record<string, string> = {}
  for (const variable of pipelineVariables({ project: row, externalUrl: `https://${SERVER}`, ref: event.ref, tag: event.tag === true, sha: SHA, source: event.source })) {
    variables[variable.key] = variable.value
  }
  variables.CI_SERVER_FQDN = SERVER
  if (event.source === 'merge_request_event') {
    delete variables.CI_COMMIT_BRANCH
    variables.CI_MERGE_REQUEST_ID = '1'
    variables.CI_MERGE_REQUEST_IID = '1'
    variables.CI_MERGE_REQUEST_SOURCE_BRANCH_NAME = event.ref
    variables.CI_MERGE_REQUEST_TARGET_BRANCH_NAME = event.defaultBranch
    variables.CI_OPEN_MERGE_REQUESTS = `${project.path}!1`
  }
  return variables
}

/**
 * The corpus holds each project's `.gitlab-ci.yml` only: every other file (local, project,
 * remote, template and component includes) is another file of that repository or another
 * repository's, so it reads as an empty hash, with a `spec:inputs` header accepting the inputs
 * the including file passes. Each such file is counted.
 */
function corpusSources(main: string, stubs: Map<string, string[]>, missing: Set<string>, host: string, body: string): ConfigSources {
  const stub = (key: string) => {
    missing.add(key)
    const inputs = stubs.get(key) ?? []
    if (inputs.length === 0) return body
    return `spec:\n  inputs:\n${inputs.map((name) => `    ${JSON.stringify(name)}: { default: "" , type: ${'string'} }\n`).join('')}---\n${body}`
  }
  const repository: CiRepository = {
    resolveRef: async () => SHA,
    readFileAt: async (_project, _sha, path) => (path === '.gitlab-ci.yml' ? main : stub(path)),
    listFiles: async () => ['.gitlab-ci.yml'],
    changedPaths: async () => null,
    mergeBase: async () => SHA,
    blobIdAt: async () => null,
  }
  return {
    repository,
    findProject: async (path) => ({ id: 2, path, defaultBranch: 'main', visibility: 'public' }),
    fetchRemote: async (url) => ({ ok: true, body: stub(url) }),
    templateBaseUrl: 'https://templates.invalid',
    serverHost: host,
  }
}

/** Components live on the project's own instance (gitlab.gnome.org, ...): serve as that host. */
function componentHost(source: string): string {
  const found = /component:\s*["']?(?:\$CI_SERVER_FQDN|\$\{CI_SERVER_FQDN\}|([\w.-]+))\//.exec(source)
  return found?.[1] ?? SERVER
}

/** Include targets (local path, project file, URL, component template path) and the input names passed to them. */
function stubbedInputs(source: string): Map<string, string[]> {
  const stubs = new Map<string, string[]>()
  const loaded = loadCiYaml(source)
  if (!loaded.ok) return stubs
  const include = loaded.config.include
  for (const item of Array.isArray(include) ? include : [include]) {
    if (!isHash(item)) continue
    const inputs = isHash(item.inputs) ? item.inputs : isHash(item.with) ? item.with : null
    if (!inputs) continue
    const names = Object.keys(inputs as Config)
    for (const key of ['local', 'remote', 'file']) if (typeof item[key] === 'string') stubs.set(String(item[key]).replace(/^\/+/, ''), names)
    if (typeof item.component === 'string') {
      const name = item.component.replace(/@[^@]*$/, '').split('/').pop()
      stubs.set(`templates/${name}.yml`, names)
      stubs.set(`templates/${name}/template.yml`, names)
    }
  }
  return stubs
}
