/** GitLab's API timestamps: ISO 8601 UTC with milliseconds (`2015-12-24T15:51:21.880Z`). */
export function isoTime(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString()
}


/**
 * A git date as GitLab shows it: whole seconds with `.000` and the commit's UTC offset. Commits
 * here are made in UTC, which Ruby's Time#iso8601(3) writes as `+00:00`, not `Z`.
 */
export function commitTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/Z$/, '+00:00')
}
