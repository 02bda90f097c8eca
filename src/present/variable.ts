import type { Variable } from '../ci/types'
import type { InstanceVariableRow, ProjectVariableRow } from '../db/ci-variables'

/**
 * GitLab's Entities::Ci::Variable. `value` is the decrypted value, given by the caller; a hidden
 * variable's value is never shown (null). `hidden` and `environment_scope` belong to project
 * (and group) variables only.
 */
export function projectVariable(row: ProjectVariableRow, value: string) {
  return {
    variable_type: row.variable_type,
    key: row.key,
    value: row.hidden === 1 ? null : value,
    protected: row.protected === 1,
    masked: row.masked === 1,
    hidden: row.hidden === 1,
    raw: row.raw === 1,
    environment_scope: row.environment_scope,
    description: row.description,
  }
}

export function instanceVariable(row: InstanceVariableRow, value: string) {
  return {
    key: row.key,
    description: row.description,
    variable_type: row.variable_type,
    value,
    protected: row.protected === 1,
    masked: row.masked === 1,
    raw: row.raw === 1,
  }
}

/**
 * Entities::Ci::Variable of a pipeline variable (Ci::PipelineVariable): the entity exposes only
 * what the record responds to, which for a pipeline variable is variable_type, key, value and raw.
 */
export function variable(item: Variable) {
  return { variable_type: item.variable_type ?? 'env_var', key: item.key, value: item.value, raw: item.raw ?? false }
}
