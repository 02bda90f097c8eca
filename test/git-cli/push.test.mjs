// Pushing with the real git CLI: first push with a binary file, fast-forward, rejected
// non-fast-forward, forced push, tags, deleted branch, and the pipeline each push creates.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import {
  API, CI_CONFIG, ZERO, api, commitFile, createProject, git, gitOk, localRepo, ownerUrl, pipeline, pipelines, tmp,
} from './harness.mjs'

describe('git push', () => {
  it('clones an empty project, pushes a first commit with a binary file, and makes a push pipeline', async () => {
    const project = await createProject()
    const dir = tmp('clone')
    const clone = git(['clone', ownerUrl(project), dir])
    assert.equal(clone.status, 0, clone.stderr)
    assert.match(clone.stderr, /warning: You appear to have cloned an empty repository\./)
    writeFileSync(join(dir, '.gitlab-ci.yml'), CI_CONFIG)
    const binary = randomBytes(200_000)
    binary[10] = 0
    writeFileSync(join(dir, 'logo.bin'), binary)
    gitOk(['add', '.'], { cwd: dir })
    gitOk(['commit', '-q', '-m', 'First commit'], { cwd: dir })
    const sha = gitOk(['rev-parse', 'HEAD'], { cwd: dir })
    const push = git(['push', 'origin', 'main'], { cwd: dir })
    assert.equal(push.status, 0, push.stderr)
    assert.match(push.stderr, /\* \[new branch\]\s+main -> main/)

    // The API reads the same repository: commit id, raw binary file, default branch.
    const commit = await api('GET', `/projects/${project.id}/repository/commits/main`, { token: project.owner.token })
    assert.equal(commit.body.id, sha)
    assert.equal(commit.body.title, 'First commit')
    const raw = await fetch(`${API}/projects/${project.id}/repository/files/logo.bin/raw?ref=main`, { headers: { 'PRIVATE-TOKEN': project.owner.token } })
    assert.deepEqual(Buffer.from(await raw.arrayBuffer()), binary)
    assert.equal((await api('GET', `/projects/${project.id}`, { token: project.owner.token })).body.default_branch, 'main')

    const list = await pipelines(project)
    assert.equal(list.length, 1)
    const p = await pipeline(project, list[0].id)
    assert.equal(p.source, 'push')
    assert.equal(p.sha, sha)
    assert.equal(p.ref, 'main')
    assert.equal(p.before_sha, ZERO)
    assert.equal(p.tag, false)
    assert.equal(p.status, 'pending')
    // refs/pipelines/<id> is advertised and points at the commit.
    const refs = gitOk(['ls-remote', ownerUrl(project)])
    assert.match(refs, new RegExp(`^${sha}\\trefs/pipelines/${p.id}$`, 'm'))

    // A fresh clone gets the same bytes and a clean repository.
    const again = tmp('clone2')
    gitOk(['clone', '-q', ownerUrl(project), again])
    assert.deepEqual(readFileSync(join(again, 'logo.bin')), binary)
    gitOk(['fsck', '--full'], { cwd: again })
  })

  it('fast-forward, rejected non-fast-forward, forced push, tags and a deleted branch', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    const first = commitFile(dir, '.gitlab-ci.yml', CI_CONFIG, 'ci')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    const second = commitFile(dir, 'a.txt', 'a\n', 'second')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    let list = await pipelines(project)
    assert.equal(list.length, 2)
    assert.equal((await pipeline(project, list[0].id)).before_sha, first)
    assert.equal(list[0].sha, second)
    // The second push auto-canceled the first push's pipeline: nothing of it had started
    // (app/services/ci/pipeline_creation/cancel_redundant_pipelines_service.rb, `conservative`).
    assert.equal((await pipeline(project, list[1].id)).status, 'canceled')
    assert.equal((await pipeline(project, list[0].id)).status, 'pending')

    // Someone else's history: the client refuses a non-fast-forward, the server never moves.
    const other = localRepo(project)
    commitFile(other, '.gitlab-ci.yml', CI_CONFIG, 'unrelated')
    const rejected = git(['push', 'origin', 'main'], { cwd: other })
    assert.notEqual(rejected.status, 0)
    assert.match(rejected.stderr, /! \[rejected\]\s+main -> main/)
    assert.equal(gitOk(['ls-remote', ownerUrl(project), 'refs/heads/main']).split('\t')[0], second)
    assert.equal((await pipelines(project)).length, 2)

    // With --force the other history replaces the branch.
    const forced = git(['push', '--force', 'origin', 'main'], { cwd: other })
    assert.equal(forced.status, 0, forced.stderr)
    assert.match(forced.stderr, /\+ [0-9a-f]+\.\.\.[0-9a-f]+ main -> main \(forced update\)/)
    const forcedSha = gitOk(['rev-parse', 'HEAD'], { cwd: other })
    list = await pipelines(project)
    assert.equal(list.length, 3)
    assert.equal((await pipeline(project, list[0].id)).before_sha, second)
    // The pipeline refs keep the overwritten commits fetchable.
    const pipelineRef = `refs/pipelines/${list[1].id}`
    const fetchOld = git(['fetch', '-q', 'origin', `+${pipelineRef}:${pipelineRef}`], { cwd: other })
    assert.equal(fetchOld.status, 0, fetchOld.stderr)
    assert.equal(gitOk(['rev-parse', pipelineRef], { cwd: other }), second)

    // Tags: an annotated and a lightweight one in one push, each with a tag pipeline on the commit.
    gitOk(['tag', '-a', 'v1.0', '-m', 'Release 1.0'], { cwd: other })
    gitOk(['tag', 'light'], { cwd: other })
    const tags = git(['push', 'origin', 'v1.0', 'light'], { cwd: other })
    assert.equal(tags.status, 0, tags.stderr)
    assert.match(tags.stderr, /\* \[new tag\]\s+v1\.0 -> v1\.0/)
    list = await pipelines(project)
    assert.equal(list.length, 5)
    for (const item of list.slice(0, 2)) {
      const p = await pipeline(project, item.id)
      assert.equal(p.tag, true)
      assert.equal(p.sha, forcedSha)
      assert.equal(p.before_sha, ZERO)
    }
    assert.deepEqual(list.slice(0, 2).map((p) => p.ref).sort(), ['light', 'v1.0'])
    const peeled = gitOk(['ls-remote', ownerUrl(project), 'refs/tags/v1.0^{}'])
    assert.equal(peeled.split('\t')[0], forcedSha)

    // A new branch, then its deletion: a pipeline for the first, none for the second.
    gitOk(['push', '-q', 'origin', 'HEAD:refs/heads/feature'], { cwd: other })
    assert.equal((await pipelines(project)).length, 6)
    const del = git(['push', 'origin', ':feature'], { cwd: other })
    assert.equal(del.status, 0, del.stderr)
    assert.match(del.stderr, /- \[deleted\]\s+feature/)
    assert.equal((await pipelines(project)).length, 6)
    assert.equal(gitOk(['ls-remote', ownerUrl(project), 'refs/heads/feature']), '')
    const branches = await api('GET', `/projects/${project.id}/repository/branches`, { token: project.owner.token })
    assert.deepEqual(branches.body.map((b) => b.name), ['main'])

    // The default branch cannot be deleted (GitLab's pre-receive message).
    const delMain = git(['push', 'origin', ':main'], { cwd: other })
    assert.notEqual(delMain.status, 0)
    assert.match(delMain.stderr, /remote: GitLab: The default branch of a project cannot be deleted\./)
    assert.match(delMain.stderr, /\[remote rejected\] main \(pre-receive hook declined\)/)

    // --atomic: one refused command refuses the whole push.
    const atomic = git(['push', '--atomic', 'origin', ':main', 'HEAD:refs/heads/atomic-new'], { cwd: other })
    assert.notEqual(atomic.status, 0)
    assert.match(atomic.stderr, /\[remote rejected\] HEAD -> atomic-new \(atomic push failure\)/)
    assert.equal(gitOk(['ls-remote', ownerUrl(project), 'refs/heads/atomic-new']), '')
    assert.equal(gitOk(['ls-remote', ownerUrl(project), 'refs/heads/main']).split('\t')[0], forcedSha)
    // Without --atomic the same push applies the good command.
    const partial = git(['push', 'origin', ':main', 'HEAD:refs/heads/atomic-new'], { cwd: other })
    assert.notEqual(partial.status, 0)
    assert.match(partial.stderr, /\* \[new branch\]\s+HEAD -> atomic-new/)
  })

  it('skips CI for [skip ci], [ci skip] and -o ci.skip, passes -o ci.variable, honours workflow:rules, fails on an invalid config', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    commitFile(dir, '.gitlab-ci.yml', 'workflow:\n  rules:\n    - if: $CI_COMMIT_BRANCH == "nopipe"\n      when: never\n    - if: $CI_PIPELINE_SOURCE == "push"\ntest:\n  script: echo $FOO\n', 'ci [skip ci]')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    let list = await pipelines(project)
    assert.equal(list.length, 1)
    assert.equal(list[0].status, 'skipped')
    assert.equal((await api('GET', `/projects/${project.id}/pipelines/${list[0].id}/jobs`, { token: project.owner.token })).body.length, 0)

    commitFile(dir, 'a.txt', '1', 'second\n\nbody [CI SKIP]')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    commitFile(dir, 'a.txt', '2', 'third')
    gitOk(['push', '-q', '-o', 'ci.skip', 'origin', 'main'], { cwd: dir })
    list = await pipelines(project)
    assert.deepEqual(list.map((p) => p.status), ['skipped', 'skipped', 'skipped'])

    commitFile(dir, 'a.txt', '3', 'fourth [skip-cii]')
    gitOk(['push', '-q', '-o', 'ci.variable=FOO=bar', '-o', 'unknown.option', 'origin', 'main'], { cwd: dir })
    list = await pipelines(project)
    assert.equal(list.length, 4)
    assert.equal(list[0].status, 'pending')
    const jobs = (await api('GET', `/projects/${project.id}/pipelines/${list[0].id}/jobs`, { token: project.owner.token })).body
    assert.deepEqual(jobs.map((j) => j.name), ['test'])

    // workflow:rules filters the push out: no pipeline at all, and the push still succeeds.
    gitOk(['push', '-q', 'origin', 'HEAD:refs/heads/nopipe'], { cwd: dir })
    assert.equal((await pipelines(project)).length, 4)

    // An invalid config still makes GitLab's failed pipeline, with its yaml_errors, and no jobs.
    commitFile(dir, '.gitlab-ci.yml', 'test:\n  script: echo hi\n  stage: nope\n', 'broken config')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    list = await pipelines(project)
    assert.equal(list.length, 5)
    const failed = await pipeline(project, list[0].id)
    assert.equal(failed.status, 'failed')
    assert.match(failed.yaml_errors, /test job: chosen stage nope does not exist/)
    assert.equal((await api('GET', `/projects/${project.id}/pipelines/${failed.id}/jobs`, { token: project.owner.token })).body.length, 0)
  })

  it('rules:changes and only:changes see the push diff (before_sha..sha); a new branch runs them all', async () => {
    // lib/gitlab/ci/build/rules/rule/clause/changes.rb and the push's before_sha (Gitlab::Git::Push):
    // a new ref has no diff, so `changes` holds; later pushes compare before_sha with the new head.
    const project = await createProject()
    const dir = localRepo(project)
    const ci = 'docs:\n  script: make docs\n  rules:\n    - changes: ["*.md"]\nlegacy:\n  script: make legacy\n  only:\n    changes: ["*.md"]\nbuild:\n  script: make\n'
    commitFile(dir, '.gitlab-ci.yml', ci, 'ci')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    const latestJobs = async () => {
      const [latest] = await pipelines(project)
      const jobs = await api('GET', `/projects/${project.id}/pipelines/${latest.id}/jobs`, { token: project.owner.token })
      return jobs.body.map((job) => job.name).sort()
    }
    assert.deepEqual(await latestJobs(), ['build', 'docs', 'legacy'])
    commitFile(dir, 'code.txt', 'x\n', 'code only')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    assert.deepEqual(await latestJobs(), ['build'])
    commitFile(dir, 'README.md', '# hi\n', 'docs')
    commitFile(dir, 'more.txt', 'y\n', 'and code')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    assert.deepEqual(await latestJobs(), ['build', 'docs', 'legacy'])
  })

  it('makes pipelines for the first 4 refs of a push (git_push_pipeline_limit)', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    commitFile(dir, '.gitlab-ci.yml', CI_CONFIG, 'ci')
    const refs = ['main', ...[1, 2, 3, 4].map((i) => `HEAD:refs/heads/b${i}`)]
    gitOk(['push', '-q', 'origin', ...refs], { cwd: dir })
    assert.equal((await pipelines(project)).length, 4)
  })

  it('makes no pipeline without a CI config, and shows API commits to git', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    commitFile(dir, 'README.md', '# hi\n', 'readme')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    assert.equal((await pipelines(project)).length, 0)

    const created = await api('POST', `/projects/${project.id}/repository/files/docs%2Fapi.txt`, {
      token: project.owner.token, body: { branch: 'main', content: 'from the API\n', commit_message: 'Add docs through the API' },
    })
    assert.equal(created.status, 201)
    gitOk(['pull', '-q', 'origin', 'main'], { cwd: dir })
    assert.equal(gitOk(['log', '-1', '--format=%s'], { cwd: dir }), 'Add docs through the API')
    assert.equal(readFileSync(join(dir, 'docs/api.txt'), 'utf8'), 'from the API\n')
    gitOk(['fsck', '--full'], { cwd: dir })
    const head = gitOk(['rev-parse', 'HEAD'], { cwd: dir })
    assert.equal((await api('GET', `/projects/${project.id}/repository/commits/main`, { token: project.owner.token })).body.id, head)

    // Tree and commit listings read the pushed history.
    const tree = await api('GET', `/projects/${project.id}/repository/tree?recursive=true`, { token: project.owner.token })
    assert.deepEqual(tree.body.map((e) => `${e.type}:${e.path}`), ['blob:README.md', 'tree:docs', 'blob:docs/api.txt'])
    const commits = await api('GET', `/projects/${project.id}/repository/commits?ref_name=main&per_page=1`, { token: project.owner.token })
    assert.equal(commits.body.length, 1)
    assert.equal(commits.body[0].id, head)
    assert.equal(commits.headers.get('x-next-page'), '2')
  })
})
