import type { Variable } from '../ci/types'

/**
 * Entities::Ci::Variable of a pipeline variable (Ci::PipelineVariable): the entity exposes only
 * what the record responds to, which for a pipeline variable is variable_type, key, value and raw.
 */
export function variable(item: Variable) {
  return { variable_type: item.variable_type ?? 'env_var', key: item.key, value: item.value, raw: item.raw ?? false }
}
