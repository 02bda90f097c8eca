/** R2 object keys: one place decides where logs and artifacts live. */
export function traceKey(jobId: number): string {
  return `jobs/${jobId}/trace/job.log`
}

export function artifactKey(jobId: number, artifactId: string, filename: string): string {
  return `jobs/${jobId}/artifacts/${artifactId}/${filename}`
}

export function jobPrefix(jobId: number): string {
  return `jobs/${jobId}/`
}

/** Deletes every object under a prefix (a job's log and artifacts). */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let deleted = 0
  let cursor: string | undefined
  do {
    const page = await bucket.list({ prefix, cursor })
    if (page.objects.length > 0) {
      await bucket.delete(page.objects.map((o) => o.key))
      deleted += page.objects.length
    }
    cursor = page.truncated ? page.cursor : undefined
  } while (cursor)
  return deleted
}
