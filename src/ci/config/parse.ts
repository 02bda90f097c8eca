import { expandExisting } from './expand-variables'
import { resolveExtends } from './extends'
import { factsFromVariables, type PipelineFacts } from './facts'
import { validateGraph } from './graph'
import { expandIncludes, IncludeError, newIncludeState, type IncludeContext, type IncludeRecord } from './include'
import { interpolate, InputsError } from './inputs'
import { readJob, type JobSpec } from './job'
import { expandParallel } from './parallel'
import { isHash, type Config } from './keywords'
import { loadCiYaml } from './load'
import { ReferenceError, resolveReferences } from './reference'
import { existsKey, type ClauseData } from './rule-clauses'
import { readRoot, type RootSpec } from './root'
import { seedPipeline, type ParseResult } from './seed'
import type { ConfigSources, ProjectHandle } from './sources'

export { MAX_CI_CONFIG_BYTES } from './load'
export { parseDuration } from './duration'
export type { ParseResult } from './seed'
export type { IncludeRecord } from './include'

/**
 * A `.gitlab-ci.yml` to the pipeline it creates, in GitLab's order (Gitlab::Ci::Config#build_config
 * and YamlProcessor): load the YAML (a `spec:` header and the content), interpolate inputs, expand
 * includes, apply `extends`, resolve `!reference` tags, validate every entry (all errors at once),
 * expand `parallel`, run the logical checks (first error only), then seed: `workflow:rules`, and
 * per job `rules` or `only`/`except`. Any error means no pipeline; callers answer 400.
 */

export interface ConfigContext {
  /** predefined, project and pipeline variables */
  variables: Record<string, string>
  /** what the pipeline is for; derived from the variables where not given */
  facts?: Partial<PipelineFacts>
  /** inputs for the file's own `spec:inputs` (pipeline creation's `inputs`) */
  inputs?: Config
}

export interface ResolveContext extends ConfigContext {
  sources: ConfigSources
  project: ProjectHandle
  sha: string
}

/** Without repository access: a config with `include:` is refused (use resolveCiConfig). */
export function parseCiConfig(source: string, context: ConfigContext): ParseResult {
  const loaded = loadContent(source, context)
  if (!loaded.ok) return loaded
  if (loaded.config.include != null) return { ok: false, errors: ['include: needs the repository (resolveCiConfig)'] }
  return buildPipeline(loaded.config, context.variables, factsFromVariables(context.variables, context.facts))
}

/** The whole creation-time path, reading includes and repository files through `context.sources`. */
export async function resolveCiConfig(source: string, context: ResolveContext): Promise<ParseResult> {
  const loaded = loadContent(source, context)
  if (!loaded.ok) return loaded
  const facts = factsFromVariables(context.variables, context.facts)
  let config = loaded.config
  const includeContext: IncludeContext = {
    sources: context.sources, project: context.project, sha: context.sha, variables: context.variables, facts,
  }
  try {
    config = await expandIncludes(config, includeContext)
  } catch (error) {
    if (error instanceof IncludeError) return { ok: false, errors: [error.message] }
    throw error
  }
  if (context.facts?.files === undefined && usesExists(config)) {
    facts.files = await context.sources.repository.listFiles(context.project, context.sha)
  }
  const clauseData = await prefetchClauseData(config, context)
  return buildPipeline(config, context.variables, facts, clauseData)
}

/**
 * The repository answers `rules:changes:compare_to` and `rules:exists:project` need, fetched
 * before the synchronous seeding: the diff since the merge base of each ref, the files of each
 * other project (as the user may read it).
 */
async function prefetchClauseData(config: Config, context: ResolveContext): Promise<ClauseData> {
  const data: ClauseData = { compareDiffs: new Map(), projectFiles: new Map() }
  const { repository } = context.sources
  const walk = async (value: unknown): Promise<void> => {
    if (Array.isArray(value)) {
      for (const item of value) await walk(item)
      return
    }
    if (!isHash(value)) return
    const changes = value.changes
    if (isHash(changes) && typeof changes.compare_to === 'string') {
      const ref = expandExisting(changes.compare_to, context.variables)
      if (!data.compareDiffs.has(ref)) {
        const base = await repository.resolveRef(context.project, ref)
        const mergeBase = base ? await repository.mergeBase(context.project, base, context.sha) : null
        data.compareDiffs.set(ref, mergeBase ? await repository.changedPaths(context.project, mergeBase, context.sha) : null)
      }
    }
    const exists = value.exists
    if (isHash(exists) && typeof exists.project === 'string') {
      const project = expandExisting(exists.project, context.variables)
      const ref = typeof exists.ref === 'string' ? expandExisting(exists.ref, context.variables) : undefined
      const key = existsKey(project, ref)
      if (!data.projectFiles.has(key)) data.projectFiles.set(key, await projectFiles(context, project, ref))
    }
    for (const child of Object.values(value)) await walk(child)
  }
  await walk(config)
  return data
}

