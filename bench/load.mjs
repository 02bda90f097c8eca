// A small closed-loop load generator: `connections` keep-alive connections to 127.0.0.1, each
// sending its next request as soon as the previous answer is read, until a request count or a
// deadline is reached. It records latency, status and the Worker's D1 metering headers.
import { Agent, request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'

const HOST = '127.0.0.1'
/** No single request may take longer than this (it counts as an error). */
const REQUEST_TIMEOUT_MS = 30_000

/**
 * @param {object} options
 * @param {number} options.port
 * @param {number} options.connections
 * @param {(i: number) => { method?: string, path: string, headers?: Record<string, string> } | undefined} options.request
 *   the i-th request; undefined ends the run (e.g. no targets left)
 * @param {number} [options.durationMs] stop starting requests after this long
 * @param {number} [options.requests] stop after this many requests
 */
export async function runLoad({ port, connections, request, durationMs = Infinity, requests = Infinity }) {
  if (!Number.isFinite(durationMs) && !Number.isFinite(requests)) throw new Error('runLoad needs a duration or a request count')
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const samples = []
  const failures = []
  let next = 0
  const started = performance.now()
  const deadline = started + durationMs
  const loop = async () => {
    while (next < requests && performance.now() < deadline) {
      const spec = request(next++)
      if (!spec) return
      const sent = performance.now()
      try {
        const response = await send(agent, port, spec)
        const sample = { ms: performance.now() - sent, status: response.status, headers: response.headers }
        if (response.status >= 400) failures.push(`${spec.method ?? 'GET'} ${spec.path} → ${response.status} ${response.body.slice(0, 200)}`)
        samples.push(sample)
      } catch (error) {
        failures.push(`${spec.method ?? 'GET'} ${spec.path} → ${error.message}`)
        samples.push({ ms: performance.now() - sent, status: 0, headers: {} })
      }
    }
  }
  await Promise.all(Array.from({ length: connections }, loop))
  const elapsedMs = performance.now() - started
  agent.destroy()
  return { samples, failures, elapsedMs }
}

function send(agent, port, { method = 'GET', path, headers = {} }) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: HOST, port, method, path, headers: { ...headers, 'content-length': '0' }, agent }, (res) => {
      const chunks = []
      res.on('data', (chunk) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)))
    req.on('error', reject)
    req.end()
  })
}

/** Figures of one or more runs of the same scenario (runs are added up). */
export function summarize(runs) {
  const samples = runs.flatMap((run) => run.samples)
  const failures = runs.flatMap((run) => run.failures)
  const elapsedMs = runs.reduce((sum, run) => sum + run.elapsedMs, 0)
  const ok = samples.filter((s) => s.status > 0 && s.status < 400)
  const latencies = samples.map((s) => s.ms).sort((a, b) => a - b)
  const header = (name) => ok.map((s) => s.headers[name]).filter((v) => v !== undefined)
  const numbers = (name) => header(name).map(Number).sort((a, b) => a - b)
  return {
    requests: samples.length,
    errors: failures.length,
    failures: failures.slice(0, 5),
    elapsedMs,
    rps: samples.length / (elapsedMs / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    roundTrips: spread(numbers('x-bench-d1-round-trips')),
    rowsRead: spread(numbers('x-bench-d1-rows-read')),
    rowsReadEach: mostCommon(header('x-bench-d1-rows-read-each')),
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]
}

function spread(sorted) {
  if (sorted.length === 0) return undefined
  return { min: sorted[0], median: percentile(sorted, 0.5), max: sorted[sorted.length - 1] }
}

function mostCommon(values) {
  const counts = new Map()
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1)
  let best
  for (const [value, count] of counts) if (!best || count > best.count) best = { value, count }
  return best?.value
}
