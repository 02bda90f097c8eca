// Concurrent pushes to one branch: the repository's single writer lets exactly one through;
// the others are rejected (non-fast-forward) and no accepted commit is ever lost.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { commitFile, createProject, gitAsync, gitOk, localRepo, ownerUrl, tmp } from './harness.mjs'

describe('concurrent pushes', () => {
  it('two pushes to one branch at once: exactly one wins, history keeps every accepted commit (5 rounds)', async () => {
    const project = await createProject()
    const seed = localRepo(project)
    let head = commitFile(seed, 'base.txt', 'base\n', 'base')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: seed })
    const accepted = [head]
    for (let round = 0; round < 5; round++) {
      const clones = [tmp('racer'), tmp('racer')]
      const shas = clones.map((dir, i) => {
        gitOk(['clone', '-q', ownerUrl(project), dir])
        return commitFile(dir, `racer${i}.txt`, `round ${round}\n`, `round ${round} racer ${i}`)
      })
      const results = await Promise.all(clones.map((dir) => gitAsync(['push', 'origin', 'main'], { cwd: dir })))
      const winners = results.map((r, i) => (r.status === 0 ? i : -1)).filter((i) => i >= 0)
      assert.equal(winners.length, 1, results.map((r) => r.stderr).join('\n---\n'))
      const loser = results[1 - winners[0]]
      assert.match(loser.stderr, /\[(remote )?rejected\]/)
      head = gitOk(['ls-remote', ownerUrl(project), 'refs/heads/main']).split('\t')[0]
      assert.equal(head, shas[winners[0]])
      accepted.push(head)
    }
    // The final history is exactly the chain of accepted commits: nothing lost, nothing extra.
    const check = tmp('history')
    gitOk(['clone', '-q', ownerUrl(project), check])
    assert.deepEqual(gitOk(['rev-list', 'HEAD'], { cwd: check }).split('\n').reverse(), accepted)
    gitOk(['fsck', '--full'], { cwd: check })
  })

  it('eight pushes at once to one branch: one accepted, seven rejected', async () => {
    const project = await createProject()
    const seed = localRepo(project)
    const base = commitFile(seed, 'base.txt', 'base\n', 'base')
    gitOk(['push', '-q', 'origin', 'main'], { cwd: seed })
    const dirs = Array.from({ length: 8 }, () => tmp('many'))
    const shas = dirs.map((dir, i) => {
      gitOk(['clone', '-q', ownerUrl(project), dir])
      return commitFile(dir, `f${i}.txt`, `${i}\n`, `racer ${i}`)
    })
    const results = await Promise.all(dirs.map((dir) => gitAsync(['push', 'origin', 'main'], { cwd: dir })))
    const winners = results.flatMap((r, i) => (r.status === 0 ? [i] : []))
    assert.equal(winners.length, 1)
    const head = gitOk(['ls-remote', ownerUrl(project), 'refs/heads/main']).split('\t')[0]
    assert.equal(head, shas[winners[0]])
    const check = tmp('many-history')
    gitOk(['clone', '-q', ownerUrl(project), check])
    assert.deepEqual(gitOk(['rev-list', 'HEAD'], { cwd: check }).split('\n'), [head, base])
  })
})
