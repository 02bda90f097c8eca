import { GitError } from './errors'
import { isOid } from './oid'

/** A person line of a commit or tag: `Name <email> <epoch seconds> <+hhmm>`. */
export interface Signature {
  name: string
  email: string
  /** milliseconds since the epoch */
  time: number
  /** `+0000` style */
  timezone: string
}

export interface Commit {
  tree: string
  parents: string[]
  author: Signature
  committer: Signature
  message: string
}

const decoder = new TextDecoder()
const encoder = new TextEncoder()

export function parseSignature(text: string): Signature {
  const match = /^(.*?) ?<([^>]*)> (-?\d+)(?: ([+-]\d{4}))?$/.exec(text)
  if (!match) return { name: text, email: '', time: 0, timezone: '+0000' }
  return { name: match[1], email: match[2], time: Number(match[3]) * 1000, timezone: match[4] ?? '+0000' }
}

export function formatSignature(sig: Signature): string {
  return `${sig.name} <${sig.email}> ${Math.floor(sig.time / 1000)} ${sig.timezone}`
}

/** Parses a commit object's content (headers, blank line, message); extra headers are skipped. */
export function parseCommit(content: Uint8Array): Commit {
  const text = decoder.decode(content)
  const split = text.indexOf('\n\n')
  const head = split === -1 ? text : text.slice(0, split)
  const message = split === -1 ? '' : text.slice(split + 2)
  let tree = ''
  const parents: string[] = []
  let author: Signature | undefined
  let committer: Signature | undefined
  for (const line of head.split('\n')) {
    if (line.startsWith(' ')) continue // continuation of a multi-line header (gpgsig)
    const space = line.indexOf(' ')
    const key = line.slice(0, space)
    const value = line.slice(space + 1)
    if (key === 'tree') tree = value
    else if (key === 'parent') parents.push(value)
    else if (key === 'author') author = parseSignature(value)
    else if (key === 'committer') committer = parseSignature(value)
  }
  if (!isOid(tree) || !parents.every(isOid) || !author || !committer) throw new GitError('invalid commit object')
  return { tree, parents, author, committer, message }
}

export function serializeCommit(commit: Commit): Uint8Array {
  const lines = [`tree ${commit.tree}`, ...commit.parents.map((p) => `parent ${p}`)]
  lines.push(`author ${formatSignature(commit.author)}`, `committer ${formatSignature(commit.committer)}`)
  return encoder.encode(`${lines.join('\n')}\n\n${commit.message}`)
}

/** The message's first line, as GitLab's `title`. */
export function commitTitle(message: string): string {
  return message.split('\n')[0].trim()
}
