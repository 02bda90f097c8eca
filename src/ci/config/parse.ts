import { resolveExtends } from './extends'
import { validateGraph } from './graph'
import { readJob, type JobSpec } from './job'
import { isHash } from './keywords'
import { loadCiYaml } from './load'
import { readRoot, type RootSpec } from './root'
import { seedPipeline, type ParseResult } from './seed'

export { MAX_CI_CONFIG_BYTES } from './load'
export { parseDuration } from './duration'
export type { ParseResult } from './seed'

/**
 * A `.gitlab-ci.yml` to the pipeline it creates, in GitLab's order: load the YAML, apply
 * `extends`, validate every entry (all errors at once), run the logical checks (first error only),
 * then evaluate `workflow:rules` and job `rules` against `context.variables`.
 * Any error means no pipeline; callers answer 400 with the errors.
 * Source: gitlabhq lib/gitlab/ci/yaml_processor.rb and lib/gitlab/ci/config.rb.
 */
export function parseCiConfig(source: string, context: { variables: Record<string, string> }): ParseResult {
  const loaded = loadCiYaml(source)
  if (!loaded.ok) return loaded
  const extended = resolveExtends(loaded.config)
  if (!extended.ok) return { ok: false, errors: [extended.error] }
  const errors: string[] = []
  const root = readRoot(extended.config, errors)
  const jobs = readJobs(root, errors)
  if (errors.length > 0) return { ok: false, errors: [...new Set(errors)] }
  const graphError = validateGraph(root.stages, jobs)
  if (graphError) return { ok: false, errors: [graphError] }
  const { stages, variables, workflowRules } = root
  return seedPipeline({ stages, variables, workflowRules, jobs, context: context.variables })
}

/** Visible jobs in config order; hidden ones (".name") only serve as `extends` bases and anchors. */
function readJobs(root: RootSpec, errors: string[]): JobSpec[] {
  const jobs: JobSpec[] = []
  let visible = 0
  for (const [name, value] of root.jobs) {
    if (name.startsWith('.')) continue
    if (isHash(value) && ('script' in value || 'run' in value || 'trigger' in value)) visible += 1
    const job = readJob(name, value, root.defaults, errors)
    if (job) jobs.push(job)
  }
  if (visible === 0) errors.push('jobs config should contain at least one visible job')
  return jobs
}
