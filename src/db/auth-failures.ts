/** Failed authentications per client address, counted in fixed windows (auth/throttle.ts). */
export interface FailureWindow {
  window_start: number
  failures: number
}

/** Counts one failure of `address` at `now`, starting a new window when the last one ended. */
export function countFailure(db: D1Database, address: string, now: number, windowMs: number): Promise<FailureWindow | null> {
  return db
    .prepare(
      `INSERT INTO auth_failures (address, window_start, failures) VALUES (?1, ?2, 1)
       ON CONFLICT(address) DO UPDATE SET
         failures = CASE WHEN window_start <= ?2 - ?3 THEN 1 ELSE failures + 1 END,
         window_start = CASE WHEN window_start <= ?2 - ?3 THEN ?2 ELSE window_start END
       RETURNING window_start, failures`,
    )
    .bind(address, now, windowMs)
    .first<FailureWindow>()
}

/** Windows that have ended (cron housekeeping). */
export function deleteEndedWindows(db: D1Database, now: number, windowMs: number): Promise<D1Result> {
  return db.prepare('DELETE FROM auth_failures WHERE window_start <= ?').bind(now - windowMs).run()
}
