import { describe, expect, it } from 'vitest'
import { parseCiConfig, resolveCiConfig } from '../../src/ci/config/parse'
import { fnmatch } from '../../src/ci/config/glob'
import type { CiRepository, ConfigSources, ProjectHandle } from '../../src/ci/config/sources'
import type { JobDefinition } from '../../src/ci/types'
import { blockedReason, fetchRemote } from '../../src/services/ci-sources'
import { environmentSlug } from '../../src/services/creation-values'

/**
 * Keywords as GitLab's own specs and docs exercise them (spec/lib/gitlab/ci/config/entry/*,
 * spec/lib/gitlab/ci/yaml_processor_spec.rb; the numbered cases are ci-config-keywords.md §19).
 */

const PUSH_MAIN = { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_PROJECT_PATH: 'group/project' }
const TAG_V1 = { CI_PIPELINE_SOURCE: 'push', CI_COMMIT_TAG: 'v1', CI_COMMIT_REF_NAME: 'v1', CI_PROJECT_PATH: 'group/project' }
const MR = { CI_PIPELINE_SOURCE: 'merge_request_event', CI_COMMIT_REF_NAME: 'feature', CI_PROJECT_PATH: 'group/project' }
const SCHEDULE = { ...PUSH_MAIN, CI_PIPELINE_SOURCE: 'schedule' }

function names(source: string, variables: Record<string, string> = PUSH_MAIN, modifiedPaths: string[] | null = null): string[] {
  const result = parseCiConfig(source, { variables, facts: { modifiedPaths } })
  if (!result.ok) throw new Error(result.errors.join(' | '))
  return result.pipeline.jobs.map((job) => job.name)
}

function errors(source: string, variables: Record<string, string> = PUSH_MAIN): string[] {
  const result = parseCiConfig(source, { variables })
  if (result.ok) throw new Error(`expected errors, got ${result.pipeline.jobs.map((job) => job.name).join(', ')}`)
  return result.errors
}

function jobs(source: string, variables: Record<string, string> = PUSH_MAIN): JobDefinition[] {
  const result = parseCiConfig(source, { variables })
  if (!result.ok) throw new Error(result.errors.join(' | '))
  return result.pipeline.jobs
}

