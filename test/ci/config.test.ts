import { describe, expect, it } from 'vitest'
import { MAX_CI_CONFIG_BYTES, parseCiConfig } from '../../src/ci/config/parse'
import type { JobDefinition, PipelineDefinition } from '../../src/ci/types'

const CONTEXT = { CI_COMMIT_BRANCH: 'main', CI_COMMIT_REF_NAME: 'main', CI_PIPELINE_SOURCE: 'push' }

/** Template literal to YAML: drops the first newline and the common indentation. */
function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings.raw }, ...values).replace(/^\n/, '')
  const indent = Math.min(...text.split('\n').filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length))
  return text
    .split('\n')
    .map((line) => line.slice(indent))
    .join('\n')
}

function pipeline(source: string, variables: Record<string, string> = CONTEXT): PipelineDefinition {
  const result = parseCiConfig(source, { variables })
  if (!result.ok) throw new Error(`unexpected errors: ${result.errors.join(' | ')}`)
  return result.pipeline
}

function job(source: string, name: string, variables?: Record<string, string>): JobDefinition {
  const found = pipeline(source, variables).jobs.find((candidate) => candidate.name === name)
  if (!found) throw new Error(`no job ${name}`)
  return found
}

function errors(source: string, variables: Record<string, string> = CONTEXT): string[] {
  const result = parseCiConfig(source, { variables })
  if (result.ok) throw new Error('expected errors, got a pipeline')
  return result.errors
}

describe('a realistic three-stage config', () => {
  const source = yaml`
    stages: [build, test, deploy]
    variables:
      NODE_ENV: production
      RETRIES: 3
      VERBOSE: true
      REGION: { value: eu-west-1, description: Where to deploy }
    default:
      image: node:22
      tags: [docker]
      retry: 1
      before_script: [npm ci]
    compile:
      stage: build
      script: npm run build
      artifacts:
        paths: [dist/]
        expire_in: 1 week
    unit:
      stage: test
      script: [npm test]
      needs: [compile]
      coverage: '/Lines\s*:\s*(\d+\.?\d*)%/'
      artifacts:
        reports: { junit: junit.xml }
    lint:
      stage: test
      script: npm run lint
      allow_failure: true
    production:
      stage: deploy
      script: ./deploy.sh
      when: manual
      variables: { TARGET: prod }
  `

  it('produces the pipeline definition', () => {
    const options = { before_script: ['npm ci'], image: { name: 'node:22' }, retry: { max: 1, when: ['always'], exitCodes: [] } }
    const expected: PipelineDefinition = {
      stages: ['.pre', 'build', 'test', 'deploy', '.post'],
      variables: [
        { key: 'NODE_ENV', value: 'production' },
        { key: 'RETRIES', value: '3' },
        { key: 'VERBOSE', value: 'true' },
        { key: 'REGION', value: 'eu-west-1' },
      ],
      jobs: [
        {
          name: 'compile', stage: 'build', stageIdx: 1, kind: 'build', when: 'on_success', allowFailure: false, needs: null,
          tags: ['docker'], variables: [],
          options: {
            ...options, script: ['npm run build'],
            artifacts: { paths: ['dist/'], exclude: [], untracked: false, when: 'on_success', expire_in: '1 week', reports: {} },
          },
        },
        {
          name: 'unit', stage: 'test', stageIdx: 2, kind: 'build', when: 'on_success', allowFailure: false,
          needs: [{ name: 'compile', artifacts: true, optional: false }], tags: ['docker'], variables: [],
          coverageRegex: 'Lines\\s*:\\s*(\\d+\\.?\\d*)%',
          options: {
            ...options, script: ['npm test'],
            artifacts: { paths: [], exclude: [], untracked: false, when: 'on_success', reports: { junit: ['junit.xml'] } },
          },
        },
        {
          name: 'lint', stage: 'test', stageIdx: 2, kind: 'build', when: 'on_success', allowFailure: true, needs: null,
          tags: ['docker'], variables: [], options: { ...options, script: ['npm run lint'] },
        },
        {
          name: 'production', stage: 'deploy', stageIdx: 3, kind: 'build', when: 'manual', allowFailure: true, needs: null,
          tags: ['docker'], variables: [{ key: 'TARGET', value: 'prod' }], options: { ...options, script: ['./deploy.sh'] },
        },
      ],
    }
    expect(pipeline(source)).toEqual(expected)
  })
})

