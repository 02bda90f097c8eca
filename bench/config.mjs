// `npm run bench:config`: config-to-pipeline CPU time (bench/config.ts), bundled with esbuild and
// run on the pinned Node (V8, the engine workerd runs). Writes bench/config-results.md.
// CI_CORPUS_DIR or ../shared/ci-corpus supplies the largest corpus file; without it only the
// generated case runs.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const corpus = resolve(root, process.env.CI_CORPUS_DIR ?? '../shared/ci-corpus')
const out = join(root, 'node_modules/.cache/bench-config/run.mjs')
mkdirSync(dirname(out), { recursive: true })
await build({ entryPoints: [join(root, 'bench/config.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: out, logLevel: 'warning' })
const { runBench } = await import(pathToFileURL(out).href)
let largest = null
if (existsSync(join(corpus, 'INDEX.tsv'))) {
  const rows = readFileSync(join(corpus, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split('\t'))
  const [file, repository] = rows.reduce((best, row) => (Number(row[4]) > Number(best[4]) ? row : best))
  largest = { file, repository, source: readFileSync(join(corpus, 'files', file), 'utf8') }
}
const cpuMs = () => {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
const table = await runBench(largest, cpuMs)
const note = `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)}; ` +
  'CPU = process.cpuUsage() per creation (parse, includes from memory, validation, seeding; the D1 batch excluded).'
const text = `# Pipeline creation: config CPU time\n\n${table}\n\n${note}\n`
writeFileSync(join(root, 'bench/config-results.md'), text)
console.log(text)
