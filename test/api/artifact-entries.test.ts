import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { artifactsMetadata, bytesOf, gzip, SimulatedRunner } from '../runner-client'
import { api, apiJson, createPipelineFrom, createProject, createUser } from '../world'

/**
 * GET /projects/:id/jobs/:job_id/artifacts/*artifact_path (lib/api/ci/job_artifacts.rb →
 * Workhorse artifacts-entry), with Workhorse's metadata (lib/gitlab/ci/build/artifacts/metadata.rb).
 * The archive is written by fflate, a real zip writer, so the ranged reader is tested on real zips.
 */

async function jobWithArchive(archive: Uint8Array, metadata?: Uint8Array) {
  const project = await createProject()
  await createPipelineFrom(project, 'build:\n  script: make\n  artifacts:\n    paths: [out/]\n')
  const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
  const job = (await runner.requestJob())!
  expect((await job.accept()).status).toBe(200)
  expect((await job.uploadArtifact([archive.subarray(0, 7), archive.subarray(7)], { metadata })).status).toBe(201)
  expect((await job.finish('success')).status).toBe(200)
  return { project, job }
}

const README = new TextEncoder().encode('hello from the archive\n')
const BIG = bytesOf(200_000, 5)

function archive(): Uint8Array {
  return zipSync({
    'out/readme.txt': [README, { level: 0 }],
    'out/data.bin': [BIG, { level: 6 }],
    'out/report.json': [new TextEncoder().encode('{"ok":true}'), { level: 9 }],
    'out/empty/': new Uint8Array(0),
  })
}

describe('GET /projects/:id/jobs/:job_id/artifacts/*artifact_path', () => {
  it('serves one file of the archive, stored or deflated, with Workhorse headers', async () => {
    const { project, job } = await jobWithArchive(archive())
    const base = `/projects/${project.id}/jobs/${job.id}/artifacts`
    const readme = await api('GET', `${base}/out/readme.txt`, { token: project.owner.token })
    expect(readme.status).toBe(200)
    expect(await readme.text()).toBe('hello from the archive\n')
    expect(readme.headers.get('Content-Disposition')).toBe('attachment; filename="readme.txt"')
    expect(readme.headers.get('Content-Type')).toBe('application/octet-stream')
    const data = await api('GET', `${base}/out/data.bin`, { token: project.owner.token })
    expect(new Uint8Array(await data.arrayBuffer())).toEqual(BIG)
    expect(data.headers.get('Content-Length')).toBe(String(BIG.byteLength))
    const report = await api('GET', `${base}/out/report.json`, { token: project.owner.token })
    expect(report.headers.get('Content-Type')).toBe('application/json')
    expect(await report.json()).toEqual({ ok: true })
    // Not in the archive, or a directory: Workhorse's 404.
    expect((await api('GET', `${base}/out/missing.txt`, { token: project.owner.token })).status).toBe(404)
    expect((await api('GET', `${base}/out/empty/`, { token: project.owner.token })).status).toBe(404)
    // Gitlab::Ci::Build::Artifacts::Path#valid?: no NUL, valid UTF-8.
    expect(await apiJson('GET', `${base}/out/%00x`, { token: project.owner.token })).toMatchObject({ status: 400, body: { message: '400 Bad request' } })
    expect((await api('GET', `${base}/out/%FF`, { token: project.owner.token })).status).toBe(400)
  })

  it('answers from the metadata whether a file exists', async () => {
    // The metadata lists only readme.txt, so data.bin (in the zip) is not served: the index decides.
    const metadata = await artifactsMetadata({ 'out/': {}, 'out/readme.txt': { size: README.byteLength } })
    const { project, job } = await jobWithArchive(archive(), metadata)
    const base = `/projects/${project.id}/jobs/${job.id}/artifacts`
    expect(await (await api('GET', `${base}/out/readme.txt`, { token: project.owner.token })).text()).toBe('hello from the archive\n')
    expect((await api('GET', `${base}/out/data.bin`, { token: project.owner.token })).status).toBe(404)
    // Metadata that is not Workhorse's format is ignored and the archive read instead.
    const other = await jobWithArchive(archive(), await gzip('not metadata'))
    const data = await api('GET', `/projects/${other.project.id}/jobs/${other.job.id}/artifacts/out/data.bin`, { token: other.project.owner.token })
    expect(data.status).toBe(200)
  })

  it('needs read_build and an archive', async () => {
    const { project, job } = await jobWithArchive(archive())
    const outsider = await createUser()
    const path = `/projects/${project.id}/jobs/${job.id}/artifacts/out/readme.txt`
    expect((await api('GET', path, { token: outsider.token })).status).toBe(404)
    expect((await api('DELETE', `/projects/${project.id}/jobs/${job.id}/artifacts`, { token: project.owner.token })).status).toBe(204)
    expect(await apiJson('GET', path, { token: project.owner.token })).toMatchObject({ status: 404, body: { message: '404 Not Found' } })
  })
})
