// gitbeaker (@gitbeaker/rest, the npm client) against edgejobs served by `npm start`: run by
// test/clients/run.mjs with node:test, EDGEJOBS_URL and EDGEJOBS_TOKEN set.
import { Gitlab } from '@gitbeaker/rest'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { Runner } from './runner.mjs'

const URL_ = process.env.EDGEJOBS_URL
const TOKEN = process.env.EDGEJOBS_TOKEN
const api = new Gitlab({ host: URL_, token: TOKEN })

const CI = `
stages: [build, test]
build:
  stage: build
  script: make
test:
  stage: test
  script: make test
`

async function project() {
  const created = await api.Projects.create({ name: `gb-${randomUUID().slice(0, 8)}`, visibility: 'private' })
  await api.RepositoryFiles.create(created.id, '.gitlab-ci.yml', 'main', CI, 'Add CI')
  return created
}

test('gitbeaker: the current user, a project and its file', async () => {
  const me = await api.Users.showCurrentUser()
  assert.equal(me.username, 'root')
  const made = await project()
  const shown = await api.Projects.show(made.id)
  assert.equal(shown.path_with_namespace, made.path_with_namespace)
  const file = await api.RepositoryFiles.showRaw(made.id, '.gitlab-ci.yml', 'main')
  assert.equal(typeof file === 'string' ? file : await file.text(), CI)
})

test('gitbeaker: a pipeline runs; jobs, logs, retry and cancel', async () => {
  const made = await project()
  const runner = await Runner.register(URL_, TOKEN, made.id)
  const pipeline = await api.Pipelines.create(made.id, 'main')
  const jobs = await api.Jobs.all(made.id, { pipelineId: pipeline.id })
  assert.deepEqual(jobs.map((j) => j.name).sort(), ['build', 'test'])

  const build = await runner.run('build', 'failed', '$ make\nbroken\n')
  assert.match(await api.Jobs.showLog(made.id, build.id), /broken/)
  assert.equal((await api.Jobs.show(made.id, build.id)).status, 'failed')
  const retried = await api.Jobs.retry(made.id, build.id)
  assert.equal(retried.status, 'pending')
  const canceled = await api.Jobs.cancel(made.id, retried.id)
  assert.equal(canceled.status, 'canceled')
  assert.equal((await api.Pipelines.show(made.id, pipeline.id)).status, 'canceled')
})

test('gitbeaker: a private project is a 404 to an outsider, then readable once a member', async () => {
  const made = await project()
  const name = `gb-user-${randomUUID().slice(0, 8)}`
  const user = await api.Users.create({ username: name, name, email: `${name}@example.com`, password: 'p4ssw0rd-long-enough' })
  const personal = await api.PersonalAccessTokens.create(user.id, 'gb', ['api'])
  const outsider = new Gitlab({ host: URL_, token: personal.token })
  await assert.rejects(outsider.Projects.show(made.id), (error) => error.cause?.response?.status === 404)
  await api.ProjectMembers.add(made.id, 30, { userId: user.id })
  assert.equal((await outsider.Projects.show(made.id)).id, made.id)
})
