// Bad input to git-receive-pack and git-upload-pack: truncated and corrupt packs, a delta whose
// base exists nowhere, bogus pkt-lines, pushes over the size limits. Each gets a clear git
// error, no ref moves, nothing of it is stored, and the server never answers 500.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { deflateSync } from 'node:zlib'
import { FLUSH, GIT_ENV, ZERO, commitFile, createProject, git, gitOk, gitPost, localRepo, ownerUrl, pktLine, tmp } from './harness.mjs'

async function projectWithCommit() {
  const project = await createProject()
  const dir = localRepo(project)
  const base = commitFile(dir, 'a.txt', 'a\n', 'base')
  gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
  return { project, dir, base }
}

/** The pack of `sha` minus what the server has (`base`), made by git itself. */
function packBytes(dir, sha, base) {
  return execBuffer(['pack-objects', '--stdout', '--revs', '-q'], dir, `${sha}\n^${base}\n`)
}

function execBuffer(args, cwd, input) {
  const result = spawnSync('git', args, { cwd, env: GIT_ENV, input, maxBuffer: 256 * 1024 * 1024 })
  assert.equal(result.status, 0, String(result.stderr))
  return result.stdout
}

function pushBody(commands, pack) {
  const lines = commands.map((c, i) => pktLine(i === 0 ? `${c}\0 report-status side-band-64k agent=test` : c))
  return Buffer.concat([...lines, FLUSH, ...(pack ? [pack] : [])])
}

/** The report inside band 1 of a side-band answer. */
function report(bytes) {
  let at = 0
  let out = ''
  let progress = ''
  while (at + 4 <= bytes.length) {
    const length = parseInt(bytes.subarray(at, at + 4).toString(), 16)
    if (length === 0) {
      at += 4
      continue
    }
    const payload = bytes.subarray(at + 4, at + length)
    if (payload[0] === 1) out += payload.subarray(1).toString('latin1')
    else if (payload[0] === 2) progress += payload.subarray(1).toString()
    at += length
  }
  return { report: out, progress }
}

function remoteRefs(project) {
  return gitOk(['ls-remote', ownerUrl(project)])
}

/** A pack of one REF_DELTA whose base is an object nobody has. */
function packWithMissingBase() {
  const delta = Buffer.from([5, 5, 5, ...Buffer.from('hello')])
  const header = Buffer.from([(7 << 4) | (delta.length & 15)])
  const body = Buffer.concat([Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]), header, randomBytes(20), deflateSync(delta)])
  return Buffer.concat([body, createHash('sha1').update(body).digest()])
}

describe('bad pushes', () => {
  it('refuses truncated and corrupt packs and a missing delta base, storing nothing', async () => {
    const { project, dir, base } = await projectWithCommit()
    writeFileSync(join(dir, 'big.txt'), randomBytes(50_000).toString('hex'))
    gitOk(['add', 'big.txt'], { cwd: dir })
    gitOk(['commit', '-q', '-m', 'big'], { cwd: dir })
    const sha = gitOk(['rev-parse', 'HEAD'], { cwd: dir })
    const pack = packBytes(dir, sha, base)
    const before = remoteRefs(project)

    const cases = {
      truncated: pack.subarray(0, Math.floor(pack.length / 2)),
      'cut trailer': pack.subarray(0, pack.length - 5),
      corrupt: Buffer.from(pack.map((b, i) => (i === Math.floor(pack.length / 2) ? b ^ 0xff : b))),
      'bad checksum': Buffer.concat([pack.subarray(0, pack.length - 20), Buffer.alloc(20)]),
      'not a pack': Buffer.from('this is not a pack at all'),
      'missing delta base': packWithMissingBase(),
    }
    for (const [name, bytes] of Object.entries(cases)) {
      const res = await gitPost(project, 'git-receive-pack', pushBody([`${ZERO} ${sha} refs/heads/${name.replace(/ /g, '-')}`], bytes))
      assert.equal(res.status, 200, name)
      const { report: text, progress } = report(res.bytes)
      assert.match(text, /^[0-9a-f]{4}unpack (?!ok)/, `${name}: ${text}`)
      assert.match(text, /ng refs\/heads\/\S+ unpacker error/, name)
      assert.match(progress, /fatal: /, name)
    }
    assert.match(report((await gitPost(project, 'git-receive-pack', pushBody([`${ZERO} ${sha} refs/heads/x`], cases['missing delta base']))).bytes).report, /unpack missing delta base/)
    assert.equal(remoteRefs(project), before)

    // The same commit pushed for real afterwards works, so nothing half-stored is in the way.
    gitOk(['push', '-q', 'origin', 'main'], { cwd: dir })
    const clone = tmp('after-bad')
    gitOk(['clone', '-q', ownerUrl(project), clone])
    gitOk(['fsck', '--full'], { cwd: clone })
    assert.equal(gitOk(['rev-parse', 'HEAD'], { cwd: clone }), sha)
  })

  it('answers bogus pkt-lines with a 4xx or a git error, never 500', async () => {
    const { project, base } = await projectWithCommit()
    const bodies = [
      Buffer.from('zzzz not pkt-lines'),
      Buffer.from('0009hi'),
      Buffer.from('00ffshort'),
      pktLine(`not-an-oid ${ZERO} refs/heads/main\0report-status`),
      Buffer.concat([pktLine(`${base} ${ZERO} refs/heads/main`)]),
    ]
    for (const body of bodies) {
      const push = await gitPost(project, 'git-receive-pack', body)
      assert.ok(push.status >= 200 && push.status < 500, `receive-pack ${push.status} for ${body}`)
      assert.notEqual(push.status, 200, `receive-pack accepted ${body}`)
      const fetch = await gitPost(project, 'git-upload-pack', body)
      assert.ok(fetch.status < 500, `upload-pack ${fetch.status}`)
      if (fetch.status === 200) assert.match(fetch.bytes.toString(), /ERR /)
    }
    assert.match(remoteRefs(project), /refs\/heads\/main/)
  })

  it('refuses a push over the size limit and an object over the object limit with a git error', async () => {
    const { project, dir } = await projectWithCommit()
    const before = remoteRefs(project)
    // The test server allows 8 MiB per push and 4 MiB per object (test/git-cli/run.mjs).
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `part${i}.bin`), randomBytes(3 * 1024 * 1024))
    gitOk(['add', '.'], { cwd: dir })
    gitOk(['commit', '-q', '-m', 'too big'], { cwd: dir })
    const push = git(['push', 'origin', 'HEAD:refs/heads/big'], { cwd: dir })
    assert.notEqual(push.status, 0)
    assert.match(push.stderr, /pack exceeds maximum allowed size \(8388608 bytes\)/)
    assert.equal(remoteRefs(project), before)

    gitOk(['reset', '-q', '--hard', 'HEAD~1'], { cwd: dir })
    writeFileSync(join(dir, 'huge.bin'), randomBytes(5 * 1024 * 1024))
    gitOk(['add', '.'], { cwd: dir })
    gitOk(['commit', '-q', '-m', 'one huge object'], { cwd: dir })
    const object = git(['push', 'origin', 'HEAD:refs/heads/huge'], { cwd: dir })
    assert.notEqual(object.status, 0)
    assert.match(object.stderr, /remote unpack failed: object of 5242880 bytes is larger than the 4194304 bytes allowed/)
    assert.match(object.stderr, /\[remote rejected\] HEAD -> huge \(unpacker error\)/)
    assert.equal(remoteRefs(project), before)
  })
})
