import { RECEIVE_PACK_CAPABILITIES, V2_CAPABILITIES, uploadPackCapabilitiesV0 } from './capabilities'
import { ZERO_OID } from './oid'
import { FLUSH, pkt } from './pkt-line'
import type { Ref } from './store'

/**
 * The body of `GET info/refs?service=<service>` (gitprotocol-http "Smart Server Response"):
 * `# service=…`, a flush, then the v0 ref advertisement, or the v2 capabilities when the client
 * asked for version 2 (upload-pack only; git never pushes over v2).
 */
export interface AdvertisedRefs {
  refs: Ref[]
  /** `refs/heads/<default branch>` */
  headTarget: string
  /** annotated tag oid → the object it peels to */
  peeled: Map<string, string>
}

export function advertisement(service: 'git-upload-pack' | 'git-receive-pack', v2: boolean, state: AdvertisedRefs): Uint8Array[] {
  const out = [pkt(`# service=${service}\n`), FLUSH]
  if (v2 && service === 'git-upload-pack') {
    out.push(pkt('version 2\n'), ...V2_CAPABILITIES.map((line) => pkt(`${line}\n`)), FLUSH)
    return out
  }
  const head = state.refs.find((ref) => ref.name === state.headTarget)
  const lines: Array<[string, string]> = []
  if (head && service === 'git-upload-pack') lines.push([head.oid, 'HEAD'])
  for (const ref of state.refs) {
    lines.push([ref.oid, ref.name])
    const peeled = state.peeled.get(ref.oid)
    if (peeled && ref.name.startsWith('refs/tags/') && service === 'git-upload-pack') lines.push([peeled, `${ref.name}^{}`])
  }
  const caps = service === 'git-upload-pack' ? uploadPackCapabilitiesV0(head ? state.headTarget : null) : RECEIVE_PACK_CAPABILITIES
  if (lines.length === 0) {
    // An empty repository: receive-pack still needs somewhere to put its capabilities.
    if (service === 'git-receive-pack') out.push(pkt(`${ZERO_OID} capabilities^{}\0${caps.join(' ')}\n`))
  } else {
    lines.forEach(([oid, name], i) => out.push(pkt(i === 0 ? `${oid} ${name}\0${caps.join(' ')}\n` : `${oid} ${name}\n`)))
  }
  out.push(FLUSH)
  return out
}
