import { SELF } from 'cloudflare:test'
import { concatBytes } from '../src/bytes'
import { expect } from 'vitest'
import { apiJson, BASE, createPipelineFrom, createProject, type TestProject } from './world'

/**
 * A small simulated gitlab-runner 19.4 speaking the coordinator protocol over SELF.fetch, the way
 * network/gitlab.go does: JSON bodies with `token`, `system_id` and `info` (features included),
 * `JOB-TOKEN` on job calls, `Content-Range: start-end` trace patches, multipart artifact uploads.
 */
export const RUNNER_VERSION = '19.4.0'

/** The features a 19.4 shell runner advertises (network/gitlab.go getFeatures + executor). */
export function runnerFeatures(graceful: boolean): Record<string, boolean> {
  return {
    variables: true, image: false, services: false, artifacts: true, cache: true, fallback_cache_keys: true, shared: true,
    upload_multiple_artifacts: true, upload_raw_artifacts: true, session: false, terminal: false, refspecs: true,
    masking: true, proxy: false, raw_variables: true, artifacts_exclude: true, multi_build_steps: true, trace_reset: true,
    trace_checksum: true, trace_size: true, vault_secrets: true, cancelable: true, return_exit_code: true,
    service_variables: true, service_multiple_aliases: true, image_executor_opts: true, service_executor_opts: true,
    cancel_gracefully: graceful, native_steps_integration: true, two_phase_job_commit: true, job_inputs: true,
  }
}

function headers(extra: Record<string, string> = {}): Headers {
  const out = new Headers(extra)
  out.set('User-Agent', `gitlab-runner ${RUNNER_VERSION} (19-4-stable; go1.24.6; linux/amd64)`)
  out.set('X-Request-Id', crypto.randomUUID())
  return out
}

async function call(method: string, path: string, init: { json?: unknown; headers?: Record<string, string>; body?: BodyInit }): Promise<Response> {
  const h = headers(init.headers)
  let body = init.body
  if (init.json !== undefined) {
    h.set('Content-Type', 'application/json')
    body = JSON.stringify(init.json)
  }
  return SELF.fetch(`${BASE}${path}`, { method, headers: h, body })
}

export interface RunnerOptions {
  graceful?: boolean
  systemId?: string
  /** features to change in what a 19.4 runner advertises (e.g. an older runner without some) */
  features?: Record<string, boolean>
}

export class SimulatedRunner {
  lastUpdate?: string
  readonly systemId: string
  readonly graceful: boolean
  readonly featureOverrides: Record<string, boolean>

  constructor(readonly token: string, options: RunnerOptions = {}) {
    this.graceful = options.graceful ?? true
    this.featureOverrides = options.features ?? {}
    this.systemId = options.systemId ?? `s_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`
  }

  /** `POST /user/runners` as the given user, then `gitlab-runner register --token glrt-…` (verify). */
  static async create(userToken: string, body: Record<string, unknown>, options: RunnerOptions = {}): Promise<SimulatedRunner> {
    const created = await apiJson('POST', '/user/runners', { token: userToken, body })
    if (created.status !== 201) throw new Error(`create runner: ${created.status} ${JSON.stringify(created.body)}`)
    const runner = new SimulatedRunner(created.body.token, options)
    const verified = await runner.verify()
    if (verified.status !== 200) throw new Error(`verify: ${verified.status}`)
    return runner
  }

  info() {
    return {
      name: 'gitlab-runner', version: RUNNER_VERSION, revision: 'abcdef12', platform: 'linux', architecture: 'amd64',
      executor: 'shell', shell: 'bash', features: { ...runnerFeatures(this.graceful), ...this.featureOverrides }, config: { gpus: '' },
    }
  }

  verify(): Promise<Response> {
    return call('POST', '/runners/verify', { json: { token: this.token, system_id: this.systemId, info: this.info() } })
  }

  /** One poll of `POST /jobs/request`: the job, or null (204) with the last-update value kept. */
  async requestJob(): Promise<RunnerJob | null> {
    const response = await this.poll()
    if (response.status === 204) return null
    if (response.status !== 201) throw new Error(`request job: ${response.status} ${await response.text()}`)
    if (response.headers.get('Content-Type') !== 'application/json') throw new Error('job payload is not JSON')
    return new RunnerJob(this, await response.json())
  }

  async poll(): Promise<Response> {
    const body = { token: this.token, system_id: this.systemId, info: this.info(), ...(this.lastUpdate ? { last_update: this.lastUpdate } : {}) }
    const response = await call('POST', '/jobs/request', { json: body })
    this.lastUpdate = response.headers.get('X-GitLab-Last-Update') ?? this.lastUpdate
    return response
  }

  unregister(): Promise<Response> {
    return call('DELETE', '/runners', { json: { token: this.token } })
  }

  unregisterManager(): Promise<Response> {
    return call('DELETE', '/runners/managers', { json: { token: this.token, system_id: this.systemId } })
  }
}

export interface UpdateReply {
  status: number
  jobStatus: string | null
  body: string
  interval: string | null
}

export interface PatchReply {
  status: number
  jobStatus: string | null
  range: string | null
  interval: string | null
}

/** A job the runner is executing: its token, payload and trace offset. */
export class RunnerJob {
  readonly id: number
  readonly token: string
  /** bytes of log the server has acknowledged */
  offset = 0

  constructor(readonly runner: SimulatedRunner, readonly payload: any) {
    this.id = payload.id
    this.token = payload.token
  }

