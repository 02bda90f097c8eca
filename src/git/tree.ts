import { GitError } from './errors'
import { fromHex, toHex } from './oid'

export interface TreeEntry {
  /** `100644`, `100755`, `120000`, `40000` (tree), `160000` (submodule) */
  mode: string
  name: string
  oid: string
}

export const TREE_MODE = '40000'
export const FILE_MODE = '100644'

const decoder = new TextDecoder()
const encoder = new TextEncoder()

export function isTreeMode(mode: string): boolean {
  return mode === '40000' || mode === '040000'
}

/** `<mode> <name>\0<20-byte id>` entries. */
export function parseTree(content: Uint8Array): TreeEntry[] {
  const entries: TreeEntry[] = []
  let at = 0
  while (at < content.length) {
    const space = content.indexOf(0x20, at)
    const nul = content.indexOf(0, space + 1)
    if (space === -1 || nul === -1 || nul + 21 > content.length) throw new GitError('invalid tree object')
    entries.push({
      mode: decoder.decode(content.subarray(at, space)),
      name: decoder.decode(content.subarray(space + 1, nul)),
      oid: toHex(content.subarray(nul + 1, nul + 21)),
    })
    at = nul + 21
  }
  return entries
}

/** Git's tree order: by name, a tree compared as if its name ended in `/`. */
function sortKey(entry: TreeEntry): string {
  return isTreeMode(entry.mode) ? `${entry.name}/` : entry.name
}

export function serializeTree(entries: TreeEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => compareBytes(sortKey(a), sortKey(b)))
  const parts = sorted.map((e) => {
    const head = encoder.encode(`${isTreeMode(e.mode) ? TREE_MODE : e.mode} ${e.name}\0`)
    const out = new Uint8Array(head.length + 20)
    out.set(head)
    out.set(fromHex(e.oid), head.length)
    return out
  })
  const total = parts.reduce((n, p) => n + p.length, 0)
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function compareBytes(a: string, b: string): number {
  const x = encoder.encode(a)
  const y = encoder.encode(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i]
  return x.length - y.length
}
