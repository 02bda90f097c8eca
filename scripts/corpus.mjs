// `npm run corpus`: every .gitlab-ci.yml of ../shared/ci-corpus through pipeline creation's config
// path, checked against test/ci/corpus-expected.json (`npm run corpus -- --update` rewrites it).
// Bundles scripts/corpus/run.ts with esbuild (wrangler's) and runs it on the pinned Node.
// CI_CORPUS_DIR overrides the corpus location. Without a corpus it prints a note and succeeds.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const corpus = resolve(root, process.env.CI_CORPUS_DIR ?? '../shared/ci-corpus')
if (!existsSync(join(corpus, 'INDEX.tsv'))) {
  console.log(`corpus: skipped, no corpus at ${corpus} (set CI_CORPUS_DIR)`)
  process.exit(0)
}
const out = join(root, 'node_modules/.cache/corpus/run.mjs')
mkdirSync(dirname(out), { recursive: true })
await build({ entryPoints: [join(root, 'scripts/corpus/run.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: out, logLevel: 'warning' })
const { runCorpus } = await import(pathToFileURL(out).href)
const expectedPath = join(root, 'test/ci/corpus-expected.json')
const update = process.argv.includes('--update')
const files = readFileSync(join(corpus, 'INDEX.tsv'), 'utf8').trim().split('\n').slice(1).map((line) => {
  const [file, repository] = line.split('\t')
  return { file, repository, source: readFileSync(join(corpus, 'files', file), 'utf8') }
})
const { status, outcomes } = await runCorpus(files, update ? null : JSON.parse(readFileSync(expectedPath, 'utf8')), expectedPath)
if (update) writeFileSync(expectedPath, `${JSON.stringify(outcomes, null, 1)}\n`)
process.exit(status)
