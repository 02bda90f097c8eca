import type { ByteReader } from './byte-reader'
import { GitError } from './errors'
import { isOid } from './oid'
import { writePack } from './pack-writer'
import { DELIM, FLUSH, pkt, readPacket, readSection, packetText } from './pkt-line'
import { BAND_DATA, BAND_ERROR, bandPackets } from './sideband'
import type { ObjectStore, Ref } from './store'
import { planFetch, type FetchWants } from './walk'

/**
 * `POST git-upload-pack`: protocol v2 (`ls-refs`, `fetch`) and the stateless v0/v1 negotiation
 * (multi_ack_detailed, no-done). Answers are async iterables of bytes, so a clone streams its
 * pack out object by object.
 */
export interface UploadPackState {
  store: ObjectStore
  refs: Ref[]
  headTarget: string
  peeled: Map<string, string>
}

/** Deepest `deepen` accepted (git's INFINITE_DEPTH, sent by `--unshallow`). */
const INFINITE_DEPTH = 0x7fffffff
const MAX_WANTS = 100_000
/** Arguments that need nothing from us (whole-object packs, no progress). */
const KNOWN_FETCH_WORDS = new Set(['thin-pack', 'ofs-delta', 'no-progress', 'sideband-all', 'wait-for-done', 'agent', 'object-format'])

export async function* uploadPackV2(body: ByteReader, state: UploadPackState): AsyncGenerator<Uint8Array> {
  const head = await readSection(body)
  const command = head.lines.find((line) => line.startsWith('command='))?.slice('command='.length)
  const args = head.end === 'delim' ? (await readSection(body)).lines : []
  if (command === 'ls-refs') {
    yield* lsRefs(args, state)
  } else if (command === 'fetch') {
    yield* fetchV2(args, state)
  } else {
    yield pkt(`ERR unknown command ${command ?? '(none)'}\n`)
  }
}

function* lsRefs(args: string[], state: UploadPackState): Generator<Uint8Array> {
  const peel = args.includes('peel')
  const symrefs = args.includes('symrefs')
  const unborn = args.includes('unborn')
  const prefixes = args.filter((a) => a.startsWith('ref-prefix ')).map((a) => a.slice('ref-prefix '.length))
  const wanted = (name: string) => prefixes.length === 0 || prefixes.some((p) => name.startsWith(p))
  const out: Uint8Array[] = []
  if (wanted('HEAD')) {
    const head = state.refs.find((ref) => ref.name === state.headTarget)
    const target = symrefs ? ` symref-target:${state.headTarget}` : ''
    if (head) out.push(pkt(`${head.oid} HEAD${target}\n`))
    else if (unborn) out.push(pkt(`unborn HEAD${target}\n`))
  }
  for (const ref of state.refs) {
    if (!wanted(ref.name)) continue
    const peeled = peel ? state.peeled.get(ref.oid) : undefined
    out.push(pkt(`${ref.oid} ${ref.name}${peeled ? ` peeled:${peeled}` : ''}\n`))
  }
  out.push(FLUSH)
  yield* out
}

interface FetchArgs extends FetchWants {
  done: boolean
  sideband: boolean
}

function parseFetchArgs(lines: string[], state: UploadPackState, v0: boolean): FetchArgs {
  const args: FetchArgs = {
    wants: [], haves: [], shallows: [], depth: null, deepenRelative: false, includeTag: false, done: false, sideband: !v0,
    tagRefs: state.refs.filter((r) => r.name.startsWith('refs/tags/')).map((r) => r.oid),
  }
  for (const raw of lines) {
    const line = raw.trim()
    const [word, value, ...rest] = line.split(' ')
    if (word === 'want') {
      if (!isOid(value ?? '')) throw new GitError(`protocol error: bad want line: ${line.slice(0, 60)}`)
      if (v0 && args.wants.length === 0) {
        const caps = rest
        args.sideband = caps.includes('side-band-64k') || caps.includes('side-band')
        args.includeTag = caps.includes('include-tag')
        args.deepenRelative = caps.includes('deepen-relative')
      }
      args.wants.push(value)
      if (args.wants.length > MAX_WANTS) throw new GitError('too many wants')
    } else if (word === 'have') {
      if (isOid(value ?? '')) args.haves.push(value)
    } else if (word === 'shallow') {
      if (!isOid(value ?? '')) throw new GitError(`protocol error: bad shallow line: ${line.slice(0, 60)}`)
      args.shallows.push(value)
    } else if (word === 'deepen') {
      const depth = Number(value)
      if (!Number.isInteger(depth) || depth <= 0) throw new GitError(`protocol error: bad deepen line: ${line.slice(0, 60)}`)
      args.depth = Math.min(depth, INFINITE_DEPTH)
    } else if (word === 'deepen-relative') {
      args.deepenRelative = true
    } else if (word === 'deepen-since' || word === 'deepen-not') {
      throw new GitError(`${word} is not supported by this server`)
    } else if (word === 'done') {
      args.done = true
    } else if (word === 'include-tag') {
      args.includeTag = true
    } else if (word === 'filter' || word === 'want-ref') {
      throw new GitError(`${word} is not supported by this server`)
    } else if (!KNOWN_FETCH_WORDS.has(word)) {
      throw new GitError(`protocol error: unexpected line '${line.slice(0, 60)}'`)
    }
    // thin-pack, ofs-delta, no-progress, deepen-relative…: nothing to do (packs sent here hold
    // whole objects and no progress).
  }
  if (args.wants.length === 0) throw new GitError('protocol error: no want lines')
  const known = (oid: string) => state.store.stat(oid) !== null
  const missing = args.wants.find((oid) => !known(oid))
  if (missing) throw new GitError(`upload-pack: not our ref ${missing}`)
  return args
}