describe('stages', () => {
  it.each([
    ['no stages: GitLab defaults', 'job: { script: x }', ['.pre', 'build', 'test', 'deploy', '.post']],
    ['listed stages are wrapped', 'stages: [a, b]\njob: { script: x, stage: a }', ['.pre', 'a', 'b', '.post']],
    ['.pre and .post keep their places', 'stages: [.post, a, .pre]\njob: { script: x, stage: a }', ['.pre', 'a', '.post']],
    ['nested stage lists flatten', 'stages: [a, [b, c]]\njob: { script: x, stage: c }', ['.pre', 'a', 'b', 'c', '.post']],
  ])('%s', (_, source, stages) => {
    expect(pipeline(source).stages).toEqual(stages)
  })

  it('stageIdx is the index in the final stages', () => {
    const source = yaml`
      stages: [one, two]
      first: { stage: .pre, script: x }
      second: { stage: two, script: x }
      last: { stage: .post, script: x }
      default_stage: { script: x, stage: one }
    `
    expect(pipeline(source).jobs.map((definition) => [definition.name, definition.stageIdx])).toEqual([
      ['first', 0], ['second', 2], ['last', 3], ['default_stage', 1],
    ])
  })

  it('a job without stage runs in test', () => {
    expect(job('job: { script: x }', 'job')).toMatchObject({ stage: 'test', stageIdx: 2 })
  })
})

describe('job keywords', () => {
  it.each<[string, string, Partial<JobDefinition>]>([
    ['script flattens nested arrays', 'job: { script: [a, [b, [c]]] }', { options: { script: ['a', 'b', 'c'] } }],
    ['before_script and after_script', 'job: { script: x, before_script: b, after_script: [[a1], a2] }',
      { options: { before_script: ['b'], script: ['x'], after_script: ['a1', 'a2'] } }],
    ['image as a string', 'job: { script: x, image: "ruby:3" }', { options: { script: ['x'], image: { name: 'ruby:3' } } }],
    ['image as a hash', 'job: { script: x, image: { name: ruby, entrypoint: [""], pull_policy: [always, if-not-present] } }',
      { options: { script: ['x'], image: { name: 'ruby', entrypoint: [''], pull_policy: ['always', 'if-not-present'] } } }],
    ['services as names and hashes', 'job: { script: x, services: [redis, { name: "postgres:16", alias: db, command: [postgres], entrypoint: [sh] }] }',
      { options: { script: ['x'], services: [{ name: 'redis' }, { name: 'postgres:16', alias: 'db', command: ['postgres'], entrypoint: ['sh'] }] } }],
    ['job variables are job-level only', 'variables: { G: g }\njob: { script: x, variables: { A: 1, B: { value: b, expand: false } } }',
      { variables: [{ key: 'A', value: '1' }, { key: 'B', value: 'b', raw: true }] }],
    ['tags', 'job: { script: x, tags: [linux, docker] }', { tags: ['linux', 'docker'] }],
    ['timeout in seconds', 'job: { script: x, timeout: 1h 30m }', { timeout: 5400 }],
    ['interruptible', 'job: { script: x, interruptible: true }', { options: { script: ['x'], interruptible: true } }],
    ['coverage keeps the regex without slashes', 'job: { script: x, coverage: "/total: (\\\\d+)%/" }', { coverageRegex: 'total: (\\d+)%' }],
    ['dependencies', 'a: { stage: build, script: x }\njob: { script: x, dependencies: [a] }', { options: { script: ['x'], dependencies: ['a'] } }],
    ['when: always', 'job: { script: x, when: always }', { when: 'always', allowFailure: false }],
    ['when: on_failure', 'job: { script: x, when: on_failure }', { when: 'on_failure' }],
    ['manual jobs may fail by default', 'job: { script: x, when: manual }', { when: 'manual', allowFailure: true }],
    ['a manual job with allow_failure: false blocks', 'job: { script: x, when: manual, allow_failure: false }', { when: 'manual', allowFailure: false }],
    ['allow_failure: true', 'job: { script: x, allow_failure: true }', { allowFailure: true }],
    ['YAML 1.1 booleans', 'job: { script: x, allow_failure: yes }', { allowFailure: true }],
    ['allow_failure exit codes', 'job: { script: x, when: manual, allow_failure: { exit_codes: 137 } }',
      { allowFailure: false, options: { script: ['x'], allow_failure_exit_codes: [137] } }],
    ['delayed with start_in', 'job: { script: x, when: delayed, start_in: 30 minutes }',
      { when: 'delayed', options: { script: ['x'], start_in: '30 minutes' } }],
    ['retry as an integer', 'job: { script: x, retry: 2 }', { options: { script: ['x'], retry: { max: 2, when: ['always'], exitCodes: [] } } }],
    ['retry as a hash', 'job: { script: x, retry: { max: 1, when: [runner_system_failure, script_failure] } }',
      { options: { script: ['x'], retry: { max: 1, when: ['runner_system_failure', 'script_failure'], exitCodes: [] } } }],
    ['retry on exit codes only', 'job: { script: x, retry: { max: 2, exit_codes: [1, 137] } }',
      { options: { script: ['x'], retry: { max: 2, when: [], exitCodes: [1, 137] } } }],
  ])('%s', (_, source, expected) => {
    expect(job(source, 'job')).toMatchObject(expected)
  })

  it('artifacts keep every supported key', () => {
    const source = yaml`
      job:
        script: x
        artifacts:
          name: $CI_JOB_NAME
          paths: [out/]
          exclude: [out/*.tmp]
          untracked: true
          when: always
          expire_in: never
          reports: { junit: [a.xml, b.xml] }
    `
    expect(job(source, 'job').options.artifacts).toEqual({
      name: '$CI_JOB_NAME', paths: ['out/'], exclude: ['out/*.tmp'], untracked: true, when: 'always', expire_in: 'never',
      reports: { junit: ['a.xml', 'b.xml'] },
    })
  })

  it.each([
    ['one hash with defaults', 'cache: { paths: [node_modules/] }',
      [{ key: 'default', paths: ['node_modules/'], untracked: false, policy: 'pull-push', when: 'on_success', fallback_keys: [] }]],
    ['an array of hashes', 'cache: [{ key: a, paths: [x], policy: pull }, { key: b, untracked: true, when: always, fallback_keys: [main] }]',
      [
        { key: 'a', paths: ['x'], untracked: false, policy: 'pull', when: 'on_success', fallback_keys: [] },
        { key: 'b', paths: [], untracked: true, policy: 'pull-push', when: 'always', fallback_keys: ['main'] },
      ]],
  ])('cache: %s', (_, cache, expected) => {
    expect(job(`job:\n  script: x\n  ${cache}`, 'job').options.cache).toEqual(expected)
  })

  it('needs: names, hashes and an empty list', () => {
    const source = yaml`
      a: { stage: build, script: x }
      b: { stage: build, script: x }
      dag: { script: x, needs: [a, { job: b, artifacts: false }, { job: c, optional: true }] }
      start: { script: x, needs: [] }
      staged: { script: x }
    `
    const jobs = pipeline(source).jobs
    expect(jobs.find((definition) => definition.name === 'dag')!.needs).toEqual([
      { name: 'a', artifacts: true, optional: false },
      { name: 'b', artifacts: false, optional: false },
    ])
    expect(jobs.find((definition) => definition.name === 'start')!.needs).toEqual([])
    expect(jobs.find((definition) => definition.name === 'staged')!.needs).toBeNull()
  })

  it('jobs keep config order and hidden jobs never become jobs', () => {
    const source = 'zeta: { script: x }\n.hidden: { script: x }\nalpha: { script: x }\nmid: { script: x }'
    expect(pipeline(source).jobs.map((definition) => definition.name)).toEqual(['zeta', 'alpha', 'mid'])
  })
})

