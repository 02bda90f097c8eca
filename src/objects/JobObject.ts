import { DurableObject } from 'cloudflare:workers'
import { isErasable, isPlayable, isRetryable } from '../ci/abilities'
import { isFinished, type JobStatus } from '../ci/statuses'
import { dueAction } from '../ci/timers'
import { applyEvent, type JobEvent } from '../ci/transitions'
import type { ProcessEvent } from '../ci/types'
import type { Env } from '../env'
import { configOf } from '../config'
import { deletePrefix, jobPrefix } from '../blob/keys'
import { cloneJobStatements, getJob, guardedUpdate, jobOptions, resourceGroupOf, type JobChanges, type JobRow } from '../db/jobs'
import { getJobView, jobViewStatement, type JobViewRow } from '../db/job-views'
import { generateToken, JOB_TOKEN_PREFIX, tokenDigest } from '../auth/tokens'
import { anyOnlineRunnerCanTake } from '../db/runner-queue'
import { afterCommit, type EffectsPort } from './job-effects'
import { tickQueueStatements } from '../db/queue-ticks'
import { countJobArtifacts, deleteJobArtifactsStatement } from '../db/artifacts'
import { projectBuildTimeout } from '../db/projects'
import { managerFeatures } from '../db/runners'
import { changesBetween, stateOf } from './job-state'
import { JobAlarms, timedJob } from './job-alarms'
import { archiveTraceWrites, LiveTrace } from './live-trace'
import type { EraseResult, JobObjectRpc, JobResult, KnownRow, PlayResult, RetryResult } from './rpc'
import { pipelineObject } from './stubs'
import { takeResource } from '../db/resource-groups'
import { ObjectClock } from './clock'
import { retriedJobEnvironmentStatements } from '../db/environments'
import { SerialQueue } from './serial'


/**
 * One Durable Object per job (named by the job id). Every change of the job's state goes through
 * it: commands run one at a time (an explicit queue, since awaiting D1 lets other requests in),
 * apply the pure rules from `ci/`, and write the row with a lock_version guard in one D1 batch.
 * It also keeps the live log while the job runs. It never waits on pipeline processing while
 * holding its queue, so objects can call each other without deadlock.
 */
