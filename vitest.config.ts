import { readFileSync } from 'node:fs'
import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

async function hookReceiver(request: Request): Promise<Response> {
  const url = new URL(request.url)
  if (url.hostname !== 'hooks.test') return fetch(request)
  const status = Number(url.pathname.split('/')[1]) || 200
  return new Response(status >= 400 ? 'receiver failed' : 'ok', { status, headers: { 'Content-Type': 'text/plain', 'X-Receiver': 'hooks.test' } })
}

// Tests run inside workerd against real D1, R2 and Durable Objects (no mocks of them).
// The schema is handed to the test Worker as a binding and applied by test/setup.ts.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          TEST_SCHEMA: readFileSync(new URL('./schema.sql', import.meta.url), 'utf8'),
          INITIAL_ROOT_TOKEN: 'glpat-test-root-token-000000000',
          EXTERNAL_URL: 'https://gitlab.example.com',
          // Open live-log streams re-check access every second (default 30 s), so tests see revocation quickly.
          LIVE_LOG_RECHECK_SECONDS: '1',
          // Tests move job objects' clocks (JobObject#advanceClock) instead of rewriting timestamps.
          TEST_CLOCK: '1',
          // Webhook deliveries retry twice, at once (production: 60, 600, 3600 seconds).
          WEBHOOK_RETRY_DELAYS_SECONDS: '0,0',
        },
        // Webhook receivers: requests to http://hooks.test/<status> are answered here with that
        // status (anything else goes to the network as usual). What they received is read back
        // through the hook events API, which logs every delivery.
        outboundService: hookReceiver,
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
