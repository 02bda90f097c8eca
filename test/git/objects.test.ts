import { describe, expect, it } from 'vitest'
import { ByteReader } from '../../src/git/byte-reader'
import { parseCommit, serializeCommit } from '../../src/git/commit'
import { applyDelta } from '../../src/git/delta'
import { GitError } from '../../src/git/errors'
import { hashObject } from '../../src/git/oid'
import { DELIM, FLUSH, pkt, readPacket, readSection } from '../../src/git/pkt-line'
import { isValidBranchName, isValidRefName } from '../../src/git/refs'
import { parseTree, serializeTree } from '../../src/git/tree'

const enc = new TextEncoder()
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const streamOf = (...parts: Uint8Array[]) => ByteReader.of(new Blob(parts).stream())

describe('object ids', () => {
  it('hashes objects as git does', async () => {
    expect(await hashObject('blob', enc.encode('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a')
    expect(await hashObject('tree', new Uint8Array(0))).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904')
    expect(await hashObject('blob', new Uint8Array(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391')
    // Large objects go through the streaming digest and give the same id.
    const big = new Uint8Array(2 * 1024 * 1024).fill(97)
    const whole = new Uint8Array([...enc.encode(`blob ${big.length}\0`), ...big])
    const expected = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-1', whole)), (b) => b.toString(16).padStart(2, '0')).join('')
    expect(await hashObject('blob', big)).toBe(expected)
  })
})

describe('trees and commits', () => {
  it('sorts tree entries as git does (a directory compares as name + "/")', () => {
    const oid = 'ce013625030ba8dba906f756967f9e9ca394464a'
    const tree = serializeTree([
      { mode: '100644', name: 'a0', oid },
      { mode: '40000', name: 'a', oid },
      { mode: '100644', name: 'a.txt', oid },
      { mode: '100755', name: 'B', oid },
    ])
    expect(parseTree(tree).map((e) => `${e.mode} ${e.name}`)).toEqual(['100755 B', '100644 a.txt', '40000 a', '100644 a0'])
  })

  it('round-trips a commit with its signatures and message', () => {
    const who = { name: 'Ada L', email: 'ada@example.com', time: 1_700_000_000_000, timezone: '+0100' }
    const bytes = serializeCommit({ tree: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', parents: [], author: who, committer: who, message: 'Title\n\nBody\n' })
    expect(text(bytes)).toBe('tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Ada L <ada@example.com> 1700000000 +0100\ncommitter Ada L <ada@example.com> 1700000000 +0100\n\nTitle\n\nBody\n')
    expect(parseCommit(bytes)).toMatchObject({ parents: [], author: who, message: 'Title\n\nBody\n' })
    expect(() => parseCommit(enc.encode('tree nope\n\nx'))).toThrow(GitError)
  })
})

describe('pkt-lines', () => {
  it('frames and reads data, flush and delimiter packets', async () => {
    expect(text(pkt('hi\n'))).toBe('0007hi\n')
    const reader = streamOf(pkt('command=fetch\n'), DELIM, pkt('want x\n'), pkt('done'), FLUSH)
    expect(await readSection(reader)).toEqual({ lines: ['command=fetch'], end: 'delim' })
    expect(await readSection(reader)).toEqual({ lines: ['want x', 'done'], end: 'flush' })
    expect(await readPacket(reader)).toBeNull()
  })

  it('refuses bad lengths and truncated packets with a GitError', async () => {
    await expect(readPacket(streamOf(enc.encode('zzzz')))).rejects.toThrow(/bad line length character/)
    await expect(readPacket(streamOf(enc.encode('0003')))).rejects.toThrow(/bad line length 3/)
    await expect(readPacket(streamOf(enc.encode('00ffshort')))).rejects.toThrow(/unexpected end of pkt-line/)
  })
})

describe('deltas', () => {
  it('copies from the base and inserts new bytes', () => {
    const base = enc.encode('hello, world')
    // base size 12, result size 11: copy 7 bytes from offset 0, then insert the 4 bytes "moon"
    const delta = new Uint8Array([12, 11, 0x90, 7, 4, ...enc.encode('moon')])
    expect(text(applyDelta(base, delta))).toBe('hello, moon')
  })

  it('rejects a wrong base size and out-of-range copies', () => {
    expect(() => applyDelta(enc.encode('abc'), new Uint8Array([4, 1, 1, 120]))).toThrow(/base size/)
    expect(() => applyDelta(enc.encode('abc'), new Uint8Array([3, 5, 0x90, 5]))).toThrow(/bad delta copy/)
    expect(() => applyDelta(enc.encode('abc'), new Uint8Array([3, 1, 0]))).toThrow(/opcode 0/)
  })
})

describe('ref names', () => {
  it('follows git check-ref-format', () => {
    expect(isValidRefName('refs/heads/feature/x')).toBe(true)
    for (const bad of ['refs/heads/a..b', 'refs/heads/x.lock', 'refs/heads/.hidden', 'refs/heads/a b', 'refs/heads/x/', 'heads/x', 'refs/x']) {
      expect(isValidRefName(bad), bad).toBe(false)
    }
    expect(isValidBranchName('main')).toBe(true)
    expect(isValidBranchName('-x')).toBe(false)
    expect(isValidBranchName('HEAD')).toBe(false)
  })
})
