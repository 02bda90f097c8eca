/** GitLab's API timestamps: ISO 8601 UTC with milliseconds (`2015-12-24T15:51:21.880Z`). */
export function isoTime(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString()
}

/** Seconds between two instants, as a float (GitLab's duration fields). */
export function secondsBetween(fromMs: number, toMs: number): number {
  return (toMs - fromMs) / 1000
}
