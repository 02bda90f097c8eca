import { open } from '../auth/secret-box'
import type { Variable } from '../ci/types'
import { variablesForJob } from '../ci/variable-rules'
import { instanceVariablesStatement, projectVariablesStatement, type InstanceVariableRow, type ProjectVariableRow } from '../db/ci-variables'
import { protectedRefNameStatement } from '../db/protected-branches'
import type { Env } from '../env'

/**
 * The instance's and the project's variables a pipeline's CI config sees while it is created
 * (Gitlab::Ci::Variables::Builder#config_variables: `rules:if`, `workflow:rules`, expanded
 * environment names): instance ones, then the project's with environment scope `*` (no
 * environment yet), protected ones only on a protected branch or tag. One D1 round trip, decrypted.
 */
export async function configSecretVariables(env: Env, projectId: number, ref: string, tag: boolean): Promise<Variable[]> {
  const db = env.DB
  const [instance, project, protectedRef] = await db.batch([
    instanceVariablesStatement(db),
    projectVariablesStatement(db, projectId),
    protectedRefNameStatement(db, projectId, ref, tag),
  ])
  const isProtected = protectedRef.results.length > 0
  const rows = [
    ...(instance.results as InstanceVariableRow[]).filter((row) => isProtected || row.protected === 0),
    ...variablesForJob(project.results as ProjectVariableRow[], null, isProtected),
  ]
  return Promise.all(rows.map(async (row) => ({ key: row.key, value: await open(env, row.value), variable_type: row.variable_type, masked: row.masked === 1 })))
}