async function projectFiles(context: ResolveContext, path: string, ref: string | undefined): Promise<string[] | string> {
  const project = await context.sources.findProject(path)
  if (!project) return `rules:exists:project \`${path}\` not found or access denied`
  const sha = await context.sources.repository.resolveRef(project, ref ?? 'HEAD')
  if (!sha) return `rules:exists:ref \`${ref}\` is not a valid ref in project \`${path}\``
  return context.sources.repository.listFiles(project, sha)
}

function loadContent(source: string, context: ConfigContext): { ok: true; config: Config } | { ok: false; errors: string[] } {
  const loaded = loadCiYaml(source)
  if (!loaded.ok) return loaded
  try {
    return { ok: true, config: interpolate(loaded.header, loaded.config, context.inputs, context.variables) }
  } catch (error) {
    if (error instanceof InputsError) return { ok: false, errors: [error.message] }
    throw error
  }
}

/** Whether any `rules:` (or include rule) uses `exists:`, so the commit's file list is needed. */
function usesExists(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(usesExists)
  if (!isHash(value)) return false
  return Object.entries(value).some(([key, child]) => (key === 'exists' && child != null) || usesExists(child))
}

function buildPipeline(merged: Config, variables: Record<string, string>, facts: PipelineFacts, clauseData?: ClauseData): ParseResult {
  const checked = checkStatic(merged)
  if (!checked.ok) return checked
  const { stages, workflowRules, workflowAutoCancel } = checked.root
  return seedPipeline({ stages, variables: checked.root.variables, workflowRules, workflowAutoCancel, jobs: checked.jobs, context: variables, facts, clauseData })
}

/** A failure after `extends` and `!reference` still has the config (a ConfigError before them has none). */
type StaticResult = { ok: true; config: Config; root: RootSpec; jobs: JobSpec[] } | { ok: false; errors: string[]; config?: Config; root?: RootSpec }

/** Everything before seeding (YamlProcessor's static part): extends, references, entries, parallel, the graph. */
function checkStatic(merged: Config): StaticResult {
  const extended = resolveExtends(merged)
  if (!extended.ok) return { ok: false, errors: [extended.error] }
  let config: Config
  try {
    config = resolveReferences(extended.config)
  } catch (error) {
    if (error instanceof ReferenceError) return { ok: false, errors: [error.message] }
    throw error
  }
  const errors: string[] = []
  const root = readRoot(config, errors)
  const read = readJobs(root, errors)
  if (errors.length > 0) return { ok: false, errors: [...new Set(errors)], config, root }
  const jobs = expandParallel(read)
  const graphError = validateGraph(root.stages, jobs)
  if (graphError) return { ok: false, errors: [graphError], config, root }
  return { ok: true, config, root, jobs }
}

/** What CI Lint's static check shows (Gitlab::Ci::Lint#legacy_static_validation). */
export interface LintResult {
  errors: string[]
  /** the config after includes, `extends` and `!reference`, with `.pre`/`.post` in `stages` (merged_yaml); null when none was built */
  merged: Config | null
  /** null when no config was built (a YAML, include, `extends` or `!reference` error) */
  includes: IncludeRecord[] | null
  /** the stages (`.pre` and `.post` included) and every job (rules are not evaluated) */
  stages: string[]
  jobs: JobSpec[]
}

/** The static check of a config: every error GitLab's YamlProcessor finds, without seeding a pipeline. */
export async function lintCiConfig(source: string | null, context: ResolveContext): Promise<LintResult> {
  const state = newIncludeState()
  const fail = (errors: string[]): LintResult => ({ errors, merged: null, includes: null, stages: [], jobs: [] })
  const loaded = loadContent(source ?? '', context)
  if (!loaded.ok) return fail(loaded.errors)
  const facts = factsFromVariables(context.variables, context.facts)
  let config: Config
  try {
    config = await expandIncludes(loaded.config, { sources: context.sources, project: context.project, sha: context.sha, variables: context.variables, facts }, state)
  } catch (error) {
    if (error instanceof IncludeError) return fail([error.message])
    throw error
  }
  const checked = checkStatic(config)
  if (!checked.ok && !checked.config) return fail(checked.errors)
  // Config::EdgeStagesInjector: a written `stages:` gets `.pre` first and `.post` last.
  const built = checked.config!
  const merged = 'stages' in built && checked.root ? { ...built, stages: checked.root.stages } : built
  if (!checked.ok) return { errors: checked.errors, merged, includes: state.includes, stages: [], jobs: [] }
  return { errors: [], merged, includes: state.includes, stages: checked.root.stages, jobs: checked.jobs }
}

/** Visible jobs in config order; hidden ones (".name") only serve as `extends` bases and anchors. */
function readJobs(root: RootSpec, errors: string[]): JobSpec[] {
  const jobs: JobSpec[] = []
  let visible = 0
  for (const [name, value] of root.jobs) {
    if (name.startsWith('.')) continue
    if (isHash(value) && ('script' in value || 'run' in value || 'trigger' in value)) visible += 1
    const job = readJob(name, value, { defaults: root.defaults, workflowRules: root.workflowRules !== undefined }, errors)
    if (job) jobs.push(job)
  }
  if (visible === 0) errors.push('jobs config should contain at least one visible job')
  return jobs
}