  /** `PUT /jobs/:id` with the job token in header and body, as UpdateJob does. */
  async update(state: string, extra: Record<string, unknown> = {}): Promise<UpdateReply> {
    const response = await call('PUT', `/jobs/${this.id}`, {
      headers: { 'JOB-TOKEN': this.token },
      json: { token: this.token, state, info: this.runner.info(), ...extra },
    })
    return { status: response.status, jobStatus: response.headers.get('Job-Status'), body: await response.text(), interval: response.headers.get('X-GitLab-Trace-Update-Interval') }
  }

  /** The first call after pickup (`PUT state=running`). */
  accept(): Promise<UpdateReply> {
    return this.update('running')
  }

  /** `PATCH /jobs/:id/trace` from `start` (default: the acknowledged offset). 202/416 move the offset. */
  async patch(text: string | Uint8Array, start = this.offset, contentRange?: string, options: { debugTrace?: boolean } = {}): Promise<PatchReply> {
    const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text
    const range = contentRange ?? `${start}-${start + bytes.byteLength - 1}`
    // network/gitlab.go PatchTrace: `?debug_trace=true` when CI_DEBUG_TRACE is on in the runner.
    const path = `/jobs/${this.id}/trace${options.debugTrace ? '?debug_trace=true' : ''}`
    const response = await call('PATCH', path, {
      headers: { 'JOB-TOKEN': this.token, 'Content-Type': 'text/plain', 'Content-Range': range },
      body: bytes,
    })
    const rangeHeader = response.headers.get('Range')
    if ((response.status === 202 || response.status === 416) && rangeHeader) this.offset = Number(rangeHeader.split('-')[1])
    await response.arrayBuffer()
    return { status: response.status, jobStatus: response.headers.get('Job-Status'), range: rangeHeader, interval: response.headers.get('X-GitLab-Trace-Update-Interval') }
  }

  finish(state: 'success' | 'failed', extra: { failure_reason?: string; exit_code?: number } = {}): Promise<UpdateReply> {
    return this.update(state, extra)
  }

  /** `POST /jobs/:id/artifacts` (artifacts-uploader): one `file` part, streamed. */
  async uploadArtifact(
    chunks: Uint8Array[],
    options: { filename?: string; query?: Record<string, string>; token?: string; metadata?: Uint8Array } = {},
  ): Promise<Response> {
    const query = new URLSearchParams({ artifact_format: 'zip', artifact_type: 'archive', ...options.query })
    const boundary = `----runner${crypto.randomUUID().replace(/-/g, '')}`
    return call('POST', `/jobs/${this.id}/artifacts?${query}`, {
      headers: { 'JOB-TOKEN': options.token ?? this.token, 'Content-Type': `multipart/form-data; boundary=${boundary}` },
      body: multipartStream(boundary, options.filename ?? 'artifacts.zip', chunks, options.metadata),
    })
  }

  /**
   * The artifacts-uploader's retry after a lost reply (commands/helpers/artifacts_uploader.go
   * retries on network errors): the first upload's answer never reaches the runner, so it sends
   * the same file again and must get 201.
   */
  async uploadArtifactLosingFirstReply(chunks: Uint8Array[], options: { filename?: string; query?: Record<string, string> } = {}): Promise<Response> {
    const lost = await this.uploadArtifact(chunks, options)
    await lost.arrayBuffer() // the reply is dropped on the way back
    return this.uploadArtifact(chunks, options)
  }

  /** `GET /jobs/:id/artifacts` with this job's token (a dependency download). */
  downloadArtifacts(dependencyId: number): Promise<Response> {
    return call('GET', `/jobs/${dependencyId}/artifacts`, { headers: { 'JOB-TOKEN': this.token } })
  }
}

/** A multipart body of unknown length, one chunk at a time (like the runner's chunked upload). */
export function multipartStream(boundary: string, filename: string, chunks: Uint8Array[], metadata?: Uint8Array): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const parts = [
    encoder.encode(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    ...chunks,
    ...(metadata
      ? [encoder.encode(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="metadata"; filename="metadata.gz"\r\nContent-Type: application/octet-stream\r\n\r\n`), metadata]
      : []),
    encoder.encode(`\r\n--${boundary}--\r\n`),
  ]
  let index = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < parts.length) controller.enqueue(parts[index++])
      else controller.close()
    },
  })
}

/** Deterministic bytes of a given size (artifact contents). */
export function bytesOf(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff
    out[i] = x & 0xff
  }
  return out
}

/** gzip bytes, as the runner compresses `artifact_format: gzip` reports. */
export async function gzip(data: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/**
 * A new project with a pipeline from `ci`, a project runner (with `options`), and the first job
 * it was handed, accepted (running).
 */
export async function startRunningJob(ci: string, options: RunnerOptions = {}): Promise<{ project: TestProject; pipeline: any; runner: SimulatedRunner; job: RunnerJob }> {
  const project = await createProject()
  const pipeline = await createPipelineFrom(project, ci)
  const runner = await SimulatedRunner.create(project.owner.token, { runner_type: 'project_type', project_id: project.id }, options)
  const job = (await runner.requestJob())!
  expect((await job.accept()).status).toBe(200)
  return { project, pipeline, runner, job }
}

/**
 * Workhorse's artifacts metadata (lib/gitlab/ci/build/artifacts/metadata.rb), gzipped: the
 * version line, `{}` (errors), then each path and its JSON, every string length-prefixed (u32 BE).
 */
export function artifactsMetadata(entries: Record<string, Record<string, unknown>>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  const put = (text: string) => {
    const bytes = new TextEncoder().encode(text)
    const size = new Uint8Array(4)
    new DataView(size.buffer).setUint32(0, bytes.byteLength, false)
    parts.push(size, bytes)
  }
  put('GitLab Build Artifacts Metadata 0.0.2')
  put('{}')
  for (const [path, meta] of Object.entries(entries)) {
    put(path)
    put(JSON.stringify(meta))
  }
  return gzip(concatBytes(parts))
}
