import { GitError } from './errors'
import type { ObjectType } from './oid'

export interface Tag {
  object: string
  type: ObjectType
  tag: string
  message: string
}

const decoder = new TextDecoder()

/** An annotated tag's target (`object`, `type`), its name and message. */
export function parseTag(content: Uint8Array): Tag {
  const text = decoder.decode(content)
  const split = text.indexOf('\n\n')
  const head = split === -1 ? text : text.slice(0, split)
  const fields = new Map<string, string>()
  for (const line of head.split('\n')) {
    const space = line.indexOf(' ')
    if (space > 0 && !fields.has(line.slice(0, space))) fields.set(line.slice(0, space), line.slice(space + 1))
  }
  const object = fields.get('object')
  const type = fields.get('type') as ObjectType | undefined
  if (!object || !type || !['commit', 'tree', 'blob', 'tag'].includes(type)) throw new GitError('invalid tag object')
  return { object, type, tag: fields.get('tag') ?? '', message: split === -1 ? '' : text.slice(split + 2) }
}
