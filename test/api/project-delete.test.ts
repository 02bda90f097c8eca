import { SELF } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { PROJECT_TABLES } from '../../src/db/project-deletion'
import { repoObject } from '../../src/objects/stubs'
import { eventually } from '../job-driver'
import { jobStub } from '../stubs'
import { startRunningJob } from '../runner-client'
import { addMember, api, apiJson, createProject, createUser, encodedPath } from '../world'

/**
 * DELETE /projects/:id (lib/api/projects.rb `delete_project`: authorize! :remove_project, owner or
 * admin; destroy_conditionally!; accepted! → 202 `{"message":"202 Accepted"}`), removing what
 * Projects::DestroyService removes: the rows, logs and artifacts, the repository.
 */
async function projectWithFinishedJob() {
  const { project, runner, job } = await startRunningJob('build:\n  script: make\n  artifacts:\n    paths: [out/]\n')
  expect((await job.patch('log line\n')).status).toBe(202)
  expect((await job.uploadArtifact([zipSync({ 'out/a.txt': new TextEncoder().encode('a') })])).status).toBe(201)
  expect((await job.finish('success')).status).toBe(200)
  return { project, runner, job }
}

async function keysOfJob(jobId: number): Promise<string[]> {
  return (await env.BLOBS.list({ prefix: `jobs/${jobId}/` })).objects.map((object) => object.key)
}

/** Tables that hold no project's rows: the instance's. */
const INSTANCE_TABLES = ['users', 'personal_access_tokens', 'auth_failures', 'application_settings', 'ci_instance_variables', 'sqlite_sequence', 'd1_migrations', '_cf_KV', '_cf_METADATA']

describe('DELETE /projects/:id', () => {
  it('clears every table of the schema that can hold a project\'s rows (a new table must join the deletion)', async () => {
    const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all<{ name: string }>()
    const uncovered = results.map((row) => row.name).filter((name) => !PROJECT_TABLES.includes(name) && !INSTANCE_TABLES.includes(name))
    expect(uncovered).toEqual([])
  })

  it('owner gets 202; the rows, R2 objects, runner and repository go; later reads are 404', async () => {
    const { project, runner, job } = await projectWithFinishedJob()
    expect((await keysOfJob(job.id)).length).toBeGreaterThanOrEqual(2) // the archive and the log
    expect(await repoObject(env, project.id).objectCount()).toBeGreaterThan(0)
    expect((await apiJson('POST', `/projects/${project.id}/triggers`, { token: project.owner.token, body: { description: 't' } })).status).toBe(201)
    expect((await apiJson('POST', `/projects/${project.id}/hooks`, { token: project.owner.token, body: { url: 'https://hooks.example.com/x', job_events: true } })).status).toBe(201)

    const res = await apiJson('DELETE', `/projects/${encodedPath(project)}`, { token: project.owner.token })
    expect(res).toMatchObject({ status: 202, body: { message: '202 Accepted' } })

    for (const path of [`/projects/${project.id}`, `/projects/${project.id}/jobs/${job.id}`, `/projects/${project.id}/pipelines`, `/projects/${project.id}/jobs/${job.id}/artifacts`]) {
      expect(await apiJson('GET', path, { token: project.owner.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    }
    expect(await apiJson('DELETE', `/projects/${project.id}`, { token: project.owner.token })).toMatchObject({ status: 404 })
    const counts = await env.DB.batch([
      env.DB.prepare('SELECT COUNT(*) AS n FROM jobs WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM pipelines WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM job_artifacts WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM project_members WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM commits WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM runners WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM pipeline_triggers WHERE project_id = ?').bind(project.id),
      env.DB.prepare('SELECT COUNT(*) AS n FROM web_hooks WHERE project_id = ?').bind(project.id),
    ])
    expect(counts.map((result) => (result.results[0] as { n: number }).n)).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    // The project's runner went with it: its token no longer authenticates.
    expect((await runner.poll()).status).toBe(403)
    await eventually(async () => {
      expect(await keysOfJob(job.id)).toEqual([])
      expect(await repoObject(env, project.id).objectCount()).toBe(0)
    })
    // git sees no repository either.
    expect((await fetchInfoRefs(project.path_with_namespace, project.owner.token)).status).toBe(404)
  })

  it('a running job\'s token and live log die with the project', async () => {
    const { project, job } = await startRunningJob('build:\n  script: make\n')
    expect((await job.patch('live log\n')).status).toBe(202)
    expect(await jobStub(job.id).traceLength()).toBe(9)
    // A job token is no credential for deleting its project.
    expect(await apiJson('DELETE', `/projects/${project.id}`, { token: null, headers: { 'JOB-TOKEN': job.token } })).toMatchObject({ status: 401 })
    expect((await apiJson('GET', `/projects/${project.id}`)).status).toBe(200)
    expect((await api('DELETE', `/projects/${project.id}`, { token: project.owner.token })).status).toBe(202)
    // The job's object forgets its live log.
    await eventually(async () => expect(await jobStub(job.id).traceLength()).toBe(0))
    expect((await job.patch('more\n')).status).toBe(403)
    expect((await apiJson('GET', '/job', { token: null, headers: { 'JOB-TOKEN': job.token } })).status).toBe(401)
  })

  it('only owners and admins may delete; others 403, outsiders 404; nothing is removed', async () => {
    const project = await createProject()
    const outsider = await createUser()
    expect(await apiJson('DELETE', `/projects/${project.id}`, { token: outsider.token })).toMatchObject({ status: 404, body: { message: '404 Project Not Found' } })
    for (const level of [20, 30, 40]) {
      const member = await createUser()
      await addMember(project, member, level)
      expect(await apiJson('DELETE', `/projects/${project.id}`, { token: member.token })).toMatchObject({ status: 403, body: { message: '403 Forbidden' } })
    }
    expect(await apiJson('DELETE', `/projects/${project.id}`, { token: null })).toMatchObject({ status: 401 })
    expect(await apiJson('DELETE', `/projects/${project.id}`, { token: project.owner.token, headers: { 'If-Unmodified-Since': 'Thu, 01 Jan 2000 00:00:00 GMT' } }))
      .toMatchObject({ status: 412, body: { message: '412 Precondition Failed' } })
    expect((await apiJson('GET', `/projects/${project.id}`, { token: project.owner.token })).status).toBe(200)
    const admin = await apiJson('DELETE', `/projects/${project.id}`)
    expect(admin.status).toBe(202)
    expect((await apiJson('GET', `/projects/${project.id}`)).status).toBe(404)
  })
})

function fetchInfoRefs(path: string, token: string): Promise<Response> {
  return SELF.fetch(`https://gitlab.example.com/${path}.git/info/refs?service=git-upload-pack`, {
    headers: { Authorization: `Basic ${btoa(`user:${token}`)}` },
  })
}
