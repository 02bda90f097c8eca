import * as v from 'valibot'
import { loadProject } from '../auth/access'
import { authorize } from '../auth/policy'
import { open, seal } from '../auth/secret-box'
import { addError, environmentScopeErrors, variableErrors, type FieldErrors, type VariableValues } from '../ci/variable-rules'
import {
  deleteProjectVariableStatement, insertProjectVariableStatement, projectVariableListStatements, projectVariablesByKeyStatement,
  updateProjectVariableStatement, variableAttributes, type ProjectVariableAttributes, type ProjectVariableRow,
} from '../db/ci-variables'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Bool, OneOf, Str } from '../http/param-types'
import { validate } from '../http/params'
import { json } from '../http/response'
import { projectVariable } from '../present/variable'
import type { ApiContext } from './context'

/**
 * GitLab's project-level CI/CD variables API (lib/api/ci/variables.rb, Ci::ChangeVariableService,
 * API::Helpers::VariablesHelpers#find_variable): maintainers only (admin_cicd_variables), values
 * encrypted at rest and decrypted for the answer, a hidden variable's value never shown.
 */

/** Values up to 1 MiB: GitLab sets no limit, a D1 row holds 2 MB (the encrypted value is base64). */
const VALUE_LIMIT = 1024 * 1024

const Filter = v.optional(v.looseObject({ environment_scope: v.optional(Str) }, 'is invalid'))
const VariableType = OneOf(['env_var', 'file'] as const)

export async function listProjectVariables(c: ApiContext): Promise<Response> {
  const raw = await c.params()
  const params = validate(v.looseObject({ id: Str }), raw)
  const page = parseOffsetPage(raw)
  const ctx = await loadProject<[ProjectVariableRow, { n: number }]>(c, params.id, (project) =>
    projectVariableListStatements(c.env.DB, project, page.perPage + 1, page.offset),
  )
  authorize(ctx.access, 'admin_cicd_variables')
  const rows = ctx.results[0].results
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.length > page.perPage, total: ctx.results[1].results[0]?.n ?? 0 })
  return json(await Promise.all(rows.slice(0, page.perPage).map((row) => present(c, row))), { headers })
}

const KeyParams = v.looseObject({ id: Str, key: Str, filter: Filter })

/** The variable `key` names (with `filter[environment_scope]`), loaded with the project. */
async function findVariable(c: ApiContext, params: { id: string; key: string; filter?: { environment_scope?: string } }) {
  const ctx = await loadProject<[ProjectVariableRow]>(c, params.id, (project) => [
    projectVariablesByKeyStatement(c.env.DB, project, params.key, params.filter?.environment_scope),
  ])
  authorize(ctx.access, 'admin_cicd_variables')
  const rows = ctx.results[0].results
  if (rows.length > 1) throw ApiError.conflict("There are multiple variables with provided parameters. Please use 'filter[environment_scope]'")
  if (rows.length === 0) throw ApiError.notFound('Variable')
  return { ctx, row: rows[0] }
}

export async function showProjectVariable(c: ApiContext): Promise<Response> {
  const params = await c.valid(KeyParams)
  const { row } = await findVariable(c, params)
  return json(await present(c, row))
}

const CreateParams = v.looseObject({
  id: Str,
  key: Str,
  value: Str,
  protected: v.optional(Bool),
  masked: v.optional(Bool),
  masked_and_hidden: v.optional(Bool),
  raw: v.optional(Bool),
  variable_type: v.optional(VariableType),
  environment_scope: v.optional(Str),
  description: v.optional(Str),
})

