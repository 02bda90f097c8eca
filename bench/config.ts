/**
 * `npm run bench:config`: the CPU cost of turning a config into a pipeline definition (load,
 * includes, extends, !reference, validation, parallel expansion, seeding), which is the Worker's
 * CPU time per creation minus the D1 batch that stores it. Two cases: the largest corpus file,
 * and a generated config of 500 jobs spread over 10 included files with `extends`, `!reference`,
 * rules and a 5×4 matrix.
 */
import { resolveCiConfig } from '../src/ci/config/parse'
import type { CiRepository, ConfigSources, ProjectHandle } from '../src/ci/config/sources'
import { resolveCorpusFile } from '../scripts/corpus/run'

const RUNS = 30
const project: ProjectHandle = { id: 1, path: 'bench/project', defaultBranch: 'main', visibility: 'private' }
const variables = { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_PROJECT_PATH: 'bench/project', CI_DEFAULT_BRANCH: 'main' }

/** `largest`: the largest corpus file, when there is a corpus; `cpuMs`: the process's CPU time so far (ms). */
export async function runBench(largest: { file: string; repository: string; source: string } | null, cpuMs: () => number): Promise<string> {
  const rows: string[] = ['| config | jobs | median wall ms | median CPU ms | p95 CPU ms |', '|---|---:|---:|---:|---:|']
  if (largest) {
    const { file, repository, source } = largest
    rows.push(await measure(`corpus ${file} (${repository}, ${source.length} bytes)`, () => resolveCorpusFile(source, repository), cpuMs))
  }
  const generated = generatedConfig()
  rows.push(await measure(`generated: 10 includes, 500 jobs, matrix`, () => resolveCiConfig(generated.main, { variables, sources: generated.sources, project, sha: 'sha' }), cpuMs))
  return rows.join('\n')
}

async function measure(
  label: string,
  create: () => Promise<{ ok: boolean; pipeline?: { jobs: unknown[] }; errors?: string[] }>,
  cpuMs: () => number,
): Promise<string> {
  const first = await create()
  if (!first.ok) throw new Error(`${label}: ${first.errors?.join(' | ')}`)
  for (let i = 0; i < 3; i++) await create()
  const walls: number[] = []
  const cpus: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const cpu = cpuMs()
    const started = performance.now()
    await create()
    walls.push(performance.now() - started)
    cpus.push(cpuMs() - cpu)
  }
  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
  const p95 = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length * 0.95)]
  return `| ${label} | ${first.pipeline!.jobs.length} | ${median(walls).toFixed(1)} | ${median(cpus).toFixed(1)} | ${p95(cpus).toFixed(1)} |`
}

/** 10 included files of 48 jobs (extends, !reference, rules, needs) plus a 5×4 matrix job in the main file: 500 jobs. */
function generatedConfig(): { main: string; sources: ConfigSources } {
  const files: Record<string, string> = {}
  for (let f = 0; f < 10; f++) {
    const jobs: string[] = [`.base-${f}:`, '  image: alpine:3', '  before_script: [echo setup]', '  retry: 1', '  tags: [docker]']
    for (let j = 0; j < 48; j++) {
      jobs.push(
        `job-${f}-${j}:`,
        `  extends: .base-${f}`,
        `  stage: ${j % 2 === 0 ? 'build' : 'test'}`,
        `  script: [!reference [.shared, script], "make part-${f}-${j}"]`,
        `  rules: [{if: '$CI_COMMIT_BRANCH == "main"', when: on_success}, {when: manual}]`,
        ...(j % 2 === 1 ? [`  needs: [job-${f}-${j - 1}]`] : []),
        `  artifacts: {paths: [out/${f}/${j}], expire_in: 1 week}`,
      )
    }
    files[`ci/part-${f}.yml`] = `${jobs.join('\n')}\n`
  }
  const main = [
    'stages: [build, test, deploy]',
    'include:',
    ...Array.from({ length: 10 }, (_, f) => `  - local: ci/part-${f}.yml`),
    '.shared: {script: [echo shared]}',
    'matrix:',
    '  stage: deploy',
    '  script: deploy',
    '  parallel: {matrix: [{REGION: [eu, us, ap, sa, af], TIER: [a, b, c, d]}]}',
  ].join('\n')
  const repository: CiRepository = {
    resolveRef: async () => 'sha',
    readFileAt: async (_, __, path) => files[path] ?? null,
    listFiles: async () => Object.keys(files),
    changedPaths: async () => null,
    mergeBase: async () => null,
    blobIdAt: async () => null,
  }
  return {
    main,
    sources: { repository, findProject: async () => null, fetchRemote: async () => ({ ok: false, reason: 'http', status: 404 }), serverHost: 'bench.example' },
  }
}
