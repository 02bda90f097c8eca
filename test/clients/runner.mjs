// A runner for the gitbeaker tests: gitlab-runner's calls (network/gitlab.go) made with fetch, so
// the tests' pipelines really run (the python stage has the same in runner.py).
import { randomUUID } from 'node:crypto'

const VERSION = '19.4.0'
const FEATURES = {
  variables: true, artifacts: true, cache: true, upload_multiple_artifacts: true, refspecs: true, masking: true,
  raw_variables: true, trace_reset: true, trace_checksum: true, trace_size: true, cancelable: true, return_exit_code: true,
}

export class Runner {
  static async register(url, userToken, projectId) {
    const created = await fetch(`${url}/api/v4/user/runners`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': userToken, 'Content-Type': 'application/json' },
      body: JSON.stringify({ runner_type: 'project_type', project_id: projectId, run_untagged: true }),
    })
    if (created.status !== 201) throw new Error(`create runner: ${created.status} ${await created.text()}`)
    const runner = new Runner(url, (await created.json()).token)
    const verified = await runner.call('POST', '/runners/verify', { json: runner.body() })
    if (verified.status !== 200) throw new Error(`verify: ${verified.status}`)
    return runner
  }

  constructor(url, token) {
    this.api = `${url}/api/v4`
    this.token = token
    this.systemId = `s_${randomUUID().replace(/-/g, '').slice(0, 12)}`
  }

  body() {
    const info = { name: 'gitlab-runner', version: VERSION, platform: 'linux', architecture: 'amd64', executor: 'shell', shell: 'bash', features: FEATURES }
    return { token: this.token, system_id: this.systemId, info }
  }

  call(method, path, { json, headers = {}, body } = {}) {
    const h = { 'User-Agent': `gitlab-runner ${VERSION} (19-4-stable; go1.24.6; linux/amd64)`, ...headers }
    if (json !== undefined) h['Content-Type'] = 'application/json'
    return fetch(`${this.api}${path}`, { method, headers: h, body: json !== undefined ? JSON.stringify(json) : body })
  }

  /** Polls until the job called `name` is handed out; other jobs handed out first are failed. */
  async take(name, polls = 40) {
    for (let i = 0; i < polls; i++) {
      const response = await this.call('POST', '/jobs/request', { json: this.body() })
      if (response.status === 204) continue
      if (response.status !== 201) throw new Error(`request job: ${response.status} ${await response.text()}`)
      const job = await response.json()
      if (job.job_info.name === name) return job
      await this.finish(job, 'failed')
    }
    throw new Error(`job ${name} was never handed out`)
  }

  async log(job, text) {
    const data = new TextEncoder().encode(text)
    const response = await this.call('PATCH', `/jobs/${job.id}/trace`, {
      headers: { 'JOB-TOKEN': job.token, 'Content-Range': `0-${data.byteLength - 1}`, 'Content-Type': 'text/plain' },
      body: data,
    })
    if (response.status !== 202) throw new Error(`trace: ${response.status} ${await response.text()}`)
  }

  async finish(job, state) {
    const response = await this.call('PUT', `/jobs/${job.id}`, {
      headers: { 'JOB-TOKEN': job.token },
      json: { token: job.token, state, ...(state === 'failed' ? { failure_reason: 'script_failure' } : {}) },
    })
    if (response.status !== 200) throw new Error(`update: ${response.status} ${await response.text()}`)
  }

  /** Takes the job `name`, sends its log and ends it in `state`. */
  async run(name, state = 'success', log = '$ make\nok\n') {
    const job = await this.take(name)
    await this.log(job, log)
    await this.finish(job, state)
    return job
  }
}
