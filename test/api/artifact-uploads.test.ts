import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { open } from '../../src/auth/secret-box'
import { bytesOf, gzip, type RunnerJob, startRunningJob } from '../runner-client'

/**
 * POST /jobs/:id/artifacts as GitLab's Ci::JobArtifacts::CreateService decides it
 * (app/services/ci/job_artifacts/create_service.rb, app/models/ci/job_artifact.rb,
 * app/models/concerns/enums/ci/job_artifact.rb, app/services/ci/parse_dotenv_artifact_service.rb).
 */
const CI = `
stages: [build, test]
build:
  stage: build
  script: make
  artifacts:
    reports:
      dotenv: build.env
unit:
  stage: test
  script: make test
`

function runningJob(ci = CI) {
  return startRunningJob(ci)
}

async function artifactRows(jobId: number) {
  const { results } = await env.DB.prepare('SELECT file_type, file_format, size, file_sha256, blob_key FROM job_artifacts WHERE job_id = ? ORDER BY id').bind(jobId).all<any>()
  return results
}

async function errorOf(response: Response) {
  return { status: response.status, body: await response.json() }
}

function dotenv(job: RunnerJob, bytes: Uint8Array, format = 'gzip') {
  return job.uploadArtifact([bytes], { filename: '.env.gz', query: { artifact_type: 'dotenv', artifact_format: format } })
}

describe('artifact re-uploads (sha256_matches_existing_artifact?)', () => {
  // create_service.rb#execute: `return success if sha256_matches_existing_artifact?(...)`.
  it('answers 201 to the same file again and keeps the stored artifact; a different file is 400', async () => {
    const { job } = await runningJob()
    const data = bytesOf(3000)
    expect((await job.uploadArtifact([data])).status).toBe(201)
    const [stored] = await artifactRows(job.id)
    const again = await job.uploadArtifact([data.subarray(0, 1000), data.subarray(1000)])
    expect(again.status).toBe(201)
    expect(await again.text()).toBe('201')
    const rows = await artifactRows(job.id)
    expect(rows).toEqual([stored]) // same row, same object; nothing new in R2
    expect((await env.BLOBS.list({ prefix: `jobs/${job.id}/artifacts/` })).objects).toHaveLength(1)
    const other = await job.uploadArtifact([bytesOf(3000, 99)])
    expect(await errorOf(other)).toEqual({ status: 400, body: { message: 'another artifact of the same type already exists' } })
  })
})

describe('type and format pairs (Ci::JobArtifact#validate_file_format!)', () => {
  // Enums::Ci::JobArtifact.type_and_format_pairs: archive zip, junit gzip, sast raw, lsif zip, ...
  it('refuses a pair GitLab does not know with 400 and stores nothing', async () => {
    const { job } = await runningJob()
    for (const [type, format] of [['archive', 'gzip'], ['junit', 'raw'], ['sast', 'gzip'], ['lsif', 'gzip'], ['dotenv', 'zip']]) {
      const res = await job.uploadArtifact([bytesOf(10)], { query: { artifact_type: type, artifact_format: format } })
      expect(await errorOf(res)).toEqual({ status: 400, body: { message: 'Validation failed: Invalid file format with specified file type' } })
    }
    expect(await artifactRows(job.id)).toEqual([])
    for (const [type, format] of [['junit', 'gzip'], ['sast', 'raw'], ['lsif', 'zip']]) {
      expect((await job.uploadArtifact([bytesOf(10)], { query: { artifact_type: type, artifact_format: format } })).status).toBe(201)
    }
  })
})

