// Fetch details real clients rely on: gzip request bodies (more than 25 branches), tags that
// follow a branch fetch, v0 negotiation with haves, and incremental shallow fetches.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { commitFile, createProject, git, gitOk, localRepo, ownerUrl, tmp } from './harness.mjs'

describe('git fetch', () => {
  it('clones 30 branches (a gzipped request body) and follows annotated tags on a later fetch', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    commitFile(dir, 'a.txt', 'a\n', 'a')
    for (let i = 0; i < 30; i++) {
      gitOk(['checkout', '-q', '-b', `branch-${i}`, 'main'], { cwd: dir })
      commitFile(dir, `b${i}.txt`, `${i}\n`, `branch ${i}`)
    }
    gitOk(['checkout', '-q', 'main'], { cwd: dir })
    gitOk(['push', '-q', 'origin', '--all'], { cwd: dir })
    const clone = tmp('many-branches')
    const trace = git(['clone', ownerUrl(project), clone], { env: { GIT_TRACE_CURL: '1', GIT_TRACE_CURL_NO_DATA: '1' } })
    assert.equal(trace.status, 0, trace.stderr.slice(-2000))
    assert.match(trace.stderr, /Send header: Content-Encoding: gzip/)
    assert.equal(gitOk(['branch', '-r'], { cwd: clone }).split('\n').length, 32) // 30 + main + HEAD
    gitOk(['fsck', '--full'], { cwd: clone })

    // A tag pushed later onto main's history arrives with a plain fetch of main (include-tag).
    gitOk(['tag', '-a', 'v9', '-m', 'v9', 'main'], { cwd: dir })
    commitFile(dir, 'c.txt', 'c\n', 'after tag')
    gitOk(['push', '-q', 'origin', 'main', 'v9'], { cwd: dir })
    gitOk(['fetch', '-q', 'origin'], { cwd: clone })
    assert.equal(gitOk(['cat-file', '-t', 'v9'], { cwd: clone }), 'tag')
  })

  it('negotiates with haves over v0 and v2, and deepens shallow clones incrementally', async () => {
    const project = await createProject()
    const dir = localRepo(project)
    for (let i = 0; i < 10; i++) commitFile(dir, 'f.txt', `${i}\n`, `c${i}`)
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    for (const version of ['0', '2']) {
      const clone = tmp(`v${version}`)
      gitOk(['-c', `protocol.version=${version}`, 'clone', '-q', '--depth', '3', ownerUrl(project), clone])
      assert.equal(gitOk(['rev-list', '--count', 'HEAD'], { cwd: clone }), '3')
      commitFile(dir, 'f.txt', `more ${version}\n`, `more ${version}`)
      gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
      gitOk(['-c', `protocol.version=${version}`, 'fetch', '-q', '--depth', '5', 'origin', 'main'], { cwd: clone })
      assert.equal(gitOk(['rev-list', '--count', 'origin/main'], { cwd: clone }), '5')
      gitOk(['-c', `protocol.version=${version}`, 'fetch', '-q', '--deepen', '2', 'origin', 'main'], { cwd: clone })
      assert.equal(gitOk(['rev-list', '--count', 'origin/main'], { cwd: clone }), '7')
      gitOk(['-c', `protocol.version=${version}`, 'fetch', '-q', '--unshallow', 'origin'], { cwd: clone })
      assert.equal(gitOk(['rev-list', '--count', 'origin/main'], { cwd: clone }), gitOk(['rev-list', '--count', 'HEAD'], { cwd: dir }))
      gitOk(['fsck', '--full'], { cwd: clone })
      // A full clone then fetches a new commit with haves (no shallow lines).
      const full = tmp(`full${version}`)
      gitOk(['-c', `protocol.version=${version}`, 'clone', '-q', ownerUrl(project), full])
      const next = commitFile(dir, 'g.txt', `${version}\n`, `g ${version}`)
      gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
      gitOk(['-c', `protocol.version=${version}`, 'pull', '-q', '--ff-only', 'origin', 'main'], { cwd: full })
      assert.equal(gitOk(['rev-parse', 'HEAD'], { cwd: full }), next)
      gitOk(['fsck', '--full'], { cwd: full })
    }
  })
})
