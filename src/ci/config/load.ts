import { parseAllDocuments, Scalar, type CollectionTag, type Document, type ScalarTag, type Tags } from 'yaml'
import { isHash, type Config } from './keywords'
import { ReferenceTag } from './reference'

/**
 * From text to the top-level hash, with GitLab's loader errors. GitLab reads YAML with Psych:
 * `<<` merge keys work, duplicate keys keep the last one, and yes/no/on/off (any case) are
 * booleans. The `yaml` package's YAML 1.1 schema goes further than Psych (`y`, `n` and `.e1` are
 * not strings there), so this is the 1.2 core schema with Psych's booleans.
 * Sources: gitlabhq lib/gitlab/config/loader/yaml.rb, lib/gitlab/ci/yaml_processor.rb,
 * ruby/psych lib/psych/scalar_scanner.rb.
 */

export const MAX_CI_CONFIG_BYTES = 1024 * 1024
const TOO_BIG = 'The parsed YAML is too big'
const BOOL_TAG = 'tag:yaml.org,2002:bool'
// A guard against alias bombs ("billion laughs"); legitimate configs reuse an anchor far less.
const MAX_ALIAS_COUNT = 10_000
const MAX_DEPTH = 100
/** Rough budget, in characters plus per-node overhead, for the config once aliases are expanded. */
const MAX_EXPANDED_SIZE = 16 * MAX_CI_CONFIG_BYTES

export type Loaded = { ok: true; config: Config; header?: Config } | { ok: false; errors: string[] }

/** At most two documents (Yaml::Loader::MAX_DOCUMENTS): a `spec:` header, then the content. */
const MAX_DOCUMENTS = 2

/**
 * The content document (and the `spec:` header when the first of two documents has one), with
 * `!reference [...]` tags kept as ReferenceTag values for the resolver (Yaml::Documents).
 */
export function loadCiYaml(source: string, emptyMessage = 'Please provide content of .gitlab-ci.yml'): Loaded {
  if (source.trim() === '') return failure(emptyMessage)
  if (source.length > MAX_CI_CONFIG_BYTES || new TextEncoder().encode(source).length > MAX_CI_CONFIG_BYTES) return failure(TOO_BIG)
  const documents = parseDocuments(source)
  if (documents === TOO_BIG) return failure(TOO_BIG)
  if (documents.length === 0) return failure('Invalid configuration format')
  const broken = documents.find((document) => document.errors.length > 0)
  if (broken) return failure(syntaxError(broken.errors[0].message))
  if (documents.length > MAX_DOCUMENTS) return failure(`Too many documents: maximum is ${MAX_DOCUMENTS}`)
  const values: unknown[] = []
  try {
    for (const document of documents) values.push(document.toJS({ maxAliasCount: MAX_ALIAS_COUNT }))
  } catch (error) {
    return failure(aliasError(error))
  }
  const header = values.length > 1 && isHash(values[0]) && 'spec' in values[0] ? values[0] : undefined
  const value = header ? values[values.length - 1] : values[0]
  if (!isHash(value)) return failure('Invalid configuration format')
  if (!expandedSizeFits(value)) return failure(TOO_BIG)
  return header ? { ok: true, config: value, header } : { ok: true, config: value }
}

function parseDocuments(source: string): Document.Parsed[] | typeof TOO_BIG {
  try {
    const documents = parseAllDocuments(source, {
      version: '1.2',
      schema: 'core',
      merge: true,
      uniqueKeys: false,
      customTags: (tags) => [...psychBooleans(tags), REFERENCE_SEQUENCE, REFERENCE_SCALAR],
    })
    return (Array.isArray(documents) ? documents : [documents]).filter((document): document is Document.Parsed => 'errors' in document)
  } catch (error) {
    if (error instanceof RangeError) return TOO_BIG
    throw error
  }
}

/** `!reference [.job, key, ...]`; any other shape is kept too and refused by the resolver. */
const REFERENCE_SEQUENCE: CollectionTag = {
  tag: '!reference',
  collection: 'seq',
  resolve: (sequence) =>
    new Scalar(new ReferenceTag(sequence.items.map((item) => (item instanceof Scalar ? item.value : (item as { toJSON?: () => unknown }).toJSON?.())))),
}

const REFERENCE_SCALAR: ScalarTag = {
  tag: '!reference',
  resolve: (text) => new ReferenceTag(text) as unknown as string,
}

/** The first line of a `yaml` syntax error, which names the line and column; deep nesting is too big. */
function syntaxError(message: string): string {
  return message.startsWith('Maximum call stack size exceeded') ? TOO_BIG : message.split('\n')[0]
}

function failure(message: string): Loaded {
  return { ok: false, errors: [message] }
}

function psychBooleans(tags: Tags): Tags {
  const others = tags.filter((tag) => typeof tag === 'string' || tag.tag !== BOOL_TAG)
  return [...others, booleanTag(true, /^(?:yes|true|on)$/i), booleanTag(false, /^(?:no|false|off)$/i)]
}

function booleanTag(value: boolean, test: RegExp): ScalarTag {
  return {
    tag: BOOL_TAG,
    default: true,
    test,
    identify: (candidate) => candidate === value,
    resolve: () => value,
    stringify: () => String(value),
  }
}

function aliasError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const unresolved = /Unresolved alias[^:]*: (.*)$/.exec(message)
  if (unresolved) return `Unknown alias: ${unresolved[1]}`
  if (/resource exhaustion/.test(message) || error instanceof RangeError) return TOO_BIG
  return message
}

/** GitLab also refuses YAML that is too deep or too large once parsed (Gitlab::Utils::DeepSize). */
function expandedSizeFits(root: unknown): boolean {
  let budget = MAX_EXPANDED_SIZE
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }]
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!
    budget -= 8
    if (typeof value === 'string') budget -= value.length
    if (budget < 0 || depth > MAX_DEPTH) return false
    const children = Array.isArray(value) ? value : isHash(value) ? Object.entries(value).flat() : []
    for (const child of children) stack.push({ value: child, depth: depth + 1 })
  }
  return true
}
