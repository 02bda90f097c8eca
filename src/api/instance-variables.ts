import * as v from 'valibot'
import { authenticate } from '../auth/access'
import { authorizeAdmin } from '../auth/policy'
import { open, seal } from '../auth/secret-box'
import { addError, INSTANCE_VALUE_LIMIT, variableErrors, type FieldErrors, type VariableValues } from '../ci/variable-rules'
import {
  deleteInstanceVariableStatement, insertInstanceVariableStatement, instanceVariableListStatements, instanceVariableStatement,
  updateInstanceVariableStatement, variableAttributes, type InstanceVariableRow, type VariableAttributes,
} from '../db/ci-variables'
import { ApiError } from '../http/errors'
import { offsetHeaders, parseOffsetPage } from '../http/pagination'
import { Bool, OneOf, Str } from '../http/param-types'
import { json } from '../http/response'
import { instanceVariable } from '../present/variable'
import type { ApiContext } from './context'

/**
 * GitLab's instance-level CI/CD variables API (lib/api/admin/ci/variables.rb, Ci::InstanceVariable):
 * administrators only (authenticated_as_admin!), no environment scope, values up to 10,000
 * characters, encrypted at rest.
 */
const VariableType = OneOf(['env_var', 'file'] as const)

async function asAdmin(c: ApiContext): Promise<void> {
  authorizeAdmin(await authenticate(c))
}

export async function listInstanceVariables(c: ApiContext): Promise<Response> {
  await asAdmin(c)
  const page = parseOffsetPage(await c.params())
  const [rows, count] = await c.env.DB.batch<InstanceVariableRow & { n: number }>(instanceVariableListStatements(c.env.DB, page.perPage + 1, page.offset))
  const headers = offsetHeaders(c.request.url, c.externalUrl, page, { hasNext: rows.results.length > page.perPage, total: count.results[0]?.n ?? 0 })
  const page_ = rows.results.slice(0, page.perPage)
  return json(await Promise.all(page_.map(async (row) => instanceVariable(row, await open(c.env, row.value)))), { headers })
}

const KeyParams = v.looseObject({ key: Str })

async function findVariable(c: ApiContext, key: string): Promise<InstanceVariableRow> {
  const row = await instanceVariableStatement(c.env.DB, key).first<InstanceVariableRow>()
  if (!row) throw ApiError.notFound('InstanceVariable')
  return row
}

export async function showInstanceVariable(c: ApiContext): Promise<Response> {
  await asAdmin(c)
  const params = await c.valid(KeyParams)
  const row = await findVariable(c, params.key)
  return json(instanceVariable(row, await open(c.env, row.value)))
}

/** The optional settings both POST and PUT take (Grape's `optional` params, in GitLab's order). */
const SettingParams = {
  protected: v.optional(Bool),
  masked: v.optional(Bool),
  raw: v.optional(Bool),
  variable_type: v.optional(VariableType),
  description: v.optional(Str),
}

const CreateParams = v.looseObject({ key: Str, value: Str, ...SettingParams })

export async function createInstanceVariable(c: ApiContext): Promise<Response> {
  await asAdmin(c)
  const params = await c.valid(CreateParams)
  const values: VariableValues = {
    key: params.key.trim(),
    value: params.value,
    variable_type: params.variable_type ?? 'env_var',
    protected: params.protected ?? false,
    masked: params.masked ?? false,
    raw: params.raw ?? false,
    description: params.description ?? null,
  }
  check(values)
  const row = await insertInstanceVariableStatement(c.env.DB, values.key, await attributes(c, values), c.now).first<InstanceVariableRow>()
  if (!row) throw ApiError.fieldErrors({ key: [`(${values.key}) has already been taken`] })
  return json(instanceVariable(row, values.value), { status: 201 })
}

const UpdateParams = v.looseObject({ key: Str, value: v.optional(Str), ...SettingParams })

export async function updateInstanceVariable(c: ApiContext): Promise<Response> {
  await asAdmin(c)
  const params = await c.valid(UpdateParams)
  const row = await findVariable(c, params.key)
  const values: VariableValues = {
    key: row.key,
    value: params.value ?? (await open(c.env, row.value)),
    variable_type: params.variable_type ?? row.variable_type,
    protected: params.protected ?? row.protected === 1,
    masked: params.masked ?? row.masked === 1,
    raw: params.raw ?? row.raw === 1,
    description: params.description === undefined ? row.description : params.description,
  }
  check(values)
  const updated = await updateInstanceVariableStatement(c.env.DB, row.id, await attributes(c, values), c.now).first<InstanceVariableRow>()
  if (!updated) throw ApiError.notFound('InstanceVariable')
  return json(instanceVariable(updated, values.value))
}

export async function deleteInstanceVariable(c: ApiContext): Promise<Response> {
  await asAdmin(c)
  const params = await c.valid(KeyParams)
  const row = await findVariable(c, params.key)
  await deleteInstanceVariableStatement(c.env.DB, row.id).run()
  return new Response(null, { status: 204 })
}

function check(values: VariableValues): void {
  const errors: FieldErrors = variableErrors(values)
  if (values.value.length > INSTANCE_VALUE_LIMIT) {
    addError(errors, 'value', `The value of the provided variable exceeds the ${INSTANCE_VALUE_LIMIT} character limit`)
  }
  if (Object.keys(errors).length > 0) throw ApiError.fieldErrors(errors)
}

async function attributes(c: ApiContext, values: VariableValues): Promise<VariableAttributes> {
  return variableAttributes(values, await seal(c.env, values.value))
}
