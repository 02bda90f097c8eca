import { env } from 'cloudflare:workers'
import { apiJson, type TestProject } from './world'
import { jobStub, pipelineStub } from './stubs'

/**
 * Drives job outcomes through the same JobObject commands the runner endpoints use (assign, the
 * runner's PUT states), then lets the pipeline process, as the runner-facing handlers do.
 */
function stub(jobId: number) {
  return jobStub(jobId)
}

async function processPipelineOf(jobId: number): Promise<void> {
  const row = await env.DB.prepare('SELECT pipeline_id FROM jobs WHERE id = ?').bind(jobId).first<{ pipeline_id: number }>()
  const pipeline = pipelineStub(row!.pipeline_id)
  await pipeline.process(row!.pipeline_id)
}

export async function startJob(jobId: number): Promise<string> {
  const assigned = await stub(jobId).assign(jobId, { runnerId: 0, runnerManagerId: null, timeout: 3600 })
  if (!assigned) throw new Error(`job ${jobId} could not be assigned`)
  await processPipelineOf(jobId)
  return assigned.token
}

export async function finishJob(jobId: number, outcome: 'success' | 'failed', options: { failureReason?: string; exitCode?: number } = {}): Promise<void> {
  await stub(jobId).runnerUpdate(jobId, { state: outcome, failureReason: options.failureReason ?? (outcome === 'failed' ? 'script_failure' : null), exitCode: options.exitCode ?? null })
  await processPipelineOf(jobId)
}

export async function runJob(jobId: number, outcome: 'success' | 'failed', options: { failureReason?: string; exitCode?: number } = {}): Promise<void> {
  await startJob(jobId)
  await finishJob(jobId, outcome, options)
}

/** All jobs of a pipeline by name (latest ones), through the API. */
export async function jobsByName(project: TestProject, pipelineId: number): Promise<Record<string, any>> {
  const [builds, bridges] = await Promise.all([
    apiJson('GET', `/projects/${project.id}/pipelines/${pipelineId}/jobs?per_page=100`, { token: project.owner.token }),
    apiJson('GET', `/projects/${project.id}/pipelines/${pipelineId}/bridges?per_page=100`, { token: project.owner.token }),
  ])
  const out: Record<string, any> = {}
  for (const job of [...builds.body, ...bridges.body]) out[job.name] = job
  return out
}

export async function pipelineStatus(project: TestProject, pipelineId: number): Promise<string> {
  const res = await apiJson('GET', `/projects/${project.id}/pipelines/${pipelineId}`, { token: project.owner.token })
  return res.body.status
}

/** Polls until `check` passes (for work objects finish after a response, e.g. downstream pipelines). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      return await check()
    } catch (error) {
      lastError = error
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  throw lastError
}
