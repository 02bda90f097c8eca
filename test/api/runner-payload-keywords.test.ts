import { describe, expect, it } from 'vitest'
import { SimulatedRunner } from '../runner-client'
import { createPipelineFrom, createProject } from '../world'

/** What the CI keywords parsed at creation change in the payload a runner receives (ci-config-keywords.md §16). */
describe('runner payload from CI keywords', () => {
  it('parallel matrix variables, environment variables, report artifacts, executor options, hooks and the cache key from files', async () => {
    const project = await createProject()
    const ci = [
      'deploy:',
      '  script: ship',
      '  hooks: {pre_get_sources_script: [echo before-fetch]}',
      '  image: {name: alpine, docker: {platform: linux/arm64}}',
      '  environment: {name: review/$REGION, url: "https://$REGION.example.com"}',
      '  parallel: {matrix: [{REGION: [eu]}]}',
      '  artifacts: {reports: {dotenv: build.env, coverage_report: {coverage_format: cobertura, path: cov.xml}}}',
      '  cache: {key: {files: [.gitlab-ci.yml], prefix: ci}, paths: [vendor]}',
    ].join('\n')
    await createPipelineFrom(project, ci)
    const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
    const job = (await runner.requestJob())!
    const payload = job.payload
    expect(payload.job_info.name).toBe('deploy: [eu]')
    const variables = Object.fromEntries(payload.variables.map((v: { key: string; value: string }) => [v.key, v.value]))
    expect(variables).toMatchObject({
      REGION: 'eu', CI_NODE_INDEX: '1', CI_NODE_TOTAL: '1', CI_ENVIRONMENT_NAME: 'review/eu', CI_ENVIRONMENT_ACTION: 'start',
      CI_ENVIRONMENT_URL: 'https://eu.example.com', CI_ENVIRONMENT_TIER: 'development',
    })
    expect(payload.hooks).toEqual([{ name: 'pre_get_sources_script', script: ['echo before-fetch'] }])
    expect(payload.image).toMatchObject({ name: 'alpine', executor_opts: { docker: { platform: 'linux/arm64' } } })
    expect(payload.artifacts).toEqual(expect.arrayContaining([
      expect.objectContaining({ artifact_type: 'dotenv', name: '.env', paths: ['build.env'], artifact_format: 'gzip', when: 'always' }),
      expect.objectContaining({ artifact_type: 'cobertura', paths: ['cov.xml'] }),
    ]))
    // The files digest, then GitLab's separated-caches suffix (issue #11).
    expect(payload.cache[0].key).toMatch(/^ci-[0-9a-f]{40}-non_protected$/)
  })
})