describe('only / except', () => {
  it('T1: the default only: [branches, tags] keeps jobs out of merge request pipelines, unless workflow:rules', () => {
    expect(names('test: {script: echo}')).toEqual(['test'])
    expect(names('test: {script: echo}', TAG_V1)).toEqual(['test'])
    expect(errors('test: {script: echo}', MR)).toEqual([
      'Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline.',
    ])
    expect(names('workflow: {rules: [{when: always}]}\ntest: {script: echo}', MR)).toEqual(['test'])
  })

  it('T2: only next to rules', () => {
    expect(errors('build: {script: make, only: [main], rules: [{when: always}]}')).toEqual(['jobs:build config key may not be used with `rules`: only'])
    expect(errors('build: {script: make, except: [main], only: [x], rules: [{when: always}]}')).toEqual([
      'jobs:build config key may not be used with `rules`: except, only',
    ])
  })

  it('T3: only:variables keeps the default refs', () => {
    const ci = 'rel: {script: x, only: {variables: [\'$RELEASE == "yes"\']}}\nother: {script: y}'
    expect(names(ci, { ...TAG_V1, RELEASE: 'yes' })).toEqual(['rel', 'other'])
    expect(names(ci, { ...PUSH_MAIN, RELEASE: 'no' })).toEqual(['other'])
    expect(errors('rel: {script: x, only: {variables: [\'$RELEASE == "yes"\']}}', { ...MR, RELEASE: 'yes' })[0]).toMatch(/^Pipeline will not run/)
  })

  it('T4 and the entry errors', () => {
    expect(errors('build: {script: make, only: ["/(?<!x)main/"]}')).toEqual([
      'jobs:build:only config should be an array of strings or regular expressions using re2 syntax',
    ])
    expect(errors('build: {script: make, only: main}')).toEqual(['jobs:build:only has to be either an array of conditions or a hash'])
    expect(errors('build: {script: make, except: {}}')).toEqual(["jobs:build:except config can't be blank"])
    expect(errors('build: {script: make, only: {refs: [main], foo: 1}}')).toEqual(['jobs:build:only config contains unknown keys: foo'])
    expect(errors('build: {script: make, only: {kubernetes: inactive}}')).toEqual(['jobs:build:only kubernetes unknown value: inactive'])
    expect(errors('build: {script: make, only: {variables: ["$A = 1"]}}')).toEqual(['jobs:build:only variables invalid expression syntax'])
    expect(errors('build: {script: make, only: {changes: "a"}}')).toEqual(['jobs:build:only changes should be an array of strings'])
  })

  it('refs: names, RE2 regexes on the short ref, keywords, @project', () => {
    const ci = [
      'a: {script: x, only: [main]}',
      'b: {script: x, only: ["/^ma.n$/"]}',
      'c: {script: x, only: ["/(?i)^MAIN/"]}',
      'd: {script: x, only: [tags]}',
      'e: {script: x, only: [pushes]}',
      'f: {script: x, only: [schedules]}',
      'g: {script: x, only: [main@group/project]}',
      'h: {script: x, only: [main@other/project]}',
      'i: {script: x, except: [main]}',
      'j: {script: x, only: [branches], except: [/^feat/]}',
      'k: {script: x, only: [merge_requests]}',
    ].join('\n')
    expect(names(ci)).toEqual(['a', 'b', 'c', 'e', 'g', 'j'])
    expect(names(ci, SCHEDULE)).toEqual(['a', 'b', 'c', 'f', 'g', 'j'])
    // except alone keeps the default only: [branches, tags], which a merge request pipeline is not
    expect(names(ci, MR)).toEqual(['k'])
  })

  it('T5: changes are true without a diff, and match with fnmatch otherwise', () => {
    const ci = 'build: {script: make, only: {changes: ["src/**/*"]}}\nother: {script: x}'
    expect(names(ci)).toEqual(['build', 'other'])
    expect(names(ci, PUSH_MAIN, ['README.md'])).toEqual(['other'])
    expect(names(ci, PUSH_MAIN, ['src/a/b.rb'])).toEqual(['build', 'other'])
  })

  it('kubernetes: active never holds (no deployment platform); except wins over only', () => {
    expect(names('a: {script: x, only: {kubernetes: active}}\nb: {script: x, only: [main], except: {variables: [$CI_COMMIT_BRANCH]}}\nc: {script: x}')).toEqual(['c'])
  })
})

