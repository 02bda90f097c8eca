import type { Need, Variable } from '../types'
import type { JobSpec } from './job'
import { matrixCombinations, matrixName, type ParallelSpec } from './parallel-entry'

/**
 * Parallel jobs expanded once every entry is valid (GitLab's Normalizer): `job 1/3`… or
 * `job: [a, b]`…, with CI_NODE_INDEX/CI_NODE_TOTAL and the matrix values as job variables;
 * `needs`/`dependencies` on such a job name every instance, or the ones a
 * `needs:parallel:matrix` selects. Sources: gitlabhq
 * lib/gitlab/ci/config/normalizer{,/matrix_strategy,/number_strategy}.rb.
 */

interface Instance {
  name: string
  combination?: Record<string, string>
}

/** The jobs with parallel ones replaced by their instances, needs and dependencies rewritten. */
export function expandParallel(jobs: JobSpec[]): JobSpec[] {
  const instances = new Map<string, Instance[]>()
  for (const job of jobs) if (job.parallel) instances.set(job.name, instancesOf(job.name, job.parallel))
  if (instances.size === 0) return jobs
  const expanded: JobSpec[] = []
  for (const job of jobs) {
    const rewritten = rewriteLinks(job, instances)
    const list = instances.get(job.name)
    if (!list) {
      expanded.push(rewritten)
      continue
    }
    list.forEach((instance, index) => {
      const own = instance.combination ? rewriteLinks(withMatrixNeeds(job, instance.combination), instances) : rewritten
      const variables: Variable[] = [
        ...rewritten.variables.filter((variable) => !(instance.combination && Object.hasOwn(instance.combination, variable.key))),
        ...Object.entries(instance.combination ?? {}).map(([key, value]) => ({ key, value })),
        { key: 'CI_NODE_INDEX', value: String(index + 1) },
        { key: 'CI_NODE_TOTAL', value: String(list.length) },
      ]
      expanded.push({ ...own, name: instance.name, variables, options: { ...own.options, instance: index + 1 } })
    })
  }
  return expanded
}

/** `$[[ matrix.VAR ]]` in a matrix job's needs takes the instance's value (newer GitLab). */
function withMatrixNeeds(job: JobSpec, combination: Record<string, string>): JobSpec {
  if (!job.needs) return job
  const fill = (text: string) => text.replace(/\$\[\[\s*matrix\.(\w+)\s*\]\]/g, (whole, name: string) => combination[name] ?? whole)
  const needs = job.needs.map((need) => ({
    ...need,
    name: fill(need.name),
    ...(need.matrix ? { matrix: need.matrix.map((item) => Object.fromEntries(Object.entries(item).map(([key, values]) => [key, values.map(fill)]))) } : {}),
  }))
  return { ...job, needs }
}

function instancesOf(name: string, parallel: ParallelSpec): Instance[] {
  if ('total' in parallel) return Array.from({ length: parallel.total }, (_, index) => ({ name: `${name} ${index + 1}/${parallel.total}` }))
  return matrixCombinations(parallel.matrix).map((combination) => ({ name: matrixName(name, combination), combination }))
}

function rewriteLinks(job: JobSpec, instances: Map<string, Instance[]>): JobSpec {
  const copy: JobSpec = { ...job }
  if (job.needs) copy.needs = job.needs.flatMap((need) => expandNeed(need, instances))
  if (job.dependencies) {
    copy.dependencies = job.dependencies.flatMap((name) => instances.get(name)?.map((instance) => instance.name) ?? [name])
    copy.options = { ...copy.options, dependencies: copy.dependencies }
  }
  if (job.rules) copy.rules = job.rules.map((rule) => (rule.needs ? { ...rule, needs: rule.needs.flatMap((need) => expandNeed(need, instances)) } : rule))
  return copy
}

function expandNeed(need: Need, instances: Map<string, Instance[]>): Need[] {
  const list = instances.get(need.name)
  const { matrix, ...plain } = need
  if (!list) {
    if (!matrix) return [plain]
    return matrixCombinations(matrix).map((combination) => ({ ...plain, name: matrixName(need.name, combination) }))
  }
  if (!matrix) return list.map((instance) => ({ ...plain, name: instance.name }))
  return matrixCombinations(matrix).map((combination) => ({ ...plain, name: matrixName(need.name, combination) }))
}
