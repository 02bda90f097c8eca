// bench/results.md: the figures and the ratios the targets are stated in.

const ms = (value) => (Number.isFinite(value) ? value.toFixed(1) : '–')
const pct = (value) => (Number.isFinite(value) ? `${Math.round(value * 100)} %` : '–')
const times = (value) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–')
const spread = (s) => (s ? (s.min === s.max ? `${s.min}` : `${s.min} / ${s.median} / ${s.max}`) : '–')
const verdict = (ok) => (ok ? '✅ met' : '❌ missed')

export function report({ machine, date, settings, seedSeconds, runSeconds, reads, commands, plans }) {
  const rowsTarget = settings.perPage + 1
  const query = reads.find((r) => r.baseline === 'query')
  const objectAt = (connections) => commands.find((c) => c.baseline === 'object' && c.connections === connections)
  const endpoints = reads.filter((r) => !r.baseline)
  const lines = []
  const push = (...more) => lines.push(...more)

  push('# edgejobs benchmark', '')
  push(
    `${date.slice(0, 10)} · ${machine.nproc} CPUs (nproc) · Node ${machine.node} · wrangler ${machine.wrangler} (\`wrangler dev\`, local mode) · ` +
      `load average ${machine.loadBefore.map((n) => n.toFixed(2)).join(' ')} before, ${machine.loadAfter.map((n) => n.toFixed(2)).join(' ')} after`,
    '',
    `Reads page through one project of ${settings.jobs.toLocaleString('en')} builds (pipelines of 50); commands act on a second project of ` +
      `100,000 builds in the same tables, so that they never change what the reads see · ${settings.connections} concurrent keep-alive connections from ` +
      `a Node load generator on the same machine · reads: ${settings.rounds} interleaved rounds, ${settings.readSeconds} s per scenario in all, after ` +
      `${settings.warmupSeconds} s of warm-up · commands: ${settings.commands} requests each at ${settings.commandConnections.join(' and ')} connections, ` +
      `every one on a different job (cancel, retry) or a new object (bare DO), in ${settings.rounds} interleaved rounds after ${settings.commandWarmup} warm-up requests · ` +
      `per_page = ${settings.perPage} · every request with the root's PRIVATE-TOKEN. ` +
      `Seeding: ${seedSeconds > 0 ? `${seedSeconds.toFixed(0)} s in this run` : 'already done (state reused)'} · whole run: ${runSeconds.toFixed(0)} s.`,
    '',
  )

  push('## Reads', '')
  push('| Scenario | req/s | % of one-query | p50 ms | p99 ms | errors | D1 round trips (min / median / max) | rows read (min / median / max) | rows read ÷ (per_page + 1) | rows read per statement (most common) |')
  push('|---|--:|--:|--:|--:|--:|--:|--:|--:|---|')
  for (const r of reads) {
    push(
      `| ${r.name} | ${r.rps.toFixed(0)} | ${pct(r.rps / query.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.errors} | ${spread(r.roundTrips)} | ${spread(r.rowsRead)} | ` +
        `${r.list ? times(r.rowsRead?.median / rowsTarget) : '–'} | ${r.rowsReadEach ? `\`${r.rowsReadEach}\`` : '–'} |`,
    )
  }
  push(
    '',
    'Rows read per statement: one group per D1 round trip, one number per statement of a batch. For the API routes the batch is ' +
      '[token → user, project + membership, the handler\'s statements]: the page itself is the last number (pipeline jobs: pipeline check, page, count). ' +
      '"The job list statement alone" is the project list\'s page statement (src/db/job-lists.ts) without auth, params or presenter.',
    '',
  )

  push('## Commands', '')
  push('| Scenario | connections | requests | req/s | p50 ms | p99 ms | p99 ÷ bare DO p99 | errors | D1 round trips (min / median / max) | rows read (min / median / max) | rows read per statement (most common) |')
  push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|')
  for (const c of commands) {
    push(
      `| ${c.name} | ${c.connections} | ${c.requests} | ${c.rps.toFixed(0)} | ${ms(c.p50)} | ${ms(c.p99)} | ${times(c.p99 / objectAt(c.connections).p99)} | ${c.errors} | ${spread(c.roundTrips)} | ` +
        `${spread(c.rowsRead)} | ${c.rowsReadEach ? `\`${c.rowsReadEach}\`` : '–'} |`,
    )
  }
  push('', 'Bare DO = `JobObject#ping` on a Durable Object never used before, as each command meets its job\'s object for the first time. ' +
    'D1 figures count the Worker\'s own calls only: what the Durable Objects read and write is not metered.', '')

  push('## Targets', '')
  push('| Target | Figure | |', '|---|---|---|')
  for (const r of endpoints) push(`| ${r.name}: throughput ≥ 80 % of the one-query route | ${pct(r.rps / query.rps)} | ${verdict(r.rps / query.rps >= 0.8)} |`)
  for (const r of endpoints) push(`| ${r.name}: 1 D1 round trip per request | ${spread(r.roundTrips)} | ${verdict(r.roundTrips?.max === 1 && r.errors === 0)} |`)
  for (const r of endpoints.filter((e) => e.list)) {
    const ratio = r.rowsRead?.median / rowsTarget
    push(`| ${r.name}: rows read ≈ per_page + 1 (${rowsTarget}) | ${r.rowsRead?.median} rows = ${times(ratio)} | ${verdict(ratio <= 1.5)} |`)
  }
  const first = reads.find((r) => r.key === 'first')
  const deep = reads.find((r) => r.key === 'deep')
  push(`| keyset page at depth ${settings.deep.toLocaleString('en')}: p50 ≤ 1.2× first page p50 | ${ms(deep.p50)} ms vs ${ms(first.p50)} ms = ${times(deep.p50 / first.p50)} | ${verdict(deep.p50 / first.p50 <= 1.2)} |`)
  for (const c of commands.filter((c) => c.key)) {
    const object = objectAt(c.connections)
    push(`| ${c.name}, ${c.connections} connection(s): p99 < 2× bare DO round trip p99 | ${ms(c.p99)} ms vs ${ms(object.p99)} ms = ${times(c.p99 / object.p99)} | ${verdict(c.p99 / object.p99 < 2 && c.errors === 0)} |`)
  }
  push('')

  push('## Query plans', '', 'EXPLAIN QUERY PLAN of the FROM / WHERE / ORDER BY of each list statement (src/db/job-lists.ts), on the seeded database:', '')
  for (const [name, plan] of Object.entries(plans)) push(`- ${name}: ${plan.map((step) => `\`${step}\``).join(' → ')}`)
  push('')
  push('Reproduce: `npm run bench` (state in bench/.state; delete it to seed afresh).', '')
  return lines.join('\n')
}