describe('default: and inheritance', () => {
  it('jobs inherit default entries they do not set', () => {
    const source = yaml`
      default:
        image: alpine
        services: [redis]
        before_script: [setup]
        after_script: [cleanup]
        tags: [shared]
        timeout: 2h
        retry: { max: 2 }
        interruptible: true
        cache: { key: k, paths: [c/] }
        artifacts: { paths: [log/] }
      inherits: { script: x }
      overrides: { script: x, image: debian, tags: [own], timeout: 10m, interruptible: false }
    `
    const inherits = job(source, 'inherits')
    expect(inherits.tags).toEqual(['shared'])
    expect(inherits.timeout).toBe(7200)
    expect(inherits.options).toMatchObject({
      image: { name: 'alpine' }, services: [{ name: 'redis' }], before_script: ['setup'], after_script: ['cleanup'],
      retry: { max: 2, when: ['always'], exitCodes: [] }, interruptible: true, cache: [{ key: 'k', paths: ['c/'] }],
      artifacts: { paths: ['log/'] },
    })
    const overrides = job(source, 'overrides')
    expect(overrides).toMatchObject({ tags: ['own'], timeout: 600, options: { image: { name: 'debian' }, interruptible: false } })
  })

  it('deprecated top-level image, services, scripts and cache act as defaults', () => {
    const source = 'image: alpine\nbefore_script: [a]\ncache: { paths: [c] }\njob: { script: x }'
    expect(job(source, 'job').options).toMatchObject({ image: { name: 'alpine' }, before_script: ['a'], cache: [{ paths: ['c'] }] })
  })

  it('bridges inherit nothing', () => {
    const source = 'default: { image: alpine, tags: [t] }\nbuild: { script: x }\nchild: { trigger: a/b }'
    expect(job(source, 'child')).toMatchObject({ tags: [], options: { trigger: { project: 'a/b' } } })
  })
})