describe('rules:changes and rules:exists', () => {
  it('T6: changes hold for API-like pipelines (no diff), not for an unrelated push', () => {
    const ci = 'lint: {script: x, rules: [{changes: ["docs/**/*"]}]}\nother: {script: y}'
    expect(names(ci)).toEqual(['lint', 'other'])
    expect(names(ci, PUSH_MAIN, ['src/a.rb'])).toEqual(['other'])
    expect(names(ci, PUSH_MAIN, ['docs/a.md'])).toEqual(['lint', 'other'])
    // `docs/` does not match docs/a.md; variables in globs expand when defined
    expect(names('lint: {script: x, rules: [{changes: ["docs/"]}]}\nother: {script: y}', PUSH_MAIN, ['docs/a.md'])).toEqual(['other'])
    expect(names('lint: {script: x, rules: [{changes: ["$DIR/*.md"]}]}\nother: {script: y}', { ...PUSH_MAIN, DIR: 'docs' }, ['docs/a.md'])).toEqual(['lint', 'other'])
  })

  it('T7: compare_to that does not resolve', () => {
    expect(errors('lint: {script: x, rules: [{changes: {paths: ["**/*"], compare_to: refs/heads/nope}}]}')).toEqual([
      'Failed to parse rule for lint: rules:changes:compare_to is not a valid ref',
    ])
    expect(errors('lint: {script: x, rules: [{changes: {compare_to: main}}]}')).toEqual(['jobs:lint:rules:rule:changes config missing required keys: paths'])
  })

  it('exists: literal paths, directory prefixes, globs', () => {
    const ci = [
      'a: {script: x, rules: [{exists: [Gemfile]}]}',
      'b: {script: x, rules: [{exists: ["docs/"]}]}',
      'c: {script: x, rules: [{exists: ["**/*.go"]}]}',
      'd: {script: x, rules: [{exists: [nope]}]}',
    ].join('\n')
    const result = parseCiConfig(ci, { variables: PUSH_MAIN, facts: { files: ['Gemfile', 'docs/index.md', 'cmd/x/main.go'] } })
    expect(result.ok && result.pipeline.jobs.map((job) => job.name)).toEqual(['a', 'b', 'c'])
  })

  it('rules:needs replace the job needs', () => {
    const ci = 'a: {stage: build, script: x}\nb: {stage: build, script: x}\nc: {script: x, needs: [a], rules: [{if: $X, needs: [b]}, {when: on_success}]}'
    expect(jobs(ci, { ...PUSH_MAIN, X: '1' }).find((job) => job.name === 'c')!.needs!.map((need) => need.name)).toEqual(['b'])
    expect(jobs(ci).find((job) => job.name === 'c')!.needs!.map((need) => need.name)).toEqual(['a'])
  })

  it('auto_cancel values', () => {
    expect(errors('workflow: {auto_cancel: {on_new_commit: sometimes}}\na: {script: x}')).toEqual([
      'workflow:auto_cancel on new commit must be one of: conservative, interruptible, none',
    ])
    expect(errors('a: {script: x, rules: [{auto_cancel: {on_job_failure: all}}]}')).toEqual(['jobs:a:rules:rule config contains unknown keys: auto_cancel'])
    expect(names('workflow: {name: "x", auto_cancel: {on_new_commit: interruptible}, rules: [{auto_cancel: {on_job_failure: all}}]}\na: {script: x}')).toEqual(['a'])
    // Chain::PopulateMetadata: the matched workflow rule's auto_cancel is merged over workflow:auto_cancel.
    const autoCancel = (source: string) => {
      const result = parseCiConfig(source, { variables: PUSH_MAIN })
      if (!result.ok) throw new Error(result.errors.join('; '))
      return result.pipeline.autoCancel
    }
    expect(autoCancel('workflow: {auto_cancel: {on_new_commit: interruptible}, rules: [{if: $NOPE, auto_cancel: {on_new_commit: none}}, {auto_cancel: {on_job_failure: all}}]}\na: {script: x}'))
      .toEqual({ on_new_commit: 'interruptible', on_job_failure: 'all' })
    expect(autoCancel('workflow: {auto_cancel: {on_new_commit: interruptible}, rules: [{when: always, auto_cancel: {on_new_commit: none}}]}\na: {script: x}'))
      .toEqual({ on_new_commit: 'none' })
    expect(autoCancel('a: {script: x}')).toBeUndefined()
  })
})

