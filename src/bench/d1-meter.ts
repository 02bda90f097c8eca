import type { Env } from '../env'
import { configOf } from '../config'

/**
 * Benchmark metering of D1 (`npm run bench`, BENCH_ROUTES=1 only): the Worker's `env.DB` is
 * wrapped for one request, every round trip to D1 is counted and the `rows_read` of every result
 * is summed; both come back as response headers. Durable Objects keep their own, unwrapped env,
 * so what they read is not counted.
 */
export interface D1Meter {
  roundTrips: number
  rowsRead: number
  /** rows_read of each statement, one entry per round trip (a batch lists its statements). */
  each: number[][]
}

export const ROUND_TRIPS_HEADER = 'X-Bench-D1-Round-Trips'
export const ROWS_READ_HEADER = 'X-Bench-D1-Rows-Read'
/** e.g. `2,2,132 1`: a batch of three statements, then one statement. */
export const ROWS_READ_EACH_HEADER = 'X-Bench-D1-Rows-Read-Each'

/** Runs `handler` with a metered DB when metering is on and reports the counts on its response. */
export async function withD1Meter<T>(env: Env, handler: (env: Env) => Promise<T>): Promise<T> {
  if (!configOf(env).benchRoutes) return handler(env)
  const meter: D1Meter = { roundTrips: 0, rowsRead: 0, each: [] }
  const result = await handler({ ...env, DB: meteredD1(env.DB, meter) })
  if (!(result instanceof Response)) return result
  const response = new Response(result.body, result)
  response.headers.set(ROUND_TRIPS_HEADER, String(meter.roundTrips))
  response.headers.set(ROWS_READ_HEADER, String(meter.rowsRead))
  response.headers.set(ROWS_READ_EACH_HEADER, meter.each.map((trip) => trip.join(',')).join(' '))
  return response as T
}

/** The real statement behind a metered one: `batch` must be given the binding's own objects. */
const realStatements = new WeakMap<D1PreparedStatement, D1PreparedStatement>()

export function meteredD1(db: D1Database, meter: D1Meter): D1Database {
  return new Proxy(db, {
    get(target, key) {
      if (key === 'exec') {
        return (query: string) => {
          meter.roundTrips++ // D1ExecResult carries no rows_read
          meter.each.push([])
          return target.exec(query)
        }
      }
      if (key === 'withSession') {
        return (constraint?: string) => meteredSession(target.withSession(constraint), meter)
      }
      return meteredMember(target, key, meter)
    },
  })
}

function meteredSession(session: D1DatabaseSession, meter: D1Meter): D1DatabaseSession {
  return new Proxy(session, { get: (target, key) => meteredMember(target, key, meter) })
}

/** `prepare` and `batch`, shared by databases and sessions; anything else passes through. */
function meteredMember(target: D1Database | D1DatabaseSession, key: string | symbol, meter: D1Meter): unknown {
  if (key === 'prepare') return (query: string) => meteredStatement(target.prepare(query), meter)
  if (key === 'batch') {
    return async (statements: D1PreparedStatement[]) => {
      meter.roundTrips++
      const results = await target.batch(statements.map((s) => realStatements.get(s) ?? s))
      const rows = results.map((result) => result.meta?.rows_read ?? 0)
      meter.rowsRead += rows.reduce((sum, n) => sum + n, 0)
      meter.each.push(rows)
      return results
    }
  }
  const value: unknown = Reflect.get(target, key, target)
  return typeof value === 'function' ? value.bind(target) : value
}

function meteredStatement(statement: D1PreparedStatement, meter: D1Meter): D1PreparedStatement {
  const counted = async <R extends D1Result>(query: () => Promise<R>): Promise<R> => {
    meter.roundTrips++
    const result = await query()
    const rows = result.meta?.rows_read ?? 0
    meter.rowsRead += rows
    meter.each.push([rows])
    return result
  }
  const metered = new Proxy(statement, {
    get(target, key) {
      switch (key) {
        case 'bind':
          return (...values: unknown[]) => meteredStatement(target.bind(...values), meter)
        case 'all':
          return () => counted(() => target.all())
        case 'run':
          return () => counted(() => target.run())
        case 'first':
          // first() hides meta, so ask all() and pick the first row the way D1 does.
          return async (column?: string) => {
            const row = (await counted(() => target.all())).results[0] as Record<string, unknown> | undefined
            if (!row) return null
            if (column === undefined) return row
            if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`)
            return row[column]
          }
        case 'raw':
          return (options?: { columnNames?: boolean }) => {
            meter.roundTrips++ // raw() hides meta: its rows cannot be counted
            meter.each.push([])
            return target.raw(options as { columnNames?: false })
          }
        default: {
          const value: unknown = Reflect.get(target, key, target)
          return typeof value === 'function' ? value.bind(target) : value
        }
      }
    },
  })
  realStatements.set(metered, statement)
  return metered
}
