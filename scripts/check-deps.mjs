// The layering check of `npm test` (docs/architecture.md): reads every import of src/, fails on an
// import cycle (runtime imports and type-only imports alike), on an import the layer table does
// not allow, and on SQL (`.prepare(`) outside src/db/. A small script rather than dependency-cruiser: the rules are one table, the parsing is
// TypeScript's own (`ts.preProcessFile`), and it needs nothing beyond the compiler we already pin.
// `node scripts/check-deps.mjs` prints the table of layers found and every violation.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, process.argv[2] ?? 'src')

/**
 * The layer table: what each layer may import (besides itself). Keep it equal to the table in
 * docs/architecture.md. `env` and `config` are the Worker's bindings and parsed settings.
 */
export const LAYERS = {
  entry: ['routes', 'api', 'web', 'bench', 'objects', 'services', 'hooks', 'auth', 'db', 'http', 'config', 'env'], // src/index.ts
  routes: ['api', 'web', 'bench', 'auth'],
  api: ['auth', 'db', 'objects', 'services', 'hooks', 'present', 'http', 'ci', 'git', 'blob', 'config', 'env', 'bytes'],
  web: ['db', 'http', 'env', 'bytes'],
  bench: ['objects', 'db', 'http', 'config', 'env', 'bytes'],
  services: ['objects', 'hooks', 'ci', 'git', 'db', 'blob', 'http', 'auth', 'config', 'env', 'bytes'],
  objects: ['hooks', 'ci', 'git', 'db', 'blob', 'auth', 'http', 'config', 'env', 'bytes'],
  hooks: ['present', 'db', 'http', 'ci', 'config', 'env', 'bytes'],
  auth: ['db', 'http', 'ci', 'config', 'env', 'bytes'],
  present: ['ci', 'db', 'bytes'],
  db: ['ci', 'http', 'bytes'],
  blob: ['http', 'bytes'],
  http: ['ci', 'bytes'],
  ci: [],
  git: ['bytes'],
  config: ['ci', 'env'],
  env: [],
  bytes: [],
}

/**
 * Imports allowed against the table, each with its reason (keep docs/architecture.md in step).
 * Services may call objects, so an object may use a service only where that service never
 * reaches an object; the cycle check below proves it stays so.
 */
const EXCEPTIONS = [
  { from: 'objects/job-effects.ts', to: 'services/trigger-downstream.ts', why: "a pending bridge's downstream pipeline (Ci::CreateDownstreamPipelineWorker)" },
]

/** SQL lives in db/; these two are the benchmark's own (a meter's proxy and a bare-query baseline). */
const SQL_ELSEWHERE = ['bench/d1-meter.ts', 'bench/routes.ts']

function layerOf(file) {
  const rel = relative(src, file).replaceAll('\\', '/')
  if (rel === 'index.ts') return 'entry'
  if (rel === 'routes.ts') return 'routes'
  if (rel === 'env.ts') return 'env'
  if (rel === 'config.ts') return 'config'
  if (rel === 'bytes.ts') return 'bytes'
  return rel.split('/')[0]
}

function filesUnder(dir) {
  const out = []
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...filesUnder(path))
    else if (name.endsWith('.ts')) out.push(path)
  }
  return out
}

function resolveImport(from, spec) {
  if (!spec.startsWith('.')) return undefined // a package
  const base = resolve(dirname(from), spec)
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {}
  }
  return undefined
}

/** Imports of one file: { to, typeOnly } (`import type` and `export type … from`). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8')
  const info = ts.preProcessFile(text, true, true)
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false)
  const typeOnly = new Set()
  for (const statement of source.statements) {
    const spec = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined
    if (!spec) continue
    const isType = (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly) || (ts.isExportDeclaration(statement) && statement.isTypeOnly)
    if (isType) typeOnly.add(spec)
    else typeOnly.delete(spec) // a runtime import of the same module wins
  }
  const out = []
  for (const ref of info.importedFiles) {
    const to = resolveImport(file, ref.fileName)
    if (to) out.push({ to, spec: ref.fileName, typeOnly: typeOnly.has(ref.fileName) })
  }
  return out
}

export function check() {
  const files = filesUnder(src)
  const graph = new Map(files.map((file) => [file, importsOf(file)]))
  const violations = []
  for (const [file, imports] of graph) {
    const from = layerOf(file)
    const allowed = LAYERS[from]
    if (!allowed) {
      violations.push(`${relative(root, file)}: layer '${from}' is not in the layer table`)
      continue
    }
    for (const { to, typeOnly } of imports) {
      const target = layerOf(to)
      if (target === from || allowed.includes(target)) continue
      const relFrom = relative(src, file)
      const relTo = relative(src, to)
      if (EXCEPTIONS.some((e) => e.from === relFrom && e.to === relTo && (!e.typeOnly || typeOnly))) continue
      violations.push(`${relative(root, file)} → ${relative(root, to)}: '${from}' may not import '${target}'${typeOnly ? ' (type-only)' : ''}`)
    }
  }
  for (const file of files) {
    const rel = relative(src, file).replaceAll('\\', '/')
    if (layerOf(file) === 'db' || SQL_ELSEWHERE.includes(rel)) continue
    if (/\.prepare\(/.test(readFileSync(file, 'utf8'))) violations.push(`${relative(root, file)}: SQL outside src/db/ (a .prepare() call)`)
  }
  for (const cycle of cycles(graph)) violations.push(`import cycle: ${cycle.map((file) => relative(root, file)).join(' → ')}`)
  return { files: files.length, edges: [...graph.values()].reduce((n, list) => n + list.length, 0), violations }
}

/** Every strongly connected component of more than one file (or a file importing itself), as one path. */
function cycles(graph) {
  let index = 0
  const stack = []
  const onStack = new Set()
  const indices = new Map()
  const low = new Map()
  const found = []
  const visit = (node) => {
    indices.set(node, index)
    low.set(node, index)
    index += 1
    stack.push(node)
    onStack.add(node)
    for (const { to } of graph.get(node) ?? []) {
      if (!indices.has(to)) {
        visit(to)
        low.set(node, Math.min(low.get(node), low.get(to)))
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node), indices.get(to)))
    }
    if (low.get(node) === indices.get(node)) {
      const component = []
      let member
      do {
        member = stack.pop()
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      const selfLoop = (graph.get(node) ?? []).some(({ to }) => to === node)
      if (component.length > 1 || selfLoop) found.push(pathThrough(graph, component))
    }
  }
  for (const node of graph.keys()) if (!indices.has(node)) visit(node)
  return found
}

/** One cycle inside a component, for the message: a → b → … → a. */
function pathThrough(graph, component) {
  const members = new Set(component)
  const start = component.sort()[0]
  const path = [start]
  const seen = new Set([start])
  let node = start
  for (;;) {
    const next = (graph.get(node) ?? []).map(({ to }) => to).filter((to) => members.has(to))
    const back = next.find((to) => to === start)
    if (back && path.length > 1) return [...path, start]
    const step = next.find((to) => !seen.has(to)) ?? back
    if (!step) return [...path, start]
    if (step === start) return [...path, start]
    path.push(step)
    seen.add(step)
    node = step
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files, edges, violations } = check()
  if (violations.length > 0) {
    console.error(`dependency check: ${violations.length} violation(s) in ${files} files, ${edges} imports`)
    for (const violation of violations) console.error(`  ${violation}`)
    process.exit(1)
  }
  console.log(`dependency check: ${files} files, ${edges} imports, no cycle, every import within the layer table`)
}