describe('fnmatch (FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB)', () => {
  it.each([
    ['*.rb', 'a.rb', true],
    ['*.rb', 'x/a.rb', false],
    ['**/*.rb', 'a.rb', true],
    ['**/*.rb', 'x/y/a.rb', true],
    ['dir/**', 'dir/a/b', false],
    ['*', '.hidden', true],
    ['{src,lib}/*.{c,h}', 'lib/x.h', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[!a]x', 'ax', false],
  ])('%s ~ %s → %s', (glob, path, expected) => {
    expect(fnmatch(glob, path)).toBe(expected)
  })
})

describe('parallel', () => {
  it('N instances, GitLab names and CI_NODE_*', () => {
    const list = jobs('test: {script: x, parallel: 3}\nafter: {stage: deploy, script: y, needs: [test]}')
    expect(list.map((job) => job.name)).toEqual(['test 1/3', 'test 2/3', 'test 3/3', 'after'])
    expect(list[1].variables).toEqual(expect.arrayContaining([{ key: 'CI_NODE_INDEX', value: '2' }, { key: 'CI_NODE_TOTAL', value: '3' }]))
    expect(list[3].needs!.map((need) => need.name)).toEqual(['test 1/3', 'test 2/3', 'test 3/3'])
  })

  it('T16: a matrix, needs on all instances or on a matrix selection', () => {
    const ci = 'build: {stage: build, script: make, parallel: {matrix: [{OS: [linux, mac], ARCH: amd64}]}}\ndeploy: {stage: deploy, script: ship, needs: [build]}'
    const list = jobs(ci)
    expect(list.map((job) => job.name)).toEqual(['build: [linux, amd64]', 'build: [mac, amd64]', 'deploy'])
    expect(list[0].variables).toEqual([
      { key: 'OS', value: 'linux' }, { key: 'ARCH', value: 'amd64' }, { key: 'CI_NODE_INDEX', value: '1' }, { key: 'CI_NODE_TOTAL', value: '2' },
    ])
    expect(list[2].needs!.map((need) => need.name)).toEqual(['build: [linux, amd64]', 'build: [mac, amd64]'])
    const selected = jobs(ci.replace('needs: [build]', 'needs: [{job: build, parallel: {matrix: [{OS: mac, ARCH: amd64}]}}]'))
    expect(selected[2].needs!.map((need) => need.name)).toEqual(['build: [mac, amd64]'])
    expect(errors(ci.replace('needs: [build]', 'needs: ["build: [bsd, amd64]"]'))).toEqual(['deploy job: undefined need: build: [bsd, amd64]'])
  })

  it('T17 and the entry errors', () => {
    const values = (n: number) => `[${Array.from({ length: n }, (_, i) => `v${i}`).join(', ')}]`
    expect(errors(`t: {script: x, parallel: {matrix: [{A: ${values(15)}, B: ${values(14)}}]}}`)).toEqual([
      'jobs:t:parallel:matrix config generates too many jobs (maximum is 200)',
    ])
    expect(errors('t: {script: x, parallel: 201}')).toEqual(['jobs:t:parallel config must be less than or equal to 200'])
    expect(errors('t: {script: x, parallel: 0}')).toEqual(['jobs:t:parallel config must be greater than or equal to 1'])
    expect(errors('t: {script: x, parallel: "x"}')).toEqual(['jobs:t:parallel should be an integer or a hash'])
    expect(errors('t: {trigger: a/b, parallel: 2}')).toEqual(['jobs:t:parallel config cannot use "parallel: 2".'])
  })
})

describe('environment and resource_group', () => {
  it('T18: on_stop checks', () => {
    const ci = (stop: string) =>
      `review: {stage: deploy, script: up, environment: {name: review/$CI_COMMIT_REF_SLUG, on_stop: stop_review}}\n${stop}`
    expect(errors(ci('stop_review: {stage: deploy, script: down, when: manual, environment: {name: review/$CI_COMMIT_REF_SLUG}}'))).toEqual([
      'review job: on_stop job stop_review needs to have action stop defined',
    ])
    expect(errors(ci(''))).toEqual(['review job: on_stop job stop_review is not defined'])
    expect(errors(ci('stop_review: {stage: deploy, script: down}'))).toEqual(['review job: on_stop job stop_review does not have environment defined'])
    expect(errors(ci('stop_review: {stage: deploy, script: down, environment: {name: other, action: stop}}'))).toEqual([
      'review job: on_stop job stop_review have different environment name',
    ])
    expect(jobs(ci('stop_review: {stage: deploy, script: down, when: manual, environment: {name: review/$CI_COMMIT_REF_SLUG, action: stop}}'))).toHaveLength(2)
  })

  it('entry errors', () => {
    expect(errors('d: {script: x, environment: {name: prod, action: destroy}}')).toEqual(['jobs:d:environment action should be start, stop, prepare, verify, or access'])
    expect(errors('d: {script: x, environment: {name: prod, deployment_tier: live}}')).toEqual([
      'jobs:d:environment deployment tier must be one of production, staging, testing, development, other',
    ])
    expect(errors('d: {script: x, environment: {url: "https://x"}}')).toEqual(["jobs:d:environment name can't be blank"])
    expect(errors('d: {script: x, environment: [prod]}')).toEqual(['jobs:d:environment config should be a hash or a string'])
    expect(errors('d: {script: x, environment: {name: prod, auto_stop_in: soon}}')).toEqual(['jobs:d:environment auto stop in should be a duration'])
  })

  it('GitLab environment slugs', async () => {
    expect(await environmentSlug('production')).toBe('production')
    expect(await environmentSlug('review/feature-x')).toMatch(/^review-feature-x-[a-z0-9]{6}$/)
    expect((await environmentSlug('a'.repeat(40))).length).toBe(24)
  })
})

describe('artifacts, cache, release, pages, hooks, id_tokens, secrets, inherit, image', () => {
  it('artifacts keys', () => {
    expect(errors('a: {script: x, artifacts: {paths: [a], public: false, access: all}}')).toEqual([
      'jobs:a:artifacts config these keys cannot be used together: public, access',
    ])
    expect(errors('a: {script: x, artifacts: {paths: ["*.log"], expose_as: "Logs"}}')).toEqual([
      "jobs:a:artifacts paths can't contain '*' when used with 'expose_as'",
    ])
    expect(errors('a: {script: x, artifacts: {access: maintainer}}')).toEqual(['jobs:a:artifacts access should be one of: none, developer, all'])
    const [job] = jobs('a: {script: x, artifacts: {paths: [cov], expose_as: "Coverage", reports: {dotenv: d.env, coverage_report: {coverage_format: cobertura, path: c.xml}, metrics: [m.txt]}}}')
    expect(job.options.artifacts).toMatchObject({
      expose_as: 'Coverage', reports: { dotenv: ['d.env'], metrics: ['m.txt'], coverage_report: { coverage_format: 'cobertura', path: 'c.xml' } },
    })
  })

  it('T20: cache sub-keys', () => {
    expect(errors('test: {script: x, cache: {key: k, paths: [vendor], fallback_keys: [a, b, c, d, e, f]}}')).toEqual([
      'jobs:test:cache fallback keys has to many entries (maximum 5)',
    ])
    expect(errors('test: {script: x, cache: {key: a/b}}')).toEqual(['jobs:test:cache:key config cannot contain the "/" character'])
    const [job] = jobs('test: {script: x, cache: {key: {files: [Gemfile.lock], prefix: gems}, unprotect: true, policy: $POLICY}}')
    expect(job.options.cache![0]).toMatchObject({ key_files: { files: ['Gemfile.lock'], prefix: 'gems' }, unprotect: true, policy: '$POLICY' })
  })

  it('release, pages and publish', () => {
    expect(errors('r: {script: x, release: {name: v1}}')).toEqual(["jobs:r:release tag name can't be blank", "jobs:r:release description can't be blank"])
    expect(errors('r: {script: x, publish: public}')).toEqual(['jobs:r publish can only be used within a `pages` job'])
    expect(jobs('pages: {script: x, publish: dist}')[0].options.pages).toEqual({ publish: 'dist' })
    expect(jobs('r: {script: x, release: {tag_name: v1, description: d}}')[0].options.release).toEqual({ tag_name: 'v1', description: 'd' })
  })

  it('hooks, id_tokens and secrets are kept; their errors', () => {
    const [job] = jobs('default: {hooks: {pre_get_sources_script: [echo hi]}, id_tokens: {T: {aud: https://x}}}\na: {script: x}')
    expect(job.options).toMatchObject({ hooks: { pre_get_sources_script: ['echo hi'] }, id_tokens: { T: { aud: 'https://x' } } })
    expect(errors('a: {script: x, id_tokens: {T: {}}}')).toEqual(['jobs:a:id_tokens:t config missing required keys: aud'])
    expect(errors('a: {script: x, hooks: {post: [x]}}')).toEqual(['jobs:a:hooks config contains unknown keys: post'])
    expect(jobs('a: {script: x, secrets: {DB: {vault: db/pass@ops}}}')[0].options.secrets).toEqual({ DB: { vault: 'db/pass@ops' } })
  })

  it('inherit default and variables', () => {
    const ci = 'variables: {A: a, B: b}\ndefault: {image: ruby, tags: [t]}\nj: {script: x, inherit: {default: [tags], variables: [B]}}\nk: {script: x, inherit: {default: false, variables: false}}'
    const [j, k] = jobs(ci)
    expect(j.options.image).toBeUndefined()
    expect(j.tags).toEqual(['t'])
    expect(j.inheritVariables).toEqual(['B'])
    expect(k.tags).toEqual([])
    expect(k.inheritVariables).toBe(false)
    expect(errors('j: {script: x, inherit: {default: [nope]}}')).toEqual(['jobs:j:inherit:default config contains unknown values: nope'])
  })

  it('image docker options; ports are disallowed as on GitLab.com', () => {
    expect(jobs('a: {script: x, image: {name: ruby, docker: {platform: arm64, user: dave}}}')[0].options.image).toEqual({
      name: 'ruby', executor_opts: { docker: { platform: 'arm64', user: 'dave' } },
    })
    expect(errors('a: {script: x, image: {name: ruby, ports: [80]}}')).toEqual(['jobs:a:image config contains disallowed keys: ports'])
  })

  it('coverage accepts RE2 syntax', () => {
    expect(jobs("a: {script: x, coverage: '/(?i)total.*/'}")[0].coverageRegex).toBe('(?i)total.*')
  })
})

describe('!reference and spec:inputs (parse level)', () => {
  it('T15 and nested references', () => {
    expect(errors('test: {script: [!reference [.setup, script]]}')).toEqual(['!reference [".setup", "script"] could not be found'])
    const ci = '.vars: {variables: {URL: "https://x"}}\n.setup: {script: [a, b]}\ntest:\n  variables: {URL: !reference [.vars, variables, URL]}\n  script: [!reference [.setup, script], c]'
    const [job] = jobs(ci)
    expect(job.options.script).toEqual(['a', 'b', 'c'])
    expect(job.variables).toEqual([{ key: 'URL', value: 'https://x' }])
    expect(errors('.a: {script: !reference [.b, script]}\n.b: {script: !reference [.a, script]}\ntest: {script: !reference [.a, script]}')).toEqual([
      // the first tag entered (in .a) is the one met again
      '!reference [".b", "script"] is part of a circular chain',
    ])
    expect(errors('test: {script: !reference x}')).toEqual(['!reference "x" is not valid'])
  })

  it('T13, T14: inputs', () => {
    const header = 'spec: {inputs: {n: {type: number, default: 2}}}\n---\ntest: {script: "echo n=$[[ inputs.n ]]", parallel: "$[[ inputs.n ]]"}\n'
    expect(parseCiConfig(header, { variables: PUSH_MAIN, inputs: { n: 3 } })).toMatchObject({
      ok: true, pipeline: { jobs: [{ name: 'test 1/3', options: { script: ['echo n=3'] } }, { name: 'test 2/3' }, { name: 'test 3/3' }] },
    })
    expect(parseCiConfig(header, { variables: PUSH_MAIN, inputs: { n: '3' } })).toEqual({ ok: false, errors: ['`n` input: provided value is not a number'] })
    expect(parseCiConfig('spec: {inputs: {env: }}\n---\ndeploy: {script: "echo $[[ inputs.env ]]"}\n', { variables: PUSH_MAIN })).toEqual({
      ok: false, errors: ['`env` input: required value has not been provided'],
    })
    expect(parseCiConfig('spec: {inputs: {s: {default: abcdef}}}\n---\nd: {script: "$[[ inputs.s | truncate(1,3) ]] $[[ inputs.nope ]]"}\n', { variables: PUSH_MAIN })).toEqual({
      ok: false, errors: ['unknown interpolation key: `nope`'],
    })
    expect(parseCiConfig('spec: {inputs: {s: {default: abcdef, regex: "^a"}}}\n---\nd: {script: "$[[ inputs.s | truncate(1,3) ]]"}\n', { variables: PUSH_MAIN })).toMatchObject({
      ok: true, pipeline: { jobs: [{ options: { script: ['bcd'] } }] },
    })
  })
})

describe('include (resolveCiConfig, in-memory sources)', () => {
  const project: ProjectHandle = { id: 1, path: 'group/project', defaultBranch: 'main', visibility: 'private' }
  const sources = (files: Record<string, string>, remote: Record<string, string> = {}): ConfigSources => {
    const repository: CiRepository = {
      resolveRef: async (_, ref) => (ref === 'main' || ref === 'HEAD' ? 'sha1' : null),
      readFileAt: async (_, __, path) => files[path] ?? null,
      listFiles: async () => Object.keys(files),
      changedPaths: async () => [],
      mergeBase: async () => 'sha1',
      blobIdAt: async () => null,
    }
    return {
      repository,
      findProject: async () => null,
      fetchRemote: async (url) => (url in remote ? { ok: true, body: remote[url] } : { ok: false, reason: 'http', status: 404 }),
      serverHost: 'gitlab.example.com',
    }
  }
  const resolve = (ci: string, files: Record<string, string>, remote?: Record<string, string>) =>
    resolveCiConfig(ci, { variables: PUSH_MAIN, sources: sources(files, remote), project, sha: 'sha1' })

  it('T12: deep merge, arrays replaced, the including file on top', async () => {
    const common = 'variables: {A: common, B: common}\ntest: {script: [echo common], artifacts: {reports: {dotenv: d.env}}}\n'
    const result = await resolve('include: ci/common.yml\nvariables: {A: main}\ntest: {script: [echo main], artifacts: {reports: {junit: r.xml}}}\n', { 'ci/common.yml': common })
    expect(result).toMatchObject({
      ok: true,
      pipeline: {
        variables: [{ key: 'A', value: 'main' }, { key: 'B', value: 'common' }],
        jobs: [{ options: { script: ['echo main'], artifacts: { reports: { dotenv: ['d.env'], junit: ['r.xml'] } } } }],
      },
    })
  })

  it('remote includes and their HTTP errors; variables in locations (unknown ones become "")', async () => {
    const remote = { 'https://example.com/ci.yml': 'lint: {script: lint}\n' }
    expect(await resolve('include: https://example.com/ci.yml\ntest: {script: x}', {}, remote)).toMatchObject({ ok: true, pipeline: { jobs: [{ name: 'lint' }, { name: 'test' }] } })
    expect(await resolve('include: https://example.com/missing.yml\ntest: {script: x}', {}, remote)).toEqual({
      ok: false, errors: ['Remote file `https://example.com/missing.yml` could not be fetched because of HTTP code `404` error!'],
    })
    expect(await resolve('include: {local: "ci/x$NOPE.yml"}\ntest: {script: x}', {})).toEqual({ ok: false, errors: ['Local file `ci/x.yml` does not exist!'] })
    // A local include inside a remote file has no project to read from.
    expect(await resolve('include: https://example.com/nested.yml\ntest: {script: x}', {}, { 'https://example.com/nested.yml': 'include: a.yml\n' })).toEqual({
      ok: false, errors: ['Local file `a.yml` does not have project!'],
    })
  })

  it('!reference and extends across included files', async () => {
    const result = await resolve('include: ci/base.yml\ntest: {extends: .base, script: [!reference [.setup, script], run]}', {
      'ci/base.yml': '.base: {image: ruby}\n.setup: {script: [bundle]}\n',
    })
    expect(result).toMatchObject({ ok: true, pipeline: { jobs: [{ options: { image: { name: 'ruby' }, script: ['bundle', 'run'] } }] } })
  })
})

describe('remote fetch bounds', () => {
  it('blocks loopback, private and link-local addresses as written', () => {
    expect(blockedReason('localhost')).toBe('Requests to localhost are not allowed')
    expect(blockedReason('[::1]')).toBe('Requests to localhost are not allowed')
    expect(blockedReason('192.168.1.2')).toBe('Requests to the local network are not allowed')
    expect(blockedReason('169.254.169.254')).toBe('Requests to the link local network are not allowed')
    expect(blockedReason('gitlab.com')).toBeNull()
  })

  it('refuses bodies over 1 MiB and reports HTTP errors and timeouts', async () => {
    const big = async () => new Response('x'.repeat(1024 * 1024 + 1))
    expect(await fetchRemote('https://example.com/a.yml', { fetch: big as typeof fetch })).toEqual({ ok: false, reason: 'too_big' })
    const missing = async () => new Response('no', { status: 404 })
    expect(await fetchRemote('https://example.com/a.yml', { fetch: missing as typeof fetch })).toEqual({ ok: false, reason: 'http', status: 404 })
    const slow = async () => {
      throw new DOMException('timed out', 'TimeoutError')
    }
    expect(await fetchRemote('https://example.com/a.yml', { fetch: slow as unknown as typeof fetch })).toEqual({ ok: false, reason: 'timeout' })
    expect(await fetchRemote('http://127.0.0.1/a.yml', {})).toMatchObject({ ok: false, reason: 'blocked' })
    // A redirect to a private address is refused like the address itself.
    const redirect = async () => new Response(null, { status: 302, headers: { location: 'http://10.0.0.1/secret.yml' } })
    expect(await fetchRemote('https://example.com/a.yml', { fetch: redirect as typeof fetch })).toEqual({
      ok: false, reason: 'blocked', detail: 'URL is blocked: Requests to the local network are not allowed',
    })
    const hops: string[] = []
    const follow = async (url: string) => {
      hops.push(url)
      return url.endsWith('/a.yml') ? new Response(null, { status: 301, headers: { location: '/b.yml' } }) : new Response('b: {script: x}')
    }
    expect(await fetchRemote('https://example.com/a.yml', { fetch: follow as unknown as typeof fetch })).toEqual({ ok: true, body: 'b: {script: x}' })
    expect(hops).toEqual(['https://example.com/a.yml', 'https://example.com/b.yml'])
  })
})
