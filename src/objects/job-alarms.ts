import { nextDeadline, type TimedJob, type TimerLimits } from '../ci/timers'
import type { JobRow } from '../db/jobs'
import type { Env } from '../env'
import { configOf } from '../config'
import type { ObjectClock } from './clock'

/**
 * The one alarm of a job's Durable Object, and what it remembers in the object's storage to set
 * it: a delayed job's time (`scheduled`), the job's times for the timeout and stuck rules
 * (`watch`), and the runner's last sign of life (`lastUpdateAt`). The alarm is always the
 * earliest deadline among them.
 */
export class JobAlarms {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly env: Env,
    private readonly clock: ObjectClock,
  ) {}

  limits(): TimerLimits {
    return configOf(this.env).timers
  }

  /** Remembers the job's times for the stuck/timeout rules and re-arms the alarm. */
  async watch(job: JobRow): Promise<void> {
    const timed = timedJob(job, await this.touched())
    if (nextDeadline(timed, this.limits()) === null) await this.storage.delete('watch')
    else await this.storage.put('watch', { jobId: job.id, timed })
    await this.rearm()
  }

  /** A sign of life from the runner: moves the stuck deadline of the watched job. */
  async touch(jobId: number): Promise<void> {
    const now = this.clock.now()
    await this.storage.put('lastUpdateAt', now)
    const watched = await this.watched()
    if (watched?.jobId !== jobId) return
    await this.storage.put('watch', { jobId, timed: { ...watched.timed, lastUpdateAt: now } })
    await this.rearm()
  }

  /** A new runner took the job: earlier signs of life do not count. */
  forgetTouches(): Promise<boolean> {
    return this.storage.delete('lastUpdateAt')
  }

  async touched(): Promise<number | null> {
    return (await this.storage.get<number>('lastUpdateAt')) ?? null
  }

  watched(): Promise<{ jobId: number; timed: TimedJob } | undefined> {
    return this.storage.get<{ jobId: number; timed: TimedJob }>('watch')
  }

  scheduled(): Promise<{ jobId: number; at: number } | undefined> {
    return this.storage.get<{ jobId: number; at: number }>('scheduled')
  }

  /** A delayed job waits for `at` (or no longer waits, with `at` undefined). */
  async schedule(jobId: number, at: number | undefined): Promise<void> {
    if (at === undefined) await this.storage.delete('scheduled')
    else await this.storage.put('scheduled', { jobId, at })
    await this.rearm()
  }

  /** The job is being destroyed: nothing to remember, no alarm. */
  async forget(): Promise<void> {
    await this.storage.delete(['watch', 'scheduled', 'lastUpdateAt'])
    await this.storage.deleteAlarm()
  }

  async rearm(): Promise<void> {
    const [scheduled, watched] = await Promise.all([this.scheduled(), this.watched()])
    const deadlines = [scheduled?.at, watched ? nextDeadline(watched.timed, this.limits()) : null].filter((t): t is number => typeof t === 'number')
    if (deadlines.length === 0) await this.storage.deleteAlarm()
    else await this.storage.setAlarm(Math.min(...deadlines))
  }
}

/** The job's times as the timer rules read them. */
export function timedJob(row: JobRow, touched: number | null): TimedJob {
  return { status: row.status, queuedAt: row.queued_at, startedAt: row.started_at, timeout: row.timeout, lastUpdateAt: lastUpdate(row, touched) }
}

/**
 * The runner's last sign of life: a touch recorded by the object, or the row's updated_at, which
 * the runner endpoints keep fresh (needs_touch?) and every transition sets.
 */
function lastUpdate(row: JobRow, touched: number | null): number | null {
  if (row.status !== 'running' && row.status !== 'canceling') return touched
  return Math.max(row.updated_at, touched ?? 0)
}