export class JobObject extends DurableObject<Env> implements JobObjectRpc {
  readonly #queue = new SerialQueue()
  readonly #clock = new ObjectClock()
  readonly #trace: LiveTrace
  readonly #alarms: JobAlarms

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.#trace = new LiveTrace(ctx.storage.sql, this.#clock)
    this.#alarms = new JobAlarms(ctx.storage, env, this.#clock)
  }

  /** Tests only (TEST_CLOCK=1): moves this object's clock forward, as time passing would. */
  async advanceClock(ms: number): Promise<void> {
    if (!configOf(this.env).testClock) throw new Error('advanceClock is the tests\' (TEST_CLOCK=1)')
    this.#clock.advance(ms)
  }

  /** A bare round trip (the benchmark's baseline for an object call). */
  async ping(): Promise<string> {
    if (!configOf(this.env).benchRoutes) throw new Error('ping is the benchmark\'s (BENCH_ROUTES=1)')
    return this.#queue.run(async () => 'pong')
  }

  // ---- pipeline processing --------------------------------------------------------------------

  /** enqueue / actionize / schedule / skip decided by processing, or `process` to reopen a skipped job. */
  async processEvent(jobId: number, event: ProcessEvent | 'process', known?: KnownRow): Promise<JobStatus | null> {
    const result = await this.#queue.run(async () => {
      const row = known ?? (await getJob(this.env.DB, jobId))
      if (row && event === 'enqueue') return this.#enqueue(jobId, row, { type: 'enqueue' }, { stale: true })
      return this.#transition(jobId, { type: event }, { row: row ?? undefined, stale: true })
    })
    if (!result?.changed) return result?.job.status ?? null
    await this.#afterTransition(result.job)
    return result.job.status
  }



  /**
   * Processable's `enqueue` (and `enqueue_scheduled`): a job of a resource group goes
   * `waiting_for_resource` unless it takes the group's resource now, whoever enqueues it —
   * processing, play, or a delayed job's timer (`transition [:created, :skipped, :manual,
   * :scheduled] => :waiting_for_resource, if: :with_resource_group?`). Runs inside the queue.
   */
  async #enqueue(
    jobId: number, row: JobRow, event: JobEvent, options: { stale?: boolean; extra?: JobChanges; view?: boolean } = {},
  ): Promise<JobResult | null> {
    const group = resourceGroupOf(row)
    const due = event.type !== 'enqueue_scheduled' || row.scheduled_at === null || row.scheduled_at <= this.#clock.now()
    if (!group || !due) return this.#transition(jobId, event, { row, ...options })
    const take = () => takeResource(this.env.DB, row.project_id, group, { id: row.id, pipelineId: row.pipeline_id }, this.#clock.now())
    if (await take()) return this.#transition(jobId, event, { row, ...options })
    const waiting = await this.#transition(jobId, { type: 'request_resource' }, { row, ...options })
    // The holder may have let go between the two writes, seeing no waiting job: try once more.
    if (waiting?.changed && (await take())) return this.#transition(jobId, { type: 'enqueue' }, { row: waiting.job, view: options.view })
    return waiting
  }

  /**
   * A retried job is enqueued at once (RetryJobService: `retry_lock(new_job, &:enqueue)`); the
   * view comes from the same write, so it shows the job as that write left it (`pending`).
   */
  async enqueueRetried(jobId: number, known?: KnownRow): Promise<JobViewRow | null> {
    const result = await this.#queue.run(() => this.#transition(jobId, { type: 'enqueue' }, { row: known, stale: true, view: true }))
    if (!result) return null
    if (result.changed) await this.#afterTransition(result.job)
    return result.view ?? (await getJobView(this.env.DB, jobId))
  }

  /** A downstream pipeline changed status: a `strategy: depend` bridge mirrors it. */
  async downstreamStatusChanged(bridgeId: number, status: JobStatus): Promise<void> {
    const result = await this.#queue.run(async () => {
      const row = await getJob(this.env.DB, bridgeId)
      if (!row || row.type !== 'bridge') return undefined
      const options = jobOptions(row)
      if (options.trigger?.strategy !== 'depend') return undefined
      return this.#transition(bridgeId, { type: 'bridge_status', status }, { row })
    })
    if (!result?.changed) return
    await this.#afterTransition(result.job)
    await pipelineObject(this.env, result.job.pipeline_id).requestProcess(result.job.pipeline_id)
  }

  // ---- user commands ---------------------------------------------------------------------------

  /**
   * Cancel (graceful when the runner supports it) or force-cancel a canceling job. Answers with
   * the job's view from the write's own batch; pipeline processing is the caller's to start.
   */
  async cancel(jobId: number, options: { force: boolean; known?: KnownRow }): Promise<JobResult | null> {
    const result = await this.#queue.run(async () => {
      const event = async (row: JobRow): Promise<JobEvent> => {
        if (options.force) return { type: 'force_cancel' }
        return { type: 'cancel', graceful: row.status === 'running' && (await this.#runnerCancelsGracefully(row)) }
      }
      return this.#transition(jobId, event, { row: options.known, stale: true, view: true })
    })
    if (result?.changed) await this.#afterTransition(result.job)
    return result
  }

  /**
   * Retry: a new job (same definition, status created) in the same pipeline; the old one becomes
   * retried, in one batch guarded by its lock_version. Processing (and reopening skipped jobs)
   * is the caller's next step.
   */
  async retry(jobId: number, options: { userId: number; enqueueImmediately?: boolean; jobVariables?: string; known?: KnownRow }): Promise<RetryResult> {
    return this.#queue.run(async (): Promise<RetryResult> => {
      let row = options.known ?? (await getJob(this.env.DB, jobId))
      for (let attempt = 0; attempt < 3 && row; attempt++) {
        if (!isRetryable({ status: row.status, retried: row.retried === 1, kind: row.type, failureReason: row.failure_reason })) {
          if (attempt === 0 && options.known) {
            row = await getJob(this.env.DB, jobId) // the caller's row may be stale: decide again on ours
            continue
          }
          return { ok: false, reason: 'not_retryable' }
        }
        const enqueueImmediately = options.enqueueImmediately ?? (row.when_ === 'manual' || row.when_ === 'delayed')
        const now = this.#clock.now()
        const [inserted, marked] = await this.env.DB.batch<JobRow>([
          ...cloneJobStatements(this.env.DB, row, options.userId, now, { enqueueImmediately, jobVariables: options.jobVariables }),
          ...(row.options.includes('"environment"') ? retriedJobEnvironmentStatements(this.env.DB, row.id, row.pipeline_id, row.name, options.userId, now) : []),
        ])
        if (inserted.results[0] && (marked.meta.changes ?? 0) > 0) return { ok: true, job: inserted.results[0] }
        row = await getJob(this.env.DB, jobId)
      }
      if (!row) return { ok: false, reason: 'not_found' }
      throw new Error(`job ${jobId}: retry lost three optimistic-lock races`)
    })
  }

  /** Play a manual (or scheduled) job; a finished manual job is retried instead, as GitLab does. */
  async play(jobId: number, options: { userId: number; jobVariables?: string; known?: KnownRow }): Promise<PlayResult> {
    const outcome = await this.#queue.run(async () => {
      const row = await getJob(this.env.DB, jobId)
      if (!row) return { ok: false as const, reason: 'not_found' as const }
      const playable = isPlayable({ status: row.status, when: row.when_, kind: row.type, retried: row.retried === 1, failureReason: row.failure_reason })
      if (!playable) return { ok: false as const, reason: 'unplayable' as const }
      if (row.status !== 'manual' && row.status !== 'scheduled') return { ok: true as const, retry: true as const, row }
      const extra: JobChanges = { user_id: options.userId }
      if (options.jobVariables !== undefined && row.type === 'build') extra.job_variables = options.jobVariables
      const result = await this.#enqueue(jobId, row, { type: 'enqueue' }, { extra, view: true })
      if (!result?.changed) return { ok: false as const, reason: 'unplayable' as const }
      return { ok: true as const, retry: false as const, row: result.job, view: result.view }
    })
    if (!outcome.ok) return outcome
    if (outcome.retry) {
      const retried = await this.retry(jobId, { userId: options.userId, enqueueImmediately: true, jobVariables: options.jobVariables, known: outcome.row })
      return retried.ok ? { ok: true, job: retried.job, retried: true } : { ok: false, reason: 'unplayable' }
    }
    await this.#afterTransition(outcome.row)
    return { ok: true, job: outcome.row, retried: false, view: outcome.view }
  }

  /** Erase: delete log and artifacts, record who erased it. Status is unchanged. */
  async erase(jobId: number, options: { userId: number }): Promise<EraseResult> {
    return this.#queue.run(async (): Promise<EraseResult> => {
      const row = await getJob(this.env.DB, jobId)
      if (!row) return { ok: false, reason: 'not_found' }
      const artifacts = await countJobArtifacts(this.env.DB, jobId)
      const hasTrace = row.trace_archived === 1 || this.#trace.length() > 0
      if (row.erased_at || !isErasable({ status: row.status, hasArtifacts: artifacts > 0, hasTrace })) {
        return { ok: false, reason: 'not_erasable' }
      }
      await deletePrefix(this.env.BLOBS, jobPrefix(jobId))
      const now = this.#clock.now()
      const results = await this.env.DB.batch<JobRow>([
        guardedUpdate(this.env.DB, row, { erased_at: now, erased_by_id: options.userId, artifacts_expire_at: null, trace_archived: 0, trace_size: 0 }, now),
        deleteJobArtifactsStatement(this.env.DB, jobId),
        jobViewStatement(this.env.DB, jobId),
      ])
      this.#trace.clear()
      if (!results[0].results[0]) throw new Error(`job ${jobId}: erase lost an optimistic-lock race`)
      return { ok: true, job: results[0].results[0], view: results[2].results[0] as JobViewRow }
    })
  }

  /**
   * Ci::DestroyPipelineService, the job's part: after the pipeline's cancel, the object drops its
   * live log and alarm and the job's log and artifacts in R2, inside its queue so no command of
   * the job runs half before and half after. Later commands find no row and do nothing.
   */
  async destroy(jobId: number): Promise<void> {
    await this.#queue.run(async () => {
      this.#trace.clear()
      await this.#alarms.forget()
      await deletePrefix(this.env.BLOBS, jobPrefix(jobId))
    })
  }

  // ---- runner side -------------------------------------------------------------------------

  /**
   * Hands a pending build to a runner (pending → running) with a fresh job token. Exactly one
   * caller wins: the others find the job no longer pending and get null.
   */
  async assign(
    jobId: number,
    runner: { runnerId: number; runnerManagerId: number | null; /** the runner's maximum_timeout, if any */ timeout?: number | null },
  ): Promise<{ job: JobRow; token: string } | null> {
    const assigned = await this.#queue.run(async () => {
      const row = await getJob(this.env.DB, jobId)
      if (!row || row.status !== 'pending' || row.type !== 'build') return null
      const token = generateToken(JOB_TOKEN_PREFIX)
      const result = await this.#transition(jobId, { type: 'run' }, {
        row,
        extra: {
          runner_id: runner.runnerId,
          runner_manager_id: runner.runnerManagerId,
          timeout: await this.#jobTimeout(row, runner.timeout),
          token_digest: await tokenDigest(token),
        },
      })
      if (!result?.changed) return null
      await this.#alarms.forgetTouches()
      return { job: result.job, token }
    })
    // The effects of running (its alarms, its job hooks), as for every other transition.
    if (assigned) await this.#afterTransition(assigned.job)
    return assigned
  }

  /**
   * update_timeout_state: the job's `timeout:` (else the project's build timeout), capped by the
   * runner's maximum timeout (`runnerLimit`, seconds).
   */
  async #jobTimeout(row: JobRow, runnerLimit: number | null | undefined): Promise<number> {
    const own = jobOptions(row).job_timeout
    const configured = own ?? (await projectBuildTimeout(this.env.DB, row.project_id)) ?? 3600
    return runnerLimit ? Math.min(configured, runnerLimit) : configured
  }

  /** A sign of life from the runner (PUT state=running, trace PATCH): keeps the job from looking stuck. */
  async touch(jobId: number): Promise<void> {
    await this.#alarms.touch(jobId)
  }


  /** The runner's `PUT /jobs/:id`: running is a heartbeat; success/failed finish the job. */
  async runnerUpdate(jobId: number, update: { state: 'running' | 'success' | 'failed'; failureReason?: string | null; exitCode?: number | null }): Promise<JobRow | null> {
    const result = await this.#queue.run(async () => {
      const row = await getJob(this.env.DB, jobId)
      if (!row) return null
      if (update.state === 'running') return { job: row, changed: false }
      const event: JobEvent = update.state === 'success' ? { type: 'success' } : { type: 'drop', reason: update.failureReason ?? null, exitCode: update.exitCode ?? null }
      return this.#transition(jobId, event, { row })
    })
    if (result?.changed) await this.#afterTransition(result.job)
    return result?.job ?? null
  }

  /**
   * Ci::RegisterJobService: a pending build whose runner lacks a feature it needs is dropped with
   * `runner_unsupported` (only while still pending, so a job another runner took is left alone).
   */
  async dropPending(jobId: number, reason: string): Promise<boolean> {
    const result = await this.#queue.run(async () => {
      const row = await getJob(this.env.DB, jobId)
      if (!row || row.status !== 'pending') return null
      return this.#transition(jobId, { type: 'drop', reason }, { row })
    })
    if (result?.changed) await this.#afterTransition(result.job)
    return result?.changed ?? false
  }

  /** Appends a log chunk at `start`; undefined length means the offset did not match. */
  async appendTrace(jobId: number, start: number, bytes: Uint8Array): Promise<{ ok: boolean; length: number; watched: boolean }> {
    return this.#queue.run(async () => {
      // Once the job has finished its log is archived: late appends are refused.
      const length = this.#trace.append(start, bytes)
      const watched = this.#trace.isWatched(this.#clock.now())
      return length === undefined ? { ok: false, length: this.#trace.length(), watched } : { ok: true, length, watched }
    })
  }

  /**
   * Waits (up to `timeoutMs`) until the live log grows past `offset` or the job finishes, then
   * returns the new bytes. Feeds the `text/event-stream` log extension without polling D1.
   */
  async waitForTrace(jobId: number, offset: number, timeoutMs: number): Promise<{ bytes: Uint8Array; archived: boolean }> {
    if (this.#trace.length() <= offset) {
      const row = await getJob(this.env.DB, jobId)
      if (row && row.trace_archived === 0 && !isFinished(row.status)) await this.#trace.waitForChange(timeoutMs)
    }
    const row = await getJob(this.env.DB, jobId)
    return { bytes: this.#trace.read(offset), archived: row?.trace_archived === 1 || (row !== null && isFinished(row.status)) }
  }

  async traceLength(): Promise<number> {
    return this.#trace.length()
  }

  async readTrace(offset?: number, limit?: number): Promise<Uint8Array> {
    return this.#trace.read(offset, limit)
  }

  // ---- internals ---------------------------------------------------------------------------

  /**
   * After a committed transition the effects go to their owners (objects/job-effects.ts), as
   * GitLab's after_transition only enqueues: the job's own alarms, the resource group's next
   * job, the downstream pipeline of a bridge, an automatic retry.
   */
  async #afterTransition(job: JobRow): Promise<void> {
    await afterCommit(job, this.#effects)
  }

  /** What the effects may ask of this object: its alarms, and commands through its queue. */
  readonly #effects: EffectsPort = {
    env: this.env,
    now: () => this.#clock.now(),
    waitUntil: (work) => this.ctx.waitUntil(work),
    watch: (job) => this.#alarms.watch(job),
    schedule: (jobId, at) => this.#alarms.schedule(jobId, at),
    retry: (jobId, options) => this.retry(jobId, options),
    commitBridgeOutcome: (bridgeId, decide) =>
      this.#queue.run(async () => {
        const row = await getJob(this.env.DB, bridgeId)
        if (!row || row.status !== 'pending') return null
        const decision = decide(row)
        return this.#transition(bridgeId, decision.event, { row, extra: decision.extra })
      }),
  }

  /**
   * Applies one event to the job and writes the result in one D1 batch guarded by lock_version.
   * Entering a finished status also archives the log, extracts coverage and drops the token.
   * `row` is the job as read inside this command, or (`stale`) as a caller knew it: a guard miss
   * or a "no change" on a stale row is decided again on a fresh read. `view` also returns the
   * job's entity row from the same batch.
   */
  async #transition(
    jobId: number,
    event: JobEvent | ((row: JobRow) => Promise<JobEvent>),
    options: { row?: JobRow; stale?: boolean; extra?: JobChanges; view?: boolean } = {},
  ): Promise<JobResult | null> {
    let row = options.row ?? (await getJob(this.env.DB, jobId))
    let fresh = !options.row || !options.stale
    for (let attempt = 0; attempt < 4 && row; attempt++) {
      const now = this.#clock.now()
      const before = stateOf(row)
      const after = applyEvent(before, typeof event === 'function' ? await event(row) : event, now)
      if (!after && !fresh) {
        row = await getJob(this.env.DB, jobId)
        fresh = true
        continue
      }
      if (!after) return { job: row, changed: false, view: options.view ? (await getJobView(this.env.DB, jobId)) ?? undefined : undefined }
      const changes: JobChanges = { ...changesBetween(before, after), ...options.extra }
      const finishing = isFinished(after.status) && row.type === 'build' ? await archiveTraceWrites(this.env, this.#trace, row, now) : undefined
      if (finishing) Object.assign(changes, finishing.changes)
      const statements = [guardedUpdate(this.env.DB, row, changes, now), ...(finishing?.statements ?? [])]
      // A build entering the queue ticks its runners' X-GitLab-Last-Update (tick_runner_queue).
      if (row.type === 'build' && after.status === 'pending' && before.status !== 'pending') {
        statements.push(...tickQueueStatements(this.env.DB, row.project_id, row.id, row.lock_version))
      }
      if (options.view) statements.push(jobViewStatement(this.env.DB, jobId))
      const results = await this.env.DB.batch<JobRow>(statements)
      const updated = results[0].results[0]
      if (updated) {
        if (changes.trace_archived === 1) this.#trace.clear()
        if (isFinished(after.status) && row.type === 'build') this.#trace.close()
        const view = options.view ? (results[results.length - 1].results[0] as unknown as JobViewRow) : undefined
        return { job: updated, changed: true, view }
      }
      row = await getJob(this.env.DB, jobId) // someone moved the row: re-read and re-decide
      fresh = true
    }
    return row ? { job: row, changed: false } : null
  }

  async #runnerCancelsGracefully(row: JobRow): Promise<boolean> {
    if (row.runner_manager_id === null) return false
    return (await managerFeatures(this.env.DB, row.runner_manager_id)).cancel_gracefully === true
  }

  // ---- timers: delayed jobs, job timeout, stuck jobs (one alarm, the earliest deadline) -------

  override async alarm(): Promise<void> {
    const now = this.#clock.now()
    const scheduled = await this.#alarms.scheduled()
    if (scheduled) {
      // The row's scheduled_at decides (the rule checks it); the stored time only arms the alarm.
      const result = await this.#queue.run(async () => {
        const row = await getJob(this.env.DB, scheduled.jobId)
        return row ? this.#enqueue(scheduled.jobId, row, { type: 'enqueue_scheduled' }) : null
      })
      const stillScheduled = result?.job.status === 'scheduled' && result.job.scheduled_at !== null
      await this.#alarms.schedule(scheduled.jobId, stillScheduled ? result!.job.scheduled_at! : undefined)
      if (result?.changed) {
        await this.#afterTransition(result.job)
        await pipelineObject(this.env, result.job.pipeline_id).requestProcess(result.job.pipeline_id)
      }
    }
    const watched = await this.#alarms.watched()
    if (watched) await this.#checkTimers(watched.jobId, now)
    await this.#alarms.rearm()
  }

  /** Drops a job that ran past its timeout, went silent, or waited too long for a runner. */
  async #checkTimers(jobId: number, now: number): Promise<void> {
    const result = await this.#queue.run(async () => {
      const row = await getJob(this.env.DB, jobId)
      if (!row) return null
      const action = dueAction(timedJob(row, await this.#alarms.touched()), this.#alarms.limits(), now)
      if (!action) return { job: row, changed: false }
      if ('dropIfNoRunner' in action && (await anyOnlineRunnerCanTake(this.env.DB, row, now))) return { job: row, changed: false }
      const reason = 'drop' in action ? action.drop : action.dropIfNoRunner
      return this.#transition(jobId, { type: 'drop', reason }, { row })
    })
    if (!result) return
    await this.#alarms.watch(result.job)
    if (!result.changed) return
    await this.#afterTransition(result.job)
    await pipelineObject(this.env, result.job.pipeline_id).requestProcess(result.job.pipeline_id)
  }
}

/** The job's expanded `resource_group`, if it has one. */


