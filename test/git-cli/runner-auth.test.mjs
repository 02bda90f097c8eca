// gitlab-runner's fetch with the job payload's git_info, and GitLab's git authentication rules:
// job tokens only while their job runs and only for their project, 401 challenges that never
// reveal a private project, read-only roles and anonymous access to public projects.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  API, BASE, CI_CONFIG, HOST, api, authUrl, commitFile, createProject, createUser, git, gitOk, localRepo, memberClone, ownerUrl, tmp,
} from './harness.mjs'

async function runnerFor(project) {
  const res = await api('POST', '/user/runners', { token: project.owner.token, body: { runner_type: 'project_type', project_id: project.id, run_untagged: true } })
  assert.equal(res.status, 201, JSON.stringify(res.body))
  return res.body.token
}

async function requestJob(runnerToken) {
  const res = await fetch(`${API}/jobs/request`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: runnerToken, info: { features: { refspecs: true, shared: true } } }),
  })
  assert.equal(res.status, 201, `no job for the runner (${res.status})`)
  return res.json()
}

async function finishJob(job) {
  const res = await fetch(`${API}/jobs/${job.id}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json', 'JOB-TOKEN': job.token }, body: JSON.stringify({ state: 'success', exit_code: 0 }),
  })
  assert.equal(res.status, 200)
}

/** gitlab-runner's get-sources step (shells/abstract.go) for GIT_STRATEGY fetch, as it runs it. */
function runnerFetch(dir, gitInfo) {
  const withToken = new URL(gitInfo.repo_url)
  const plain = new URL(gitInfo.repo_url)
  plain.username = ''
  plain.password = ''
  const insteadOf = ['-c', `url.${withToken.toString()}.insteadOf=${plain.toString()}`]
  if (git(['rev-parse', '--git-dir'], { cwd: dir }).status !== 0) {
    gitOk(['init', '-q', dir])
    gitOk(['remote', 'add', 'origin', plain.toString()], { cwd: dir })
  }
  const depth = gitInfo.depth > 0 ? ['--depth', String(gitInfo.depth)] : []
  const fetched = git([...insteadOf, '-c', 'http.userAgent=gitlab-runner 19.4.0 linux/amd64', 'fetch', 'origin', '--no-recurse-submodules', ...gitInfo.refspecs, ...depth, '--prune', '--quiet'], { cwd: dir })
  if (fetched.status === 0) gitOk(['-c', 'submodule.recurse=false', 'checkout', '-f', '-q', gitInfo.sha], { cwd: dir })
  return fetched
}

describe('runners fetch with the job token', () => {
  it('fetches exactly as gitlab-runner does with repo_url, refspecs and depth, then checks out the sha', async () => {
    const project = await createProject()
    assert.equal((await api('GET', `/projects/${project.id}`, { token: project.owner.token })).body.ci_default_git_depth, 20)
    const dir = localRepo(project)
    for (let i = 0; i < 5; i++) commitFile(dir, 'history.txt', `line ${i}\n`, `history ${i}`)
    const sha = commitFile(dir, '.gitlab-ci.yml', CI_CONFIG, 'ci')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })

    const runnerToken = await runnerFor(project)
    const job = await requestJob(runnerToken)
    const info = job.git_info
    assert.equal(info.repo_url, `http://gitlab-ci-token:${job.token}@${HOST}/${project.path_with_namespace}.git`)
    assert.equal(info.sha, sha)
    assert.equal(info.ref, 'main')
    assert.equal(info.ref_type, 'branch')
    assert.equal(info.depth, 20)
    assert.equal(info.repo_object_format, 'sha1')
    assert.match(info.before_sha, /^0{40}$/)
    assert.deepEqual(info.refspecs, [`+refs/pipelines/${job.job_info.pipeline_id}:refs/pipelines/${job.job_info.pipeline_id}`, '+refs/heads/main:refs/remotes/origin/main'])
    assert.equal(job.variables.find((v) => v.key === 'GIT_STRATEGY'), undefined)

    const work = tmp('build')
    const first = runnerFetch(work, info)
    assert.equal(first.status, 0, first.stderr)
    assert.equal(readFileSync(join(work, '.gitlab-ci.yml'), 'utf8'), CI_CONFIG)
    assert.equal(gitOk(['rev-parse', 'HEAD'], { cwd: work }), sha)
    assert.equal(gitOk(['rev-list', '--count', 'HEAD'], { cwd: work }), '6')

    // GIT_STRATEGY=fetch on the next job: the same directory, shallow, with haves.
    commitFile(dir, 'next.txt', 'next\n', 'next')
    const next = gitOk(['rev-parse', 'HEAD'], { cwd: dir })
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    await finishJob(job)
    const job2 = await requestJob(runnerToken)
    assert.equal(job2.git_info.sha, next)
    assert.equal(job2.git_info.before_sha, sha)
    const again = runnerFetch(work, job2.git_info)
    assert.equal(again.status, 0, again.stderr)
    assert.equal(gitOk(['rev-parse', 'HEAD'], { cwd: work }), next)
    gitOk(['fsck'], { cwd: work })

    // The token of a finished job no longer reads the repository.
    await finishJob(job2)
    const dead = runnerFetch(tmp('dead'), job2.git_info)
    assert.notEqual(dead.status, 0)
    assert.match(dead.stderr, /HTTP Basic: Access denied/)
    assert.match(dead.stderr, /fatal: Authentication failed for/)
  })

  it('uses the project ci_default_git_depth (PUT /projects/:id) and tag refspecs; clone --depth 1 works', async () => {
    const project = await createProject()
    const set = await api('PUT', `/projects/${project.id}`, { token: project.owner.token, body: { ci_default_git_depth: 1 } })
    assert.equal(set.status, 200)
    assert.equal(set.body.ci_default_git_depth, 1)
    assert.equal((await api('PUT', `/projects/${project.id}`, { token: project.owner.token, body: { ci_default_git_depth: 1001 } })).status, 400)
    const dir = localRepo(project)
    commitFile(dir, 'a.txt', 'a', 'a')
    const sha = commitFile(dir, '.gitlab-ci.yml', CI_CONFIG, 'ci')
    gitOk(['tag', '-a', 'v1', '-m', 'v1'], { cwd: dir })
    gitOk(['push', '-q', 'origin', 'v1', 'main'], { cwd: dir })
    const runner = await runnerFor(project)
    let job = await requestJob(runner)
    if (job.git_info.ref_type !== 'tag') {
      await finishJob(job)
      job = await requestJob(runner)
    }
    assert.equal(job.git_info.depth, 1)
    assert.equal(job.git_info.ref_type, 'tag')
    assert.deepEqual(job.git_info.refspecs.slice(1), ['+refs/tags/v1:refs/tags/v1'])
    const work = tmp('tagbuild')
    const fetched = runnerFetch(work, job.git_info)
    assert.equal(fetched.status, 0, fetched.stderr)
    assert.equal(gitOk(['rev-parse', 'HEAD'], { cwd: work }), sha)
    assert.equal(gitOk(['rev-list', '--count', 'HEAD'], { cwd: work }), '1')

    const shallow = tmp('shallow')
    gitOk(['clone', '-q', '--depth', '1', '--branch', 'v1', ownerUrl(project), shallow])
    assert.equal(gitOk(['rev-list', '--count', 'HEAD'], { cwd: shallow }), '1')
    assert.equal(readFileSync(join(shallow, '.git/shallow'), 'utf8').trim(), sha)
    gitOk(['fetch', '-q', '--unshallow', 'origin'], { cwd: shallow })
    assert.equal(gitOk(['rev-list', '--count', 'HEAD'], { cwd: shallow }), '2')
    // Protocol v0 (multi_ack_detailed, no-done) clones and fetches too.
    const v0 = tmp('v0')
    gitOk(['-c', 'protocol.version=0', 'clone', '-q', '--depth', '1', ownerUrl(project), v0])
    gitOk(['-c', 'protocol.version=0', 'fetch', '-q', '--unshallow', 'origin'], { cwd: v0 })
    gitOk(['fsck'], { cwd: v0 })
  })

  it('refuses a job token from another project with GitLab\'s allowlist message', async () => {
    const project = await createProject()
    const other = await createProject({ owner: project.owner })
    for (const p of [project, other]) {
      const dir = localRepo(p)
      commitFile(dir, '.gitlab-ci.yml', CI_CONFIG, 'ci')
      gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    }
    const job = await requestJob(await runnerFor(project))
    const res = git(['ls-remote', authUrl(other, 'gitlab-ci-token', job.token)])
    assert.notEqual(res.status, 0)
    assert.match(res.stderr, new RegExp(`remote: Authentication by CI/CD job token not allowed from ${project.path_with_namespace} to project #${other.id}\\.`))
    // And a job token never pushes.
    const dir = tmp('jobpush')
    gitOk(['clone', '-q', authUrl(project, 'gitlab-ci-token', job.token), dir])
    commitFile(dir, 'x.txt', 'x', 'x')
    const push = git(['push', 'origin', 'main'], { cwd: dir })
    assert.notEqual(push.status, 0)
    assert.match(push.stderr, /remote: You are not allowed to push code to this project\./)
  })
})