describe('extends and YAML anchors', () => {
  it('extends merges hashes deeply, replaces arrays, and works over several levels', () => {
    const source = yaml`
      .base:
        image: alpine
        variables: { A: base, B: base }
        script: [base]
        tags: [one]
      .middle:
        extends: .base
        variables: { B: middle, C: middle }
      job:
        extends: .middle
        variables: { C: job }
        tags: [two]
    `
    expect(job(source, 'job')).toMatchObject({
      variables: [{ key: 'A', value: 'base' }, { key: 'B', value: 'middle' }, { key: 'C', value: 'job' }],
      tags: ['two'],
      options: { script: ['base'], image: { name: 'alpine' } },
    })
  })

  it('extends with an array applies bases in order', () => {
    const source = '.a: { script: [a], stage: build }\n.b: { script: [b] }\njob: { extends: [.a, .b] }'
    expect(job(source, 'job')).toMatchObject({ stage: 'build', options: { script: ['b'] } })
  })

  it('a visible job can be a base too', () => {
    const source = 'one: { script: [x], stage: build }\ntwo: { extends: one }'
    expect(job(source, 'two')).toMatchObject({ stage: 'build', options: { script: ['x'] } })
  })

  it('anchors, aliases and merge keys', () => {
    const source = yaml`
      .defaults: &defaults
        stage: build
        tags: [docker]
      .script: &script [make]
      job1:
        <<: *defaults
        script: *script
      job2: { <<: *defaults, script: [*script, check], stage: test }
    `
    const [job1, job2] = pipeline(source).jobs
    expect(job1).toMatchObject({ stage: 'build', tags: ['docker'], options: { script: ['make'] } })
    expect(job2).toMatchObject({ stage: 'test', tags: ['docker'], options: { script: ['make', 'check'] } })
  })

  it('an alias of a hash without script is no job', () => {
    expect(errors('.defaults: &defaults { stage: build }\njob: *defaults\nok: { script: x }')).toEqual([
      'jobs job config should implement the script:, run:, or trigger: keyword',
    ])
  })

  it('reads YAML the way Psych does: yes/no/on/off are booleans, y, n and .e1 are strings', () => {
    const source = 'variables: { A: y, B: n, C: On, D: NO, E: "yes", F: 0777, G: 1:30 }\n.e1: { script: x }\njob: { extends: .e1 }'
    expect(pipeline(source).variables.map((variable) => variable.value)).toEqual(['y', 'n', 'true', 'false', 'yes', '777', '1:30'])
  })
})

describe('trigger', () => {
  it.each([
    ['a project path', 'trigger: group/project', { project: 'group/project' }],
    ['a project with branch, strategy and forward', 'trigger: { project: g/p, branch: main, strategy: depend, forward: { pipeline_variables: true } }',
      { project: 'g/p', branch: 'main', strategy: 'depend', forward: { yaml_variables: true, pipeline_variables: true } }],
    ['a child pipeline from a path', 'trigger: { include: ci/child.yml }', { include: 'ci/child.yml' }],
    ['a child pipeline from a local include', 'trigger: { include: [{ local: ci/child.yml }], strategy: depend }',
      { include: 'ci/child.yml', strategy: 'depend' }],
  ])('%s', (_, trigger, expected) => {
    const bridge = job(`bridge:\n  stage: deploy\n  ${trigger}`, 'bridge')
    expect(bridge).toMatchObject({ kind: 'bridge', stage: 'deploy', when: 'on_success', tags: [] })
    expect(bridge.options).toEqual({ trigger: expected })
  })

  it('a manual bridge may fail by default', () => {
    expect(job('bridge: { trigger: g/p, when: manual }', 'bridge')).toMatchObject({ when: 'manual', allowFailure: true })
  })
})