/** POST /projects/:id/variables → 201; Ci::Variable's validations as render_validation_error!. */
export async function createProjectVariable(c: ApiContext): Promise<Response> {
  // Grape's `before { authenticate!; authorize! }` run before the params are validated.
  const raw = await c.params()
  const ctx = await loadProject(c, String(raw.id))
  authorize(ctx.access, 'admin_cicd_variables')
  const params = validate(CreateParams, raw)
  const hidden = params.masked_and_hidden === true
  const values = {
    key: params.key.trim(),
    value: params.value,
    variable_type: params.variable_type ?? 'env_var',
    protected: params.protected ?? false,
    masked: hidden || (params.masked ?? false),
    hidden,
    raw: params.raw ?? false,
    environment_scope: (params.environment_scope ?? '*').trim(),
    description: params.description ?? null,
  }
  check(values)
  const row = await insertProjectVariableStatement(c.env.DB, ctx.project.id, await attributes(c, values), c.now).first<ProjectVariableRow>()
  if (!row) throw ApiError.fieldErrors({ key: [`(${values.key}) has already been taken`] })
  return json(projectVariable(row, values.value), { status: 201 })
}

const UpdateParams = v.looseObject({
  id: Str,
  key: Str,
  value: v.optional(Str),
  protected: v.optional(Bool),
  masked: v.optional(Bool),
  raw: v.optional(Bool),
  variable_type: v.optional(VariableType),
  environment_scope: v.optional(Str),
  description: v.optional(Str),
  filter: Filter,
})

/** PUT /projects/:id/variables/:key → 200 (the key itself cannot change). */
export async function updateProjectVariable(c: ApiContext): Promise<Response> {
  const { row } = await findVariable(c, await c.valid(KeyParams))
  const params = await c.valid(UpdateParams)
  const current = await open(c.env, row.value)
  const values = {
    key: row.key,
    value: params.value ?? current,
    variable_type: params.variable_type ?? row.variable_type,
    protected: params.protected ?? row.protected === 1,
    masked: params.masked ?? row.masked === 1,
    hidden: row.hidden === 1,
    raw: params.raw ?? row.raw === 1,
    environment_scope: params.environment_scope === undefined ? row.environment_scope : params.environment_scope.trim(),
    description: params.description === undefined ? row.description : params.description,
  }
  // Ci::HidableVariable#validate_masked_and_hidden_on_update
  const base: FieldErrors = values.hidden && values.masked !== (row.masked === 1) ? { base: ['The visibility setting cannot be changed for masked and hidden variables.'] } : {}
  check(values, base)
  const updated = await updateProjectVariableStatement(c.env.DB, row, await attributes(c, values), c.now).first<ProjectVariableRow>()
  if (!updated) throw ApiError.fieldErrors({ key: [`(${row.key}) has already been taken`] })
  return json(projectVariable(updated, values.value))
}

export async function deleteProjectVariable(c: ApiContext): Promise<Response> {
  const params = await c.valid(KeyParams)
  const { row } = await findVariable(c, params)
  await deleteProjectVariableStatement(c.env.DB, row.id).run()
  return new Response(null, { status: 204 })
}

interface ProjectVariableValues extends VariableValues {
  hidden: boolean
  environment_scope: string
}

function check(values: ProjectVariableValues, initial: FieldErrors = {}): void {
  const errors: FieldErrors = { ...variableErrors(values) }
  if (values.value.length > VALUE_LIMIT) addError(errors, 'value', `is too long (maximum is ${VALUE_LIMIT} characters)`)
  environmentScopeErrors(values.environment_scope, errors)
  Object.assign(errors, initial)
  if (Object.keys(errors).length > 0) throw ApiError.fieldErrors(errors)
}

async function attributes(c: ApiContext, values: ProjectVariableValues): Promise<ProjectVariableAttributes> {
  return {
    ...variableAttributes(values, await seal(c.env, values.value)),
    key: values.key,
    hidden: values.hidden ? 1 : 0,
    environment_scope: values.environment_scope,
  }
}

async function present(c: ApiContext, row: ProjectVariableRow) {
  // A hidden value is not even decrypted.
  return projectVariable(row, row.hidden === 1 ? '' : await open(c.env, row.value))
}
