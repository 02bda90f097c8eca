import { openList, sealList } from '../auth/secret-box'
import type { Variable } from '../ci/types'
import type { Env } from '../env'

/**
 * The one reader and writer of a pipeline's variables (GitLab's ci_pipeline_variables: those
 * given to `POST /projects/:id/pipeline`, by a trigger, as push options, forwarded downstream),
 * stored encrypted in `pipelines.variables`. Rows written before encryption (plain JSON) still read.
 */
export async function readPipelineVariables(env: Env, pipeline: { variables: string }): Promise<Variable[]> {
  const items = await openList<Variable>(env, pipeline.variables)
  return items.filter((item) => item && typeof item.key === 'string')
}

export function sealPipelineVariables(env: Env, variables: readonly Variable[]): Promise<string> {
  return sealList(env, variables)
}
