import type { Env } from '../env'
import { deleteArtifactsStatement, expiredArtifacts } from '../db/artifacts'

/**
 * The cron sweep (Ci::JobArtifacts::DestroyAllExpiredService): expired, unlocked artifacts lose
 * their R2 object, then their row. R2 goes first, so a failure between the two leaves a row that
 * the next sweep deletes again (deleting a missing R2 key is harmless). Logs never expire.
 */

/** D1 binds at most 100 values per statement. */
const BATCH = 90
/** Rounds per run, so one cron invocation stays short; the next run continues. */
const MAX_ROUNDS = 20

export async function expireArtifacts(env: Env, now: number): Promise<number> {
  let deleted = 0
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const rows = await expiredArtifacts(env.DB, now, BATCH)
    if (rows.length === 0) break
    await env.BLOBS.delete(rows.map((row) => row.blob_key))
    await deleteArtifactsStatement(env.DB, rows.map((row) => row.id)).run()
    deleted += rows.length
    if (rows.length < BATCH) break
  }
  return deleted
}
