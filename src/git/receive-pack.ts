import type { ByteReader } from './byte-reader'
import { GitError } from './errors'
import { ZERO_OID, isOid } from './oid'
import { FLUSH, pkt, readPacket, packetText } from './pkt-line'
import { BAND_DATA, BAND_PROGRESS, bandPackets } from './sideband'

/** The head of a `POST git-receive-pack` body (gitprotocol-pack "Reference update request"). */
export interface RefCommand {
  old: string
  new: string
  ref: string
}

export interface PushRequest {
  commands: RefCommand[]
  capabilities: Set<string>
  pushOptions: string[]
}

const MAX_COMMANDS = 10_000

/** Reads command lines and push options; the pack (if any) follows in `body`. */
export async function readPushRequest(body: ByteReader): Promise<PushRequest> {
  const commands: RefCommand[] = []
  let capabilities = new Set<string>()
  for (;;) {
    const packet = await readPacket(body)
    if (!packet) {
      if (commands.length === 0) break
      throw new GitError('protocol error: the command list ends without a flush')
    }
    if (packet.kind === 'flush') break
    if (packet.kind !== 'data') throw new GitError('protocol error: unexpected packet in the command list')
    let line = packetText(packet.data)
    const nul = line.indexOf('\0')
    if (nul !== -1) {
      if (commands.length === 0) capabilities = new Set(line.slice(nul + 1).trim().split(' ').filter(Boolean))
      line = line.slice(0, nul)
    }
    if (line.startsWith('shallow ')) continue
    const [old, next, ref, ...extra] = line.split(' ')
    if (!isOid(old ?? '') || !isOid(next ?? '') || !ref || extra.length > 0) {
      throw new GitError(`protocol error: expected old/new/ref, got '${line.slice(0, 100)}'`)
    }
    commands.push({ old, new: next, ref })
    if (commands.length > MAX_COMMANDS) throw new GitError('protocol error: too many commands')
  }
  const pushOptions: string[] = []
  if (commands.length > 0 && capabilities.has('push-options')) {
    for (;;) {
      const packet = await readPacket(body)
      if (!packet || packet.kind === 'flush') break
      if (packet.kind !== 'data') throw new GitError('protocol error: unexpected packet in push options')
      pushOptions.push(packetText(packet.data))
      if (pushOptions.length > 100) throw new GitError('protocol error: too many push options')
    }
  }
  return { commands, capabilities, pushOptions }
}

/** True when some command creates or updates a ref (then a pack follows). */
export function expectsPack(commands: RefCommand[]): boolean {
  return commands.some((c) => c.new !== ZERO_OID)
}

export interface RefResult {
  ref: string
  /** null = ok, else the `ng` reason */
  error: string | null
}

/**
 * The report-status answer: `unpack ok|<error>`, `ok <ref>` / `ng <ref> <reason>`, a flush;
 * inside band 1 when side-band was chosen, with `messages` on band 2 first.
 */
export function reportStatus(request: PushRequest, unpackError: string | null, results: RefResult[], messages: string[]): Uint8Array[] {
  const report = [pkt(`unpack ${unpackError ?? 'ok'}\n`)]
  for (const r of results) report.push(pkt(r.error === null ? `ok ${r.ref}\n` : `ng ${r.ref} ${r.error}\n`))
  report.push(FLUSH)
  const sideband = request.capabilities.has('side-band-64k') || request.capabilities.has('side-band')
  const reportWanted = request.capabilities.has('report-status') || request.capabilities.has('report-status-v2')
  if (!sideband) return reportWanted ? report : []
  const out: Uint8Array[] = []
  for (const message of messages) out.push(...bandPackets(BAND_PROGRESS, `${message}\n`))
  if (reportWanted) {
    const joined = new Uint8Array(report.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of report) {
      joined.set(p, at)
      at += p.length
    }
    out.push(...bandPackets(BAND_DATA, joined))
  }
  out.push(FLUSH)
  return out
}