describe('rules', () => {
  const source = yaml`
    variables: { DEPLOY: "no" }
    job:
      script: x
      variables: { LEVEL: high }
      rules:
        - if: $CI_PIPELINE_SOURCE == "schedule"
          when: never
        - if: $LEVEL == "high" && $CI_COMMIT_BRANCH == "main"
          when: manual
          variables: { LEVEL: max, EXTRA: yes }
        - if: $DEPLOY == "yes"
          allow_failure: true
          when: delayed
          start_in: 5 minutes
        - when: on_success
  `

  it.each<[string, Record<string, string>, Partial<JobDefinition> | null]>([
    ['a when: never rule keeps the job out', { ...CONTEXT, CI_PIPELINE_SOURCE: 'schedule' }, null],
    ['the first matching rule wins; job variables are visible to if', CONTEXT,
      { when: 'manual', allowFailure: false, variables: [{ key: 'LEVEL', value: 'max' }, { key: 'EXTRA', value: 'true' }] }],
    ['pipeline variables override YAML variables', { CI_COMMIT_BRANCH: 'dev', DEPLOY: 'yes' },
      { when: 'delayed', allowFailure: true, options: { script: ['x'], start_in: '5 minutes' } }],
    ['a rule without if always matches', { CI_COMMIT_BRANCH: 'dev' }, { when: 'on_success', allowFailure: false }],
  ])('%s', (_, variables, expected) => {
    const found = pipeline(`${source}\nother: { script: y }`, variables).jobs.find((definition) => definition.name === 'job')
    if (expected === null) expect(found).toBeUndefined()
    else expect(found).toMatchObject(expected)
  })

  it('no matching rule keeps the job out', () => {
    const names = pipeline('a: { script: x, rules: [{ if: $NOPE }] }\nb: { script: x }').jobs.map((definition) => definition.name)
    expect(names).toEqual(['b'])
  })

  it('a rule without when uses the job when, and its allow_failure', () => {
    expect(job('job: { script: x, when: manual, rules: [{ if: $CI_COMMIT_BRANCH }] }', 'job')).toMatchObject({ when: 'manual', allowFailure: true })
  })

  it('rules nest in arrays (YAML !reference style lists)', () => {
    const source = '.r: &r [{ if: $NOPE }]\njob: { script: x, rules: [*r, { when: always }] }'
    expect(job(source, 'job')).toMatchObject({ when: 'always' })
  })

  it('an optional need of a job left out is dropped', () => {
    const source = yaml`
      build: { stage: build, script: x, rules: [{ if: $NOPE }] }
      test: { script: x, needs: [{ job: build, optional: true }] }
    `
    expect(job(source, 'test').needs).toEqual([])
  })

  it('a required need of a job left out fails the pipeline', () => {
    const source = 'build: { stage: build, script: x, rules: [{ if: $NOPE }] }\ntest: { script: x, needs: [build] }'
    expect(errors(source)).toEqual([
      "'test' job needs 'build' job, but 'build' does not exist in the pipeline. This might be because of the only, except, " +
        'or rules keywords. To need a job that sometimes does not exist in the pipeline, use needs:optional.',
    ])
  })

  it('a delayed rule sets start_in', () => {
    const source = 'job: { script: x, rules: [{ if: $CI_COMMIT_BRANCH, when: delayed, start_in: 2 hours }] }'
    expect(job(source, 'job')).toMatchObject({ when: 'delayed', options: { start_in: '2 hours' } })
  })

  it('a rule can make a job interruptible', () => {
    expect(job('job: { script: x, rules: [{ interruptible: true }] }', 'job').options.interruptible).toBe(true)
  })

  it('a pipeline of only .pre and .post jobs is refused', () => {
    expect(errors('setup: { stage: .pre, script: x }\nreport: { stage: .post, script: x }')).toEqual([
      'Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline.',
    ])
  })

  it('a pipeline whose rules keep every job out is refused', () => {
    expect(errors('job: { script: x, rules: [{ when: never }] }')).toEqual([
      'Pipeline will not run for the selected trigger. The rules configuration prevented any jobs from being added to the pipeline.',
    ])
  })
})

describe('workflow: rules', () => {
  const source = yaml`
    variables: { MODE: normal }
    workflow:
      rules:
        - if: $CI_COMMIT_BRANCH =~ /^wip-/
          when: never
        - if: $CI_COMMIT_BRANCH
          variables: { MODE: branch }
    job: { script: x }
  `

  it.each([
    ['a when: never rule filters the pipeline', { CI_COMMIT_BRANCH: 'wip-1' }],
    ['no matching rule filters the pipeline', { CI_PIPELINE_SOURCE: 'web' }],
  ])('%s', (_, variables) => {
    expect(errors(source, variables)).toEqual(['Pipeline filtered out by workflow rules.'])
  })

  it('a matching rule runs the pipeline with its variables', () => {
    expect(pipeline(source).variables).toEqual([{ key: 'MODE', value: 'branch' }])
  })
})

