import { env } from 'cloudflare:workers'
import { beforeAll } from 'vitest'
import { schemaStatements } from '../src/db/schema'

beforeAll(async () => {
  const sql = (env as unknown as { TEST_SCHEMA: string }).TEST_SCHEMA
  await env.DB.batch(schemaStatements(sql).map((statement) => env.DB.prepare(statement)))
})