describe('dotenv reports (Ci::ParseDotenvArtifactService)', () => {
  it('stores a valid report and its variables (later lines win, both sides stripped)', async () => {
    const { job } = await runningJob()
    const res = await dotenv(job, await gzip('VERSION=1.2.3\n  NAME = a=b \r\nVERSION=2\n'))
    expect(res.status).toBe(201)
    const { results } = await env.DB.prepare('SELECT key, value FROM job_dotenv_variables WHERE job_id = ? ORDER BY key').bind(job.id).all<{ key: string; value: string }>()
    // Values are stored encrypted (auth/secret-box.ts), each with its own IV.
    expect(results.every((row) => row.value.startsWith('enc:v1:'))).toBe(true)
    expect(await Promise.all(results.map(async (row) => ({ key: row.key, value: await open(env, row.value) })))).toEqual([{ key: 'NAME', value: 'a=b' }, { key: 'VERSION', value: '2' }])
    expect((await artifactRows(job.id)).map((row: any) => [row.file_type, row.file_format])).toEqual([['dotenv', 'gzip']])
  })

  it('answers 400 with GitLab messages for an invalid report and stores nothing', async () => {
    const { job } = await runningJob()
    const cases: Array<[string | Uint8Array, string]> = [
      ['A=1\n\nB=2\n', 'Invalid Format'], // a blank line does not match /^(.*?)=(.*)$/
      ['# comment\n', 'Invalid Format'],
      ['MY-KEY=1\n', "Validation failed: Key can contain only letters, digits and '_'."],
      ['=1\n', "Validation failed: Key can't be blank, Key can contain only letters, digits and '_'."],
      [Array.from({ length: 21 }, (_, i) => `K${i}=${i}`).join('\n'), 'Dotenv files cannot have more than 20 variables'],
    ]
    for (const [text, message] of cases) {
      expect(await errorOf(await dotenv(job, await gzip(text)))).toEqual({ status: 400, body: { message } })
    }
    expect(await errorOf(await dotenv(job, new TextEncoder().encode('A=1\n')))).toEqual({ status: 400, body: { message: 'Invalid Format' } })
    // dotenv_size: the stored (compressed) file must be smaller than 5 KiB.
    expect(await errorOf(await dotenv(job, bytesOf(5120)))).toEqual({ status: 400, body: { message: 'Dotenv Artifact Too Big. Maximum Allowable Size: 5120' } })
    expect(await artifactRows(job.id)).toEqual([])
    const { results } = await env.DB.prepare('SELECT key FROM job_dotenv_variables WHERE job_id = ?').bind(job.id).all()
    expect(results).toEqual([])
    expect((await env.BLOBS.list({ prefix: `jobs/${job.id}/artifacts/` })).objects).toEqual([])
  })

  it('hands the variables to the next stage, after YAML variables and before pipeline variables', async () => {
    const { runner, job } = await runningJob(CI.replace('unit:\n', 'variables:\n  FROM_YAML: yaml\n  VERSION: yaml\nunit:\n'))
    expect((await dotenv(job, await gzip('VERSION=from-dotenv\nEXTRA=x\n'))).status).toBe(201)
    expect((await job.finish('success')).status).toBe(200)
    const next = (await runner.requestJob())!
    expect(next.payload.job_info.name).toBe('unit')
    const variables = next.payload.variables as Array<{ key: string; value: string; public: boolean }>
    expect(variables.find((item) => item.key === 'VERSION')).toEqual({ key: 'VERSION', value: 'from-dotenv', public: false, masked: false })
    expect(variables.find((item) => item.key === 'EXTRA')?.value).toBe('x')
    expect(variables.find((item) => item.key === 'FROM_YAML')?.value).toBe('yaml')
    // The job's own payload listed the report for the runner to upload (BuildRunnerPresenter).
    expect(job.payload.artifacts).toContainEqual({ name: '.env', paths: ['build.env'], when: 'always', expire_in: null, artifact_type: 'dotenv', artifact_format: 'gzip' })
  })
})

describe("Workhorse's metadata part", () => {
  // create_service.rb#build_metadata_artifact: file_type metadata, file_format gzip, stored with the archive.
  it('stores the metadata part as the metadata artifact of the archive', async () => {
    const { job } = await runningJob()
    const metadata = await gzip('GitLab Build Artifacts Metadata 0.0.2\n')
    expect((await job.uploadArtifact([bytesOf(100)], { metadata })).status).toBe(201)
    const rows = await artifactRows(job.id)
    expect(rows.map((row: any) => [row.file_type, row.file_format, row.size])).toEqual([['archive', 'zip', 100], ['metadata', 'gzip', metadata.byteLength]])
    const object = await env.BLOBS.get(rows[1].blob_key)
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(metadata)
  })
})