describe('invalid configs create nothing', () => {
  it.each<[string, string, string[]]>([
    ['empty source', '', ['Please provide content of .gitlab-ci.yml']],
    ['a non-mapping root', 'just a string', ['Invalid configuration format']],
    ['a list root', '- a\n- b', ['Invalid configuration format']],
    ['an unknown alias', 'job: *nope', ['Unknown alias: nope']],
    ['unknown stage', 'build: { script: x, stage: foo }', ['build job: chosen stage foo does not exist; available stages are .pre, build, test, deploy, .post']],
    ['needs on a missing job', 'test: { script: x, needs: [build] }', ['test job: undefined need: build']],
    ['needs on a later stage', 'test: { script: x, needs: [deploy] }\ndeploy: { stage: deploy, script: x }',
      ['test job: need deploy is not defined in current or prior stages']],
    ['a dependency on a missing job', 'test: { script: x, dependencies: [build] }', ['test job: undefined dependency: build']],
    ['a dependency on a later stage', 'test: { script: x, dependencies: [deploy] }\ndeploy: { stage: deploy, script: x }',
      ['test job: dependency deploy is not defined in current or prior stages']],
    ['a dependency outside needs', 'a: { stage: build, script: x }\nb: { stage: build, script: x }\ntest: { script: x, needs: [a], dependencies: [a, b] }',
      ['jobs:test dependencies the b should be part of needs']],
    ['duplicated needs', 'a: { stage: build, script: x }\ntest: { script: x, needs: [a, { job: a }] }', ['test has the following needs duplicated: a.']],
    ['circular needs', 'job_a: { script: x, needs: [job_c] }\njob_b: { script: x, needs: [job_a] }\njob_c: { script: x, needs: [job_b] }',
      ['The pipeline has circular dependencies: topological sort failed: ["job_a", "job_c", "job_b"]']],
    ['a job needing itself', 'job_0: { script: x }\njob: { script: x, needs: [job_0, job] }', ['The pipeline has circular dependencies: self-dependency: job']],
    ['no visible job', '.hidden: { script: x }', ['jobs config should contain at least one visible job']],
    ['a job without script', 'build: { stage: build }',
      ['jobs build config should implement the script:, run:, or trigger: keyword', 'jobs config should contain at least one visible job']],
    ['a job name with spaces, in lower case (GitLab downcases)', 'Build Job: { stage: build }\nok: { script: x }',
      ['jobs build_job config should implement the script:, run:, or trigger: keyword']],
    ['a blank script', 'build: { script: [] }', ["jobs:build script can't be blank"]],
    ['a script of the wrong type', 'build: { script: 42 }', ['jobs:build:script config should be a string or a nested array of strings up to 10 levels deep']],
    ['a too deeply nested script', `build: { script: ${'['.repeat(11)}x${']'.repeat(11)} }`,
      ['jobs:build:script config should be a string or a nested array of strings up to 10 levels deep']],
    ['when: never at job level', 'build: { script: x, when: never }', ['jobs:build when should be one of: on_success, on_failure, always, manual, delayed']],
    ['an unknown when', 'build: { script: x, when: later }', ['jobs:build when should be one of: on_success, on_failure, always, manual, delayed']],
    ['a delayed bridge', 'b: { trigger: g/p, when: delayed }', ['jobs:b when should be one of: on_success, on_failure, always, manual']],
    ['allow_failure of the wrong type', 'build: { script: x, allow_failure: maybe }', ['jobs:build allow failure should be a hash or a boolean value']],
    ['allow_failure exit codes of the wrong type', 'build: { script: x, allow_failure: { exit_codes: one } }',
      ['jobs:build:allow_failure exit codes should be an array of integers or an integer']],
    ['allow_failure hash on a bridge', 'b: { trigger: g/p, allow_failure: { exit_codes: 1 } }', ['jobs:b allow failure should be a boolean value']],
    ['retry max above 2', 'build: { script: x, retry: { max: 3 } }', ['jobs:build:retry max must be less than or equal to 2']],
    ['retry integer above 2', 'build: { script: x, retry: 5 }', ['jobs:build:retry config must be less than or equal to 2']],
    ['negative retry', 'build: { script: x, retry: -1 }', ['jobs:build:retry config must be greater than or equal to 0']],
    ['retry when with unknown reasons', 'build: { script: x, retry: { max: 1, when: [script_failure, flaky] } }',
      ['jobs:build:retry when contains unknown values: flaky']],
    ['retry of the wrong type', 'build: { script: x, retry: often }', ['jobs:build:retry config has to be either an integer or a hash']],
    ['unknown keys', 'build: { script: x, foo: 1, bar: 2 }', ['jobs:build config contains unknown keys: foo, bar']],
    ['an environment name GitLab refuses (T19)', 'deploy: { script: x, environment: "production:eu" }',
      ["jobs:deploy:environment name can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'"]],
    ['a resource group of the wrong type', 'build: { script: x, resource_group: [a] }', ['jobs:build resource group should be a string']],
    ['unknown default keys', 'default: { hooks: {}, foo: 1 }\nbuild: { script: x }', ['default config contains unknown keys: foo']],
    ['trigger next to script', 'build: { script: x, trigger: g/p }', ['jobs:build config contains unknown keys: trigger']],
    ['script on a bridge is not a thing: image is unknown there', 'b: { trigger: g/p, image: alpine }', ['jobs:b config contains unknown keys: image']],
    ['a bad trigger strategy', 'b: { trigger: { project: g/p, strategy: wait } }', ['jobs:b:trigger strategy should be depend']],
    ['a trigger of the wrong type', 'b: { trigger: [g/p] }', ['jobs:b:trigger has to be either a string or a hash']],
    ['a child pipeline of too many files', 'b: { trigger: { include: [a.yml, b.yml, c.yml, d.yml] } }',
      ['jobs:b:trigger:include config must contain between 1 and 3 includes']],
    ['a forward flag of the wrong type', 'b: { trigger: { project: g/p, forward: { yaml_variables: sometimes } } }',
      ['jobs:b:trigger:forward yaml variables should be a boolean value']],
    ['start_in without delayed', 'build: { script: x, start_in: 1 hour }', ['jobs:build start in must be blank']],
    ['delayed without start_in', 'build: { script: x, when: delayed }', ['jobs:build start in should be a duration', 'jobs:build start in should not exceed the limit']],
    ['start_in above one week', 'build: { script: x, when: delayed, start_in: 8 days }', ['jobs:build start in should not exceed the limit']],
    ['start_in next to rules', 'build: { script: x, start_in: 1 hour, rules: [{ when: delayed, start_in: 1 hour }] }',
      ['jobs:build config key may not be used with `rules`: start_in', 'jobs:build start in must be blank']],
    ['a delayed job with rules takes start_in from a rule', 'build: { script: x, when: delayed, rules: [{ if: $A }] }',
      ['jobs:build start in should be a duration', 'jobs:build start in should not exceed the limit']],
    ['circular extends', '.a: { extends: .b }\n.b: { extends: .a }\njob: { extends: .a, script: x }', ['.a: circular dependency detected in `extends`']],
    ['extends of a missing entry', 'job: { extends: .nope, script: x }', ['job: unknown keys in `extends` (.nope)']],
    ['extends of a non-hash', '.list: [a]\njob: { extends: .list, script: x }', ['job: invalid base hashes in `extends` (.list)']],
    ['extends nested too deep', `${Array.from({ length: 12 }, (_, i) => `.e${i}: { extends: .e${i + 1} }`).join('\n')}\n.e12: { script: x }\njob: { extends: .e0 }`,
      ['.e11: nesting too deep in `extends`']],
    ['an invalid coverage regex', 'build: { script: x, coverage: "/(unclosed/" }', ['jobs:build:coverage config must be a regular expression with re2 syntax']],
    ['a lookbehind in coverage (not RE2)', 'build: { script: x, coverage: "/(?<=total )\\\\d+/" }', ['jobs:build:coverage config must be a regular expression with re2 syntax']],
    ['coverage without slashes', 'build: { script: x, coverage: "total" }', ['jobs:build:coverage config must be a regular expression with re2 syntax']],
    ['artifacts when of the wrong value', 'build: { script: x, artifacts: { when: sometimes } }', ['jobs:build:artifacts when should be one of: on_success, on_failure, always']],
    ['artifacts expire_in that is no duration', 'build: { script: x, artifacts: { expire_in: 7 elephants } }', ['jobs:build:artifacts expire in should be a duration']],
    ['artifacts paths of the wrong type', 'build: { script: x, artifacts: { paths: dist } }', ['jobs:build:artifacts paths should be an array of strings']],
    ['unknown artifact reports', 'build: { script: x, artifacts: { reports: { dotenvs: a.env } } }',
      ['jobs:build:artifacts:reports config contains unknown keys: dotenvs']],
    // lib/gitlab/ci/config/entry/reports.rb: `validates :dotenv, array_of_strings_or_string: true`
    ['dotenv reports of the wrong type', 'build: { script: x, artifacts: { reports: { dotenv: { a: b } } } }',
      ['jobs:build:artifacts:reports dotenv should be an array of strings or a string']],
    // lib/gitlab/ci/config/entry/cache.rb: `entry :unprotect, Entry::Boolean`
    ['a cache unprotect that is no boolean', 'build: { script: x, cache: { key: k, unprotect: maybe } }',
      ['jobs:build:cache:unprotect config should be a boolean value']],
    ['a cache key with a slash', 'build: { script: x, cache: { key: a/b } }', ['jobs:build:cache:key config cannot contain the "/" character']],
    ['a cache key from too many files', 'build: { script: x, cache: { key: { files: [a, b, c] } } }',
      ['jobs:build:cache:key:files config has too many items (maximum is 2)']],
    ['a bad cache policy (T20)', 'build: { script: x, cache: { policy: pul } }', ['jobs:build:cache policy should be a variable or one of: pull-push, pull, push']],
    ['too many caches', 'build: { script: x, cache: [{}, {}, {}, {}, {}] }', ['jobs:build:cache config no more than 4 caches can be created']],
    ['tags of the wrong type', 'build: { script: x, tags: linux }', ['jobs:build:tags config should be an array of strings']],
    ['a timeout that is no duration', 'build: { script: x, timeout: 5 parsecs }',
      ['jobs:build:timeout config should be a duration', 'jobs:build:timeout config should not exceed the limit']],
    ['a timeout above a month', 'build: { script: x, timeout: 2 months }', ['jobs:build:timeout config should not exceed the limit']],
    ['an image of the wrong type', 'build: { script: x, image: [alpine] }', ['jobs:build:image config should be a hash or a string']],
    ['services that are no list', 'build: { script: x, services: redis }', ['jobs:build:services config should be a array']],
    ['a variable of the wrong type', 'variables: { LIST: [a] }\nbuild: { script: x }', ['variable definition must be either a string or a hash']],
    ['variables that are no hash', 'build: { script: x, variables: [A] }', ['jobs:build:variables config should be a hash']],
    ['a description on a job variable', 'build: { script: x, variables: { A: { value: a, description: d } } }',
      ['jobs:build:variables:a config uses invalid data keys: description']],
    ['stages of the wrong type', 'stages: build\nbuild: { script: x }', ['stages config should be an array of strings or a nested array of strings up to 10 levels deep']],
    ['needs of the wrong type', 'build: { script: x, needs: a }', ['jobs:build:needs config can only be a hash or an array']],
    ['needs from another project', 'build: { script: x, needs: [{ project: g/p, job: a, ref: main }] }',
      ['jobs:build:needs:need config uses unsupported keys: project, ref (edgejobs does not support them: it does not fetch artifacts of other projects\' or pipelines\' jobs)']],
    ['rules that are no list', 'build: { script: x, rules: { if: $A } }', ['jobs:build rules should be an array containing hashes and arrays of hashes']],
    ['a rule if with invalid syntax', 'build: { script: x, rules: [{ if: "$A = 1" }] }', ['jobs:build:rules:rule if invalid expression syntax']],
    ['a rule when of the wrong value', 'build: { script: x, rules: [{ when: later }] }', ['jobs:build:rules:rule when unknown value: later']],
    ['a delayed rule without start_in', 'build: { script: x, rules: [{ when: delayed }] }',
      ["jobs:build:rules:rule start in can't be blank", 'jobs:build:rules:rule start in should be a duration', 'jobs:build:rules:rule start in should not exceed the limit']],
    ['start_in in a rule that is not delayed', 'build: { script: x, rules: [{ when: manual, start_in: 1h }] }', ['jobs:build:rules:rule config contains disallowed keys: start_in']],
    ['rules:changes of the wrong type', 'build: { script: x, rules: [{ changes: a }] }', ['jobs:build:rules:rule:changes should be an array or a hash']],
    ['workflow with unknown keys', 'workflow: { rules: [{ when: always }], variables: {} }\nbuild: { script: x }', ['workflow config contains unknown keys: variables']],
    ['a workflow rule with a job-only when', 'workflow: { rules: [{ when: manual }] }\nbuild: { script: x }', ['workflow:rules:rule when unknown value: manual']],
    ['image both top-level and in default', 'image: a\ndefault: { image: b }\nbuild: { script: x }', ['image is defined in top-level and `default:` entry']],
  ])('%s', (_, source, expected) => {
    expect(errors(source)).toEqual(expected)
  })

  it('reports every entry error at once', () => {
    expect(errors('a: { script: x, when: later }\nb: { script: 1 }\nc: { script: x, foo: 1 }')).toEqual([
      'jobs:a when should be one of: on_success, on_failure, always, manual, delayed',
      'jobs:b:script config should be a string or a nested array of strings up to 10 levels deep',
      'jobs:c config contains unknown keys: foo',
    ])
  })

  it('a YAML syntax error names its line and column', () => {
    const [message] = errors('build:\n  script: x\ninvalid: yaml: test\n')
    expect(message).toMatch(/^Nested mappings are not allowed in compact mappings at line 3, column 10/)
  })

  it('!reference tags resolve against the whole config (nested arrays flattened)', () => {
    expect(job('.setup: { script: [a, b] }\njob:\n  script:\n    - !reference [.setup, script]\n    - c\n', 'job').options.script).toEqual(['a', 'b', 'c'])
    expect(errors('job:\n  script:\n    - !reference [.setup, script]\n')).toEqual(['!reference [".setup", "script"] could not be found'])
  })

  it('a config over 1 MB is too big', () => {
    const source = `build:\n  script: "${'x'.repeat(2 * 1024 * 1024)}"\n`
    expect(source.length).toBeGreaterThan(MAX_CI_CONFIG_BYTES)
    expect(errors(source)).toEqual(['The parsed YAML is too big'])
  })

  it('the limit counts bytes, not characters', () => {
    const source = `build:\n  script: "${'é'.repeat(MAX_CI_CONFIG_BYTES / 2)}"\n`
    expect(source.length).toBeLessThan(MAX_CI_CONFIG_BYTES)
    expect(errors(source)).toEqual(['The parsed YAML is too big'])
  })

  it('an alias bomb is too big', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (const [previous, name] of [...'abcdefgh'].map((letter, index) => [letter, 'bcdefghi'[index]])) {
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(',')}]`)
    }
    expect(errors(`${levels.join('\n')}\nbuild: { script: x }`)).toEqual(['The parsed YAML is too big'])
  })

  it.each([
    ['120 levels of hashes', `build: { script: x, variables: ${'{a: '.repeat(120)}1${'}'.repeat(120)} }`],
    ['100 000 levels of arrays', `build: { script: x }\nother: ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
  ])('YAML nested too deeply is too big: %s', (_, source) => {
    expect(errors(source)).toEqual(['The parsed YAML is too big'])
  })
})
