// A webhook receiver on 127.0.0.1 for the served Worker: records every request (method, path,
// headers, parsed JSON body) and answers with the status set for its path (default 200).
import { createServer } from 'node:http'

export async function startReceiver() {
  const requests = []
  const statuses = new Map()
  const waiters = new Set()
  const server = createServer((req, res) => {
    const chunks = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
      const path = new URL(req.url, 'http://receiver').pathname
      requests.push({ method: req.method, path, headers: req.headers, body, at: Date.now() })
      const status = statuses.get(path) ?? 200
      res.writeHead(status, { 'Content-Type': 'text/plain' })
      res.end(status >= 400 ? `receiver says ${status}` : 'received')
      for (const waiter of waiters) waiter()
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    setStatus: (path, status) => statuses.set(path, status),
    /** Resolves with the requests to `path` once `enough(list)` holds; fails after `timeoutMs`. */
    waitFor(path, enough, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const list = requests.filter((r) => r.path === path)
          if (!enough(list)) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(list)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`receiver: ${path} got ${requests.filter((r) => r.path === path).length} request(s) in ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}
