import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { jobsByName, runJob } from '../job-driver'
import { SimulatedRunner, type RunnerJob } from '../runner-client'
import { addMember, api, apiJson, createPipelineFrom, createProject, createUser, encodedPath, type TestProject } from '../world'

/**
 * GET /projects/:id/jobs/artifacts/:ref_name/download?job= and …/raw/*artifact_path?job=
 * (lib/api/ci/job_artifacts.rb; Project#latest_successful_build_for_ref: the newest successful
 * pipeline of the ref, its latest build of that name with an archive; search_recent_successful_pipelines;
 * Workhorse artifacts-entry with SafeContentHeaders' sniffed type).
 */
const CI = 'build:\n  script: make\n  artifacts:\n    paths: [out/]\ntest:\n  script: t\n'

const enc = (text: string) => new TextEncoder().encode(text)

function archive(version: string): Uint8Array {
  return zipSync({
    'out/version.txt': enc(version),
    'out/page.html': enc('<html><body>hi</body></html>'),
    'out/logo.svg': enc('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
    'out/image.png': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    'out/blob.bin': [new Uint8Array(2000).map((_, i) => i % 7), { level: 6 }],
    'out/sub/dir/deep.json': enc('{"deep":true}'),
  })
}

/** Runs a pipeline on `ref` whose `build` uploads `zip`, ending the pipeline in `outcome`. */
async function pipelineWithArchive(project: TestProject, runner: SimulatedRunner, ref: string, zip: Uint8Array | null, outcome: 'success' | 'failed' = 'success', ci = CI) {
  const pipeline = await createPipelineFrom(project, ci, { ref })
  const jobs = await jobsByName(project, pipeline.id)
  let build: RunnerJob | null = null
  for (let i = 0; i < 5 && build?.id !== jobs.build.id; i++) build = await runner.requestJob()
  expect(build?.id).toBe(jobs.build.id)
  expect((await build!.accept()).status).toBe(200)
  if (zip) expect((await build!.uploadArtifact([zip])).status).toBe(201)
  expect((await build!.finish('success')).status).toBe(200)
  await runJob(jobs.test.id, outcome)
  return { pipeline, build: build! }
}

async function setup() {
  const project = await createProject()
  const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id })
  return { project, runner }
}

