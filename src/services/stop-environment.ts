import type { Env } from '../env'
import {
  autoStoppableStatement, environmentEventStatement, stopActionsStatement, type EnvironmentRow,
} from '../db/environments'
import type { JobRow } from '../db/jobs'
import { jobObject } from '../objects/stubs'
import { pipelineObject } from '../objects/stubs'

/**
 * Stopping an environment (app/services/environments/stop_service.rb, Environment#stop_with_actions!
 * in app/models/environment.rb): `force` completes the stop at once; otherwise an available
 * environment goes `stopping` when it has stop actions (the manual `on_stop` jobs of its last
 * finished deployment's pipeline), which are played as their own users, else `stopped`. The stop
 * job's success then completes it (environmentAfterJobStatements).
 */
export async function stopEnvironment(env: Env, environment: EnvironmentRow, options: { force: boolean }): Promise<void> {
  const now = Date.now()
  if (options.force) {
    await environmentEventStatement(env.DB, environment.id, 'stop_complete', now).run()
    return
  }
  if (environment.state !== 'available') return
  const actions = (await stopActionsStatement(env.DB, environment.id).all<JobRow>()).results
  // auto_stop_setting is always `always` here, so the environment stops with or without actions.
  await environmentEventStatement(env.DB, environment.id, actions.length > 0 ? 'stop_wait' : 'stop_now', now).run()
  for (const action of actions) await runStopAction(env, action)
}

/** Environment#run_stop_action!: `job.play(job.user)`; a job that cannot be played is left alone. */
async function runStopAction(env: Env, job: JobRow): Promise<void> {
  if (job.user_id === null) return
  const played = await jobObject(env, job.id).play(job.id, { userId: job.user_id })
  if (!played.ok) return
  await pipelineObject(env, played.job.pipeline_id).process(played.job.pipeline_id, [{ name: played.job.name, stageIdx: played.job.stage_idx }])
}

/**
 * Environments::AutoStopCronWorker / AutoStopService: environments whose `auto_stop_in` has run
 * out are stopped with their actions, a batch per cron run.
 */
export async function stopDueEnvironments(env: Env, now: number): Promise<number> {
  const due = (await autoStoppableStatement(env.DB, now, 100).all<EnvironmentRow>()).results
  for (const environment of due) await stopEnvironment(env, environment, { force: false })
  return due.length
}
