// The webhook stage of `npm test`: starts the Worker under `wrangler dev` (own port, persist dir
// and bundle; the queue consumer runs inside it), runs test/webhooks/*.test.mjs with node:test
// against it (each test file starts its own HTTP receiver on 127.0.0.1), stops the server in
// every way out, and writes the counts for scripts/test.mjs (runServedTests in ../git-cli/server.mjs).
//   node test/webhooks/run.mjs [--counts <file>] [test files…]
import { runServedTests, stageArgs } from '../git-cli/server.mjs'

const { files, writeCounts } = stageArgs('test/webhooks')
await runServedTests({
  files, writeCounts,
  port: Number(process.env.HOOKS_TEST_PORT ?? 8825),
  // Retries one second apart, so a failing receiver's three tries take two seconds.
  vars: { WEBHOOK_RETRY_DELAYS_SECONDS: '1,1' },
})