describe('GET /projects/:id/jobs/artifacts/:ref_name/download', () => {
  it('serves the named job\'s archive of the newest successful pipeline on the ref', async () => {
    const { project, runner } = await setup()
    await pipelineWithArchive(project, runner, 'main', archive('v1'))
    const zip = archive('v2')
    await pipelineWithArchive(project, runner, 'main', zip)
    // A newer failed pipeline does not count.
    await pipelineWithArchive(project, runner, 'main', archive('v3'), 'failed')
    const res = await api('GET', `/projects/${encodedPath(project)}/jobs/artifacts/main/download?job=build`, { token: project.owner.token })
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(zip)
    expect(res.headers.get('Content-Type')).toBe('application/octet-stream')
    expect(res.headers.get('Content-Disposition')).toBe('attachment; filename="artifacts.zip"; filename*=UTF-8\'\'artifacts.zip')
  })

  it('takes refs with slashes, escaped or not', async () => {
    const { project, runner } = await setup()
    const zip = archive('feature')
    await pipelineWithArchive(project, runner, 'feature/x', zip)
    for (const ref of ['feature%2Fx', 'feature/x']) {
      const res = await api('GET', `/projects/${project.id}/jobs/artifacts/${ref}/download?job=build`, { token: project.owner.token })
      expect(res.status, ref).toBe(200)
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(zip)
    }
  })

  it('404s as GitLab: no such job or ref, job without archive; search_recent_successful_pipelines looks further back', async () => {
    const { project, runner } = await setup()
    const old = archive('old')
    await pipelineWithArchive(project, runner, 'main', old)
    // The newest successful pipeline's build uploaded nothing.
    await pipelineWithArchive(project, runner, 'main', null)
    const base = `/projects/${project.id}/jobs/artifacts`
    const token = project.owner.token
    expect(await apiJson('GET', `${base}/main/download?job=build`, { token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    expect(await apiJson('GET', `${base}/main/download?job=test`, { token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    expect(await apiJson('GET', `${base}/nope/download?job=build`, { token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
    const recent = await api('GET', `${base}/main/download?job=build&search_recent_successful_pipelines=true`, { token })
    expect(recent.status).toBe(200)
    expect(new Uint8Array(await recent.arrayBuffer())).toEqual(old)
    expect(await apiJson('GET', `${base}/main/download?job=nope&search_recent_successful_pipelines=true`, { token })).toMatchObject({ status: 404, body: { message: '404 Job Not Found' } })
    expect(await apiJson('GET', `${base}/main/download`, { token })).toMatchObject({ status: 400, body: { error: 'job is missing' } })
    expect(await apiJson('GET', `${base}/main/download?job=`, { token })).toMatchObject({ status: 400, body: { error: 'job is empty' } })
    expect(await apiJson('GET', `${base}/main/download?job=build&search_recent_successful_pipelines=maybe`, { token })).toMatchObject({ status: 400, body: { error: 'search_recent_successful_pipelines is invalid' } })
  })

  it('roles: reporter+ read; guest and outsiders of a private project do not; public_jobs off hides them from non-members', async () => {
    const { project, runner } = await setup()
    await pipelineWithArchive(project, runner, 'main', archive('v'))
    const path = `/projects/${project.id}/jobs/artifacts/main/download?job=build`
    const reporter = await createUser()
    const guest = await createUser()
    const outsider = await createUser()
    await addMember(project, reporter, 20)
    await addMember(project, guest, 10)
    expect((await api('GET', path, { token: reporter.token })).status).toBe(200)
    expect((await apiJson('GET', path, { token: outsider.token }))).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await apiJson('GET', path, { token: null }))).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    expect((await api('PUT', `/projects/${project.id}`, { token: project.owner.token, body: { visibility: 'public', public_jobs: false } })).status).toBe(200)
    expect((await apiJson('GET', path, { token: outsider.token }))).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    expect((await apiJson('GET', path, { token: guest.token }))).toMatchObject({ status: 403 })
    expect((await api('PUT', `/projects/${project.id}`, { token: project.owner.token, body: { public_jobs: true } })).status).toBe(200)
    expect((await api('GET', path, { token: null })).status).toBe(200)
  })

  it('honours artifacts:access (developer: developer+ only; none: nobody), here and by job id', async () => {
    for (const [access, allowed] of [['developer', [30, 50]], ['none', []]] as const) {
      const { project, runner } = await setup()
      const ci = CI.replace('paths: [out/]', `paths: [out/]\n    access: ${access}`)
      const { build } = await pipelineWithArchive(project, runner, 'main', archive('v'), 'success', ci)
      const reporter = await createUser()
      const developer = await createUser()
      await addMember(project, reporter, 20)
      await addMember(project, developer, 30)
      const tokens: Array<[number, string]> = [[20, reporter.token], [30, developer.token], [50, project.owner.token]]
      for (const [level, token] of tokens) {
        const expected = (allowed as readonly number[]).includes(level) ? 200 : 403
        for (const path of [
          `/projects/${project.id}/jobs/artifacts/main/download?job=build`,
          `/projects/${project.id}/jobs/artifacts/main/raw/out/version.txt?job=build`,
          `/projects/${project.id}/jobs/${build.id}/artifacts`,
          `/projects/${project.id}/jobs/${build.id}/artifacts/out/version.txt`,
        ]) {
          const res = await api('GET', path, { token })
          expect(res.status, `${access} ${level} ${path}`).toBe(expected)
          await res.arrayBuffer()
        }
      }
    }
  })

  it('a running job of the project downloads with its CI_JOB_TOKEN (header or job_token); other projects\' jobs see no private project', async () => {
    const { project, runner } = await setup()
    const zip = archive('for-job')
    await pipelineWithArchive(project, runner, 'main', zip)
    await createPipelineFrom(project, 'deploy:\n  script: d\n')
    const deploy = (await runner.requestJob())!
    expect((await deploy.accept()).status).toBe(200)
    const viaHeader = await api('GET', `/projects/${project.id}/jobs/artifacts/main/download?job=build`, { token: null, headers: { 'JOB-TOKEN': deploy.token } })
    expect(viaHeader.status).toBe(200)
    expect(new Uint8Array(await viaHeader.arrayBuffer())).toEqual(zip)
    const viaParam = await api('GET', `/projects/${project.id}/jobs/artifacts/main/raw/out/version.txt?job=build&job_token=${deploy.token}`, { token: null })
    expect(await viaParam.text()).toBe('for-job')
    const other = await setup()
    await createPipelineFrom(other.project, 'x:\n  script: x\n')
    const foreign = (await other.runner.requestJob())!
    expect((await foreign.accept()).status).toBe(200)
    expect((await api('GET', `/projects/${project.id}/jobs/artifacts/main/download?job=build`, { token: null, headers: { 'JOB-TOKEN': foreign.token } })).status).toBe(404)
    expect((await deploy.finish('success')).status).toBe(200)
    expect((await api('GET', `/projects/${project.id}/jobs/artifacts/main/download?job=build`, { token: null, headers: { 'JOB-TOKEN': deploy.token } })).status).toBe(401)
  })
})

describe('GET /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path', () => {
  it('serves one file from the zip with Workhorse\'s sniffed type', async () => {
    const { project, runner } = await setup()
    await pipelineWithArchive(project, runner, 'release/1.0', archive('1.0'))
    const raw = (path: string, ref = 'release%2F1.0') => api('GET', `/projects/${project.id}/jobs/artifacts/${ref}/raw/${path}?job=build`, { token: project.owner.token })
    const version = await raw('out/version.txt')
    expect(version.status).toBe(200)
    expect(await version.text()).toBe('1.0')
    expect(version.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
    expect(version.headers.get('Content-Disposition')).toBe('attachment; filename="version.txt"')
    expect(version.headers.get('Content-Length')).toBe('3')
    expect((await raw('out/page.html', 'release/1.0')).headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
    expect((await raw('out/logo.svg')).headers.get('Content-Type')).toBe('image/svg+xml')
    expect((await raw('out/image.png')).headers.get('Content-Type')).toBe('image/png')
    const blob = await raw('out/blob.bin')
    expect(blob.headers.get('Content-Type')).toBe('application/octet-stream')
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(new Uint8Array(2000).map((_, i) => i % 7))
    expect(await (await raw('out/sub/dir/deep.json')).json()).toEqual({ deep: true })
    expect((await raw('out/sub/dir/deep.json')).headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
    // Not in the archive, or a directory: Workhorse's plain 404.
    const missing = await raw('out/missing.txt')
    expect(missing.status).toBe(404)
    expect(missing.headers.get('Content-Type')).toBe('text/plain; charset=utf-8')
    expect((await raw('out/sub/')).status).toBe(404)
    expect(await apiJson('GET', `/projects/${project.id}/jobs/artifacts/release%2F1.0/raw/out/%00?job=build`, { token: project.owner.token })).toMatchObject({ status: 400, body: { message: '400 Bad request' } })
    expect(await apiJson('GET', `/projects/${project.id}/jobs/artifacts/main/raw/out/version.txt?job=build`, { token: project.owner.token })).toMatchObject({ status: 404, body: { message: '404 Not found' } })
  })
})
