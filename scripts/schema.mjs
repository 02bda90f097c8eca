// Brings a D1 database up to schema.sql: first the columns of schema-upgrades.sql that an older
// table lacks (SQLite cannot ADD COLUMN IF NOT EXISTS), then schema.sql itself (idempotent:
// CREATE ... IF NOT EXISTS). `npm start` runs it on the local database; for a deployed one:
//   npx wrangler login && node scripts/schema.mjs --remote
// Needs Node 22 (run it through npm/npx, which put node_modules/.bin first on PATH).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const wrangler = join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js')
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The `ALTER TABLE t ADD COLUMN c ...` lines of schema-upgrades.sql. */
export function upgradeStatements(text = readFileSync(join(root, 'schema-upgrades.sql'), 'utf8')) {
  return text
    .split('\n')
    .map((line) => /^ALTER TABLE (\w+) ADD COLUMN (\w+)\b.*;\s*$/.exec(line.trim()))
    .filter(Boolean)
    .map(([sql, table, column]) => ({ sql, table, column }))
}

/** Whether a table's stored CREATE statement (sqlite_master.sql, which ALTER keeps current) has the column. */
export function hasColumn(createSql, column) {
  return new RegExp(`(^|[(,])\\s*"?${column}"?\\s`, 'im').test(createSql)
}

function d1(where, args, env) {
  const result = spawnSync(process.execPath, [wrangler, 'd1', 'execute', 'DB', where, ...args], {
    encoding: 'utf8',
    cwd: root,
    env: { ...process.env, CI: '1', WRANGLER_SEND_METRICS: 'false', ...env },
  })
  if (result.status !== 0) throw new Error(`wrangler d1 execute ${args.join(' ')} failed:\n${result.stderr || result.stdout}`)
  return result.stdout
}

export function applySchema(where = '--local') {
  const out = d1(where, ['--json', '--command', "SELECT name, sql FROM sqlite_master WHERE type = 'table'"])
  const tables = new Map(JSON.parse(out)[0].results.map((row) => [row.name, row.sql ?? '']))
  const missing = upgradeStatements().filter(({ table, column }) => tables.has(table) && !hasColumn(tables.get(table), column))
  if (missing.length > 0) {
    d1(where, ['--command', missing.map(({ sql }) => sql).join(' ')])
    console.log(`schema: added ${missing.map(({ table, column }) => `${table}.${column}`).join(', ')}`)
  }
  d1(where, ['--file', 'schema.sql'])
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const where = process.argv.includes('--remote') ? '--remote' : '--local'
  try {
    applySchema(where)
    console.log(`schema: ${where.slice(2)} database is up to date`)
  } catch (error) {
    console.error(String(error.message ?? error))
    process.exit(1)
  }
}