describe('git authentication', () => {
  it('challenges for credentials, rejects wrong ones, hides private projects from outsiders', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    commitFile(dir, 'a.txt', 'a', 'a')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })

    const anonymous = git(['ls-remote', project.url])
    assert.notEqual(anonymous.status, 0)
    assert.match(anonymous.stderr, /could not read Username for 'http:\/\/127\.0\.0\.1:\d+': terminal prompts disabled/)
    const res = await fetch(`${project.url}/info/refs?service=git-upload-pack`)
    assert.equal(res.status, 401)
    assert.equal(res.headers.get('www-authenticate'), 'Basic realm="GitLab"')
    // An unknown project answers exactly the same.
    const unknown = await fetch(`${BASE}/nobody/nothing.git/info/refs?service=git-upload-pack`)
    assert.equal(unknown.status, 401)
    assert.equal(await unknown.text(), await res.text())

    const wrong = git(['ls-remote', authUrl(project, project.owner.username, 'glpat-wrong-token-000000000')])
    assert.notEqual(wrong.status, 0)
    assert.match(wrong.stderr, /remote: HTTP Basic: Access denied/)
    assert.match(wrong.stderr, /fatal: Authentication failed for/)

    const outsider = await createUser()
    const hidden = git(['ls-remote', authUrl(project, outsider.username, outsider.token)])
    assert.notEqual(hidden.status, 0)
    assert.match(hidden.stderr, /remote: The project you were looking for could not be found or you don't have permission to view it\./)
    assert.match(hidden.stderr, /fatal: repository '.*' not found/)

    // oauth2:<token> and any username work with a personal access token.
    assert.match(gitOk(['ls-remote', authUrl(project, 'oauth2', project.owner.token)]), /refs\/heads\/main/)
    assert.match(gitOk(['ls-remote', authUrl(project, 'anything', project.owner.token)]), /refs\/heads\/main/)

    // A reporter reads but cannot push.
    const work = await memberClone(project, 20, 'reporter')
    commitFile(work, 'b.txt', 'b', 'b')
    const push = git(['push', 'origin', 'main'], { cwd: work })
    assert.notEqual(push.status, 0)
    assert.match(push.stderr, /remote: You are not allowed to push code to this project\./)
    assert.match(push.stderr, /The requested URL returned error: 403/)
  })

  it('checks the token scopes as GitLab: read_repository reads, write_repository and api push, others neither', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    commitFile(dir, 'a.txt', 'a', 'a')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    const tokenWith = async (scopes) => (await api('POST', `/users/${project.owner.id}/personal_access_tokens`, { body: { name: scopes.join(), scopes } })).body.token
    const readOnly = await tokenWith(['read_repository'])
    const work = tmp('scoped')
    gitOk(['clone', '-q', authUrl(project, 'x', readOnly), work])
    commitFile(work, 'b.txt', 'b', 'b')
    const refused = git(['push', 'origin', 'main'], { cwd: work })
    assert.notEqual(refused.status, 0)
    assert.match(refused.stderr, /remote: You are not allowed to upload code\./)
    const writer = await tokenWith(['write_repository'])
    gitOk(['push', '-q', authUrl(project, 'x', writer), 'main'], { cwd: work })
    const userOnly = await tokenWith(['read_user'])
    const none = git(['ls-remote', authUrl(project, 'x', userOnly)])
    assert.notEqual(none.status, 0)
    assert.match(none.stderr, /remote: You are not allowed to download code\./)
  })

  it('lets anyone clone a public project, without .git too, but never push anonymously', async () => {
    const project = await createProject({ visibility: 'public' })
    const dir = localRepo(project)
    commitFile(dir, 'a.txt', 'public\n', 'a')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    const work = tmp('public')
    const clone = git(['clone', project.url.replace(/\.git$/, ''), work])
    assert.equal(clone.status, 0, clone.stderr)
    assert.match(clone.stderr, /warning: redirecting to/)
    assert.equal(readFileSync(join(work, 'a.txt'), 'utf8'), 'public\n')
    commitFile(work, 'b.txt', 'b', 'b')
    const push = git(['push', 'origin', 'main'], { cwd: work })
    assert.notEqual(push.status, 0)
    assert.match(push.stderr, /could not read Username/)
    // Wrong credentials are 401 even on a public project (git itself sends none unless challenged).
    const wrong = await fetch(`${project.url}/info/refs?service=git-upload-pack`, {
      headers: { Authorization: `Basic ${Buffer.from('x:glpat-not-a-real-token-0000').toString('base64')}` },
    })
    assert.equal(wrong.status, 401)
    assert.match(await wrong.text(), /^HTTP Basic: Access denied/)
  })
})