async function* fetchV2(lines: string[], state: UploadPackState): AsyncGenerator<Uint8Array> {
  let args: FetchArgs
  try {
    args = parseFetchArgs(lines, state, false)
  } catch (error) {
    if (error instanceof GitError) {
      yield pkt(`ERR ${error.message}\n`)
      return
    }
    throw error
  }
  const plan = planFetch(state.store, args)
  if (!args.done) {
    const acks = plan.common.length > 0 ? plan.common.map((oid) => pkt(`ACK ${oid}\n`)) : [pkt('NAK\n')]
    yield pkt('acknowledgments\n')
    yield* acks
    if (plan.common.length === 0) {
      yield FLUSH
      return
    }
    yield pkt('ready\n')
    yield DELIM
  }
  if (args.depth !== null || args.shallows.length > 0) {
    yield pkt('shallow-info\n')
    for (const oid of plan.shallow) yield pkt(`shallow ${oid}\n`)
    for (const oid of plan.unshallow) yield pkt(`unshallow ${oid}\n`)
    yield DELIM
  }
  yield pkt('packfile\n')
  yield* sidebandPack(state.store, plan.objects)
  yield FLUSH
}

/** The pack on band 1, in packets of up to 65515 bytes; a failure mid-pack goes on band 3. */
async function* sidebandPack(store: ObjectStore, objects: string[]): AsyncGenerator<Uint8Array> {
  const max = 65515
  let buffer = new Uint8Array(max)
  let used = 0
  try {
    const pack = writePack(objects.length, async (i) => {
      const object = store.readCompressed(objects[i])
      if (!object) throw new GitError(`object ${objects[i]} is missing`)
      return object
    })
    for await (let chunk of pack) {
      while (chunk.length > 0) {
        const take = Math.min(max - used, chunk.length)
        buffer.set(chunk.subarray(0, take), used)
        used += take
        chunk = chunk.subarray(take)
        if (used === max) {
          yield* bandPackets(BAND_DATA, buffer)
          buffer = new Uint8Array(max)
          used = 0
        }
      }
    }
    if (used > 0) yield* bandPackets(BAND_DATA, buffer.subarray(0, used))
  } catch (error) {
    yield* bandPackets(BAND_ERROR, `${error instanceof GitError ? error.message : 'internal error'}\n`)
    if (!(error instanceof GitError)) console.error('upload-pack failed', error)
  }
}

/** The raw pack (no side-band), for v0 clients that did not ask for one. */
async function* rawPack(store: ObjectStore, objects: string[]): AsyncGenerator<Uint8Array> {
  yield* writePack(objects.length, async (i) => {
    const object = store.readCompressed(objects[i])
    if (!object) throw new GitError(`object ${objects[i]} is missing`)
    return object
  })
}

/**
 * v0/v1 over stateless HTTP: each POST repeats the wants (and shallow/deepen lines), then sends
 * haves in flush-terminated blocks and finally `done`. Answers follow upload-pack's stateless
 * mode with multi_ack_detailed and no-done.
 */
export async function* uploadPackV0(body: ByteReader, state: UploadPackState): AsyncGenerator<Uint8Array> {
  const lines: string[] = []
  let sawFlushAfterWants = false
  const afterWants: string[] = []
  for (;;) {
    const packet = await readPacket(body)
    if (!packet) break
    if (packet.kind !== 'data') {
      if (!sawFlushAfterWants) sawFlushAfterWants = true
      continue
    }
    const line = packetText(packet.data)
    if (sawFlushAfterWants) afterWants.push(line)
    else lines.push(line)
    if (line === 'done') break
  }
  if (lines.length === 0) return // an empty request (a probe): nothing to say
  let args: FetchArgs
  try {
    args = parseFetchArgs([...lines, ...afterWants], state, true)
  } catch (error) {
    if (error instanceof GitError) {
      yield pkt(`ERR ${error.message}\n`)
      return
    }
    throw error
  }
  const noDone = lines[0].includes(' no-done')
  const plan = planFetch(state.store, args)
  if (args.depth !== null) {
    for (const oid of plan.shallow) yield pkt(`shallow ${oid}\n`)
    for (const oid of plan.unshallow) yield pkt(`unshallow ${oid}\n`)
    yield FLUSH
    // The first request of a deepening fetch carries no haves and no done: only the shallow list.
    if (afterWants.length === 0) return
  }
  const last = plan.common[plan.common.length - 1]
  if (!args.done) {
    for (const oid of plan.common) yield pkt(`ACK ${oid} common\n`)
    if (!last) {
      yield pkt('NAK\n')
      return
    }
    yield pkt(`ACK ${last} ready\n`)
    yield pkt('NAK\n')
    if (!noDone) return
    yield pkt(`ACK ${last}\n`)
  } else {
    yield pkt(last ? `ACK ${last}\n` : 'NAK\n')
  }
  if (args.sideband) {
    yield* sidebandPack(state.store, plan.objects)
    yield FLUSH
  } else {
    yield* rawPack(state.store, plan.objects)
  }
}

