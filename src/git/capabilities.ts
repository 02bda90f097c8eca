/** What edgejobs advertises (only what it implements; gitprotocol-capabilities). */
export const AGENT = 'agent=edgejobs/1'

export function uploadPackCapabilitiesV0(headTarget: string | null): string[] {
  return [
    'multi_ack_detailed', 'no-done', 'side-band-64k', 'thin-pack', 'ofs-delta', 'shallow', 'deepen-relative', 'no-progress', 'include-tag',
    ...(headTarget ? [`symref=HEAD:${headTarget}`] : []),
    'object-format=sha1', AGENT,
  ]
}

export const RECEIVE_PACK_CAPABILITIES = [
  'report-status', 'report-status-v2', 'delete-refs', 'side-band-64k', 'quiet', 'atomic', 'ofs-delta', 'push-options',
  'object-format=sha1', AGENT,
]

/** Protocol v2 capability advertisement lines (after `version 2`). */
export const V2_CAPABILITIES = [AGENT, 'ls-refs=unborn', 'fetch=shallow', 'server-option', 'object-format=sha1']
