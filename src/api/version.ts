import { authenticate } from '../auth/access'
import { configOf } from '../config'
import { json } from '../http/response'
import type { ApiContext } from './context'

/**
 * GET /version and GET /metadata (lib/api/version.rb, lib/api/metadata.rb, Entities::Metadata):
 * any signed-in user (`read_user` scope enough). edgejobs answers as the GitLab release whose
 * API it follows; it runs no KAS, so `kas` is disabled with null fields, and it is not EE.
 */
/** The revision field: edgejobs' own, since no GitLab commit built it. */
export const REVISION = 'edgejobs'

export async function metadata(c: ApiContext): Promise<Response> {
  await c.params()
  await authenticate(c)
  return json({
    version: configOf(c.env).gitlabVersion, // the same release the webhooks' User-Agent names
    revision: REVISION,
    kas: { enabled: false, externalUrl: null, externalK8sProxyUrl: null, version: null },
    enterprise: false,
  })
}
