// Protected branches and tags refusing pushes from the real git CLI (lib/gitlab/checks/branch_check.rb's and tag_check.rb's
// messages, shown by git as `remote: GitLab: …` with `[remote rejected] (pre-receive hook declined)`).
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { api, commitFile, createProject, git, gitOk, localRepo, memberClone, ownerUrl } from './harness.mjs'

describe('git push to protected branches', () => {
  it('refuses developers below the push level, force pushes and deletions; allow_force_push lets a force push through', async () => {
    const project = await createProject()
    const token = project.owner.token
    const dir = localRepo(project)
    commitFile(dir, 'README.md', '# one\n', 'one')
    gitOk(['push', '-q', 'origin', 'main', 'main:refs/heads/release/1'], { cwd: dir })
    assert.equal((await api('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'main' } })).status, 201)
    assert.equal((await api('POST', `/projects/${project.id}/protected_branches`, { token, body: { name: 'release/*', push_access_level: 30 } })).status, 201)

    const work = await memberClone(project, 30, 'dev')
    commitFile(work, 'dev.txt', 'dev\n', 'developer change')
    const refused = git(['push', 'origin', 'main'], { cwd: work })
    assert.notEqual(refused.status, 0)
    assert.match(refused.stderr, /remote: GitLab: You are not allowed to push code to protected branches on this project\./)
    assert.match(refused.stderr, /\[remote rejected\] main -> main \(pre-receive hook declined\)/)
    // The same developer may push where the push level is "developers", and to unprotected branches.
    gitOk(['push', '-q', 'origin', 'HEAD:refs/heads/release/1'], { cwd: work })
    gitOk(['push', '-q', 'origin', 'HEAD:refs/heads/feature'], { cwd: work })

    // A maintainer's force push needs allow_force_push.
    gitOk(['commit', '-q', '--amend', '-m', 'rewritten'], { cwd: dir })
    const forced = git(['push', '--force', 'origin', 'main'], { cwd: dir })
    assert.notEqual(forced.status, 0)
    assert.match(forced.stderr, /remote: GitLab: You are not allowed to force push code to a protected branch on this project\./)
    assert.equal((await api('PATCH', `/projects/${project.id}/protected_branches/main`, { token, body: { allow_force_push: true } })).status, 200)
    const allowed = git(['push', '--force', 'origin', 'main'], { cwd: dir })
    assert.equal(allowed.status, 0, allowed.stderr)
    assert.match(allowed.stderr, /\+ [0-9a-f]+\.\.\.[0-9a-f]+ main -> main \(forced update\)/)

    // Deleting a protected branch over git is refused even for its owner.
    const deleted = git(['push', 'origin', ':release/1'], { cwd: dir })
    assert.notEqual(deleted.status, 0)
    assert.match(deleted.stderr, /remote: GitLab: You can only delete protected branches using the web interface\./)
    assert.notEqual(gitOk(['ls-remote', ownerUrl(project), 'refs/heads/release/1']), '')
    const byDeveloper = git(['push', 'origin', ':release/1'], { cwd: work })
    assert.match(byDeveloper.stderr, /remote: GitLab: You are not allowed to delete protected branches from this project\. Only a project maintainer or owner can delete a protected branch\./)
  })

  it('lets only maintainers change existing tags, never moves a protected tag, and creates one only at its create level', async () => {
    const project = await createProject()
    const token = project.owner.token
    const dir = localRepo(project)
    commitFile(dir, 'README.md', '# one\n', 'one')
    gitOk(['tag', 'plain-1'], { cwd: dir })
    gitOk(['push', '-q', 'origin', 'main', 'plain-1'], { cwd: dir })
    assert.equal((await api('POST', `/projects/${project.id}/protected_tags`, { token, body: { name: 'v*' } })).status, 201)
    const work = await memberClone(project, 30, 'dev')

    const created = git(['push', 'origin', 'HEAD:refs/tags/v1.0'], { cwd: work })
    assert.match(created.stderr, /remote: GitLab: You are not allowed to create this tag as it is protected\./)
    const deleted = git(['push', 'origin', ':refs/tags/plain-1'], { cwd: work })
    assert.match(deleted.stderr, /remote: GitLab: You are not allowed to change existing tags on this project\./)
    gitOk(['push', '-q', 'origin', 'HEAD:refs/tags/dev-tag'], { cwd: work })
    const collision = git(['push', 'origin', 'HEAD:refs/tags/main'], { cwd: work })
    assert.match(collision.stderr, /remote: GitLab: You cannot use default branch name to create a tag/)

    // The owner creates the protected tag; it cannot be moved, nor deleted over git.
    gitOk(['tag', 'v1.0'], { cwd: dir })
    gitOk(['push', '-q', 'origin', 'v1.0'], { cwd: dir })
    commitFile(dir, 'b.txt', 'b\n', 'two')
    gitOk(['tag', '-f', 'v1.0'], { cwd: dir })
    const moved = git(['push', '--force', 'origin', 'v1.0'], { cwd: dir })
    assert.match(moved.stderr, /remote: GitLab: Protected tags cannot be updated\./)
    const gone = git(['push', 'origin', ':refs/tags/v1.0'], { cwd: dir })
    assert.match(gone.stderr, /remote: GitLab: You can only delete protected tags using the web interface\./)
    // An unprotected tag the owner may move and delete.
    gitOk(['push', '-q', 'origin', ':refs/tags/plain-1'], { cwd: dir })
  })
})
