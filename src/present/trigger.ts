import { triggerOwner, type TriggerRow } from '../db/triggers'
import { isoTime } from './time'
import { userBasic } from './user'

/**
 * Entities::Trigger (lib/api/entities/trigger.rb) through Ci::TriggerPresenter: `token` is the
 * whole token only when it is at hand (`token`: the answer to the request that made it; only the
 * digest is kept), else the short token, as GitLab shows to callers without admin_trigger.
 */
export function trigger(row: TriggerRow, externalUrl: string, token?: string) {
  const owner = triggerOwner(row)
  return {
    id: row.id,
    token: token ?? row.short_token,
    description: row.description,
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
    last_used: isoTime(row.last_used),
    expires_at: isoTime(row.expires_at),
    owner: owner ? userBasic(owner, externalUrl) : null,
  }
}
