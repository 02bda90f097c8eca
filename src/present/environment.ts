import { deploymentStatus, type DeploymentRow, type EnvironmentRow } from '../db/environments'
import type { JobViewRow } from '../db/job-views'
import type { UserRow } from '../db/users'
import { job as presentJob } from './job'
import { isoTime } from './time'
import { userBasic } from './user'

/** EnvironmentBasic (lib/api/entities/environment_basic.rb). */
export function environmentBasic(row: Pick<EnvironmentRow, 'id' | 'name' | 'slug' | 'external_url' | 'created_at' | 'updated_at'>) {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    external_url: row.external_url,
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
  }
}

/** Environment (lib/api/entities/environment.rb); edgejobs keeps no cluster agent. */
export function environment(row: EnvironmentRow) {
  return {
    ...environmentBasic(row),
    description: row.description,
    tier: row.tier,
    state: row.state,
    auto_stop_at: row.auto_stop_at === null ? null : isoTime(row.auto_stop_at),
    auto_stop_setting: 'always',
    cluster_agent: null,
    kubernetes_namespace: null,
    flux_resource_path: null,
  }
}

/** Deployment (lib/api/entities/deployment.rb): the deployable is the Job entity. */
export function deployment(row: DeploymentRow, job: JobViewRow | undefined, externalUrl: string, now: number) {
  const user = row.user_json ? (JSON.parse(row.user_json) as UserRow) : null
  return {
    id: row.id,
    iid: row.iid,
    ref: row.ref,
    sha: row.sha,
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
    status: deploymentStatus(row.job_status),
    user: user ? userBasic(user, externalUrl) : null,
    environment: environmentBasic(JSON.parse(row.environment_json)),
    deployable: job ? presentJob(job, externalUrl, now) : null,
  }
}
