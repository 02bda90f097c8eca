import { onStopError } from './environment'
import type { JobSpec } from './job'

/**
 * The checks GitLab runs once every entry is valid ("logical validations"): stages exist, needs
 * and dependencies point backwards, and needs have no cycle. Like GitLab, the first failure is the
 * only error. Sources: gitlabhq lib/gitlab/ci/yaml_processor.rb, lib/gitlab/ci/yaml_processor/dag.rb.
 */

export function validateGraph(stages: readonly string[], jobs: readonly JobSpec[]): string | undefined {
  const byName = new Map(jobs.map((job) => [job.name, job]))
  for (const job of jobs) {
    const error =
      stageError(job, stages) ?? dependenciesError(job, byName, stages) ?? needsError(job, byName, stages) ?? onStopError(job.name, job.environment, (name) => byName.get(name))
    if (error) return error
  }
  return circularDependencies(jobs)
}

function stageError(job: JobSpec, stages: readonly string[]): string | undefined {
  if (stages.includes(job.stage)) return undefined
  return `${job.name} job: chosen stage ${job.stage} does not exist; available stages are ${stages.join(', ')}`
}

function dependenciesError(job: JobSpec, byName: Map<string, JobSpec>, stages: readonly string[]): string | undefined {
  for (const dependency of job.dependencies ?? []) {
    const error = referenceError(job, dependency, 'dependency', false, byName, stages)
    if (error) return error
  }
}

function needsError(job: JobSpec, byName: Map<string, JobSpec>, stages: readonly string[]): string | undefined {
  for (const need of job.needs ?? []) {
    const error = referenceError(job, need.name, 'need', need.optional, byName, stages)
    if (error) return error
  }
  const names = (job.needs ?? []).map((need) => need.name)
  const duplicated = [...new Set(names.filter((name, index) => names.indexOf(name) !== index))]
  if (duplicated.length > 0) return `${job.name} has the following needs duplicated: ${duplicated.join(', ')}.`
}

/** A need or dependency must name a job in the same or an earlier stage; optional needs may name none. */
function referenceError(
  job: JobSpec,
  name: string,
  type: 'need' | 'dependency',
  optional: boolean,
  byName: Map<string, JobSpec>,
  stages: readonly string[],
): string | undefined {
  const target = byName.get(name)
  if (!target) return optional ? undefined : `${job.name} job: undefined ${type}: ${name}`
  if (stages.indexOf(target.stage) <= stages.indexOf(job.stage)) return undefined
  return `${job.name} job: ${type} ${name} is not defined in current or prior stages`
}

/**
 * Ruby's TSort over the needs graph (Tarjan): a job needing itself fails as soon as it is reached,
 * otherwise the first strongly connected component of more than one job, in visiting order.
 */
function circularDependencies(jobs: readonly JobSpec[]): string | undefined {
  const children = new Map(jobs.map((job) => [job.name, (job.needs ?? []).map((need) => need.name)]))
  const state: TarjanState = { counter: 0, index: new Map(), low: new Map(), stack: [], onStack: new Set() }
  for (const root of children.keys()) {
    if (state.index.has(root)) continue
    const error = connect(root, children, state)
    if (error) return `The pipeline has circular dependencies: ${error}`
  }
}

interface TarjanState {
  counter: number
  index: Map<string, number>
  low: Map<string, number>
  stack: string[]
  onStack: Set<string>
}

function connect(root: string, children: Map<string, string[]>, state: TarjanState): string | undefined {
  const frames: { node: string; next: number }[] = []
  const enter = (node: string) => {
    state.index.set(node, state.counter)
    state.low.set(node, state.counter++)
    state.stack.push(node)
    state.onStack.add(node)
    frames.push({ node, next: 0 })
  }
  enter(root)
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]
    const next = children.get(frame.node) ?? []
    if (frame.next === 0 && next.includes(frame.node)) return `self-dependency: ${frame.node}`
    if (frame.next < next.length) {
      const child = next[frame.next++]
      if (!children.has(child)) continue
      if (!state.index.has(child)) enter(child)
      else if (state.onStack.has(child)) state.low.set(frame.node, Math.min(state.low.get(frame.node)!, state.index.get(child)!))
      continue
    }
    frames.pop()
    const parent = frames[frames.length - 1]
    if (parent) state.low.set(parent.node, Math.min(state.low.get(parent.node)!, state.low.get(frame.node)!))
    if (state.low.get(frame.node) !== state.index.get(frame.node)) continue
    const component = state.stack.splice(state.stack.lastIndexOf(frame.node))
    for (const name of component) state.onStack.delete(name)
    if (component.length > 1) return `topological sort failed: [${component.map((name) => JSON.stringify(name)).join(', ')}]`
  }
}
