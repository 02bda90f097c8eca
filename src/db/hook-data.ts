import type { JobRow } from './jobs'
import { protectedPipelineRefStatement } from './protected-branches'
import type { PipelineRow } from './pipelines'
import type { ProjectRow } from './projects'
import type { RunnerRow } from './runners'
import type { UserRow } from './users'

/**
 * What the webhook payloads read around a job or a pipeline (Gitlab::DataBuilder::Build and
 * ::Pipeline), each in one D1 round trip.
 */

export interface CommitRow {
  sha: string
  title: string
  message: string
  author_name: string
  author_email: string
  authored_date: number
}

export interface JobEnvironmentRow {
  job_id: number
  name: string
  tier: string
  action: string
}

export interface HookContext {
  pipeline: PipelineRow
  project: ProjectRow
  commit: CommitRow | null
  /** The username of the user whose email is the commit author's (for commit.author_url). */
  commitAuthorUsername: string | null
  /** The upstream pipeline's project (source_pipeline). */
  sourceProject: ProjectRow | null
  users: Map<number, UserRow>
}

export interface JobHookData extends HookContext {
  runner: RunnerRow | null
  retriesCount: number
  environment: JobEnvironmentRow | null
}

export interface PipelineHookData extends HookContext {
  stages: string[]
  builds: JobRow[]
  runners: Map<number, RunnerRow>
  artifacts: Map<number, { filename: string; size: number }>
  environments: Map<number, JobEnvironmentRow>
  refProtected: boolean
}

function contextStatements(db: D1Database, pipelineId: number): D1PreparedStatement[] {
  return [
    db.prepare('SELECT * FROM pipelines WHERE id = ?').bind(pipelineId),
    db.prepare('SELECT p.* FROM projects p JOIN pipelines pl ON pl.project_id = p.id WHERE pl.id = ?').bind(pipelineId),
    db.prepare('SELECT c.sha, c.title, c.message, c.author_name, c.author_email, c.authored_date FROM commits c JOIN pipelines pl ON pl.project_id = c.project_id AND pl.sha = c.sha WHERE pl.id = ?').bind(pipelineId),
    db.prepare(
      `SELECT u.username FROM users u JOIN commits c ON u.email = c.author_email COLLATE NOCASE
       JOIN pipelines pl ON pl.project_id = c.project_id AND pl.sha = c.sha WHERE pl.id = ?`,
    ).bind(pipelineId),
    db.prepare('SELECT p.* FROM projects p JOIN pipelines up ON up.project_id = p.id JOIN pipelines pl ON pl.parent_pipeline_id = up.id WHERE pl.id = ?').bind(pipelineId),
  ]
}

function contextOf(results: D1Result[], users: UserRow[]): HookContext | null {
  const pipeline = results[0].results[0] as PipelineRow | undefined
  const project = results[1].results[0] as ProjectRow | undefined
  if (!pipeline || !project) return null
  return {
    pipeline,
    project,
    commit: (results[2].results[0] as CommitRow | undefined) ?? null,
    commitAuthorUsername: (results[3].results[0] as { username: string } | undefined)?.username ?? null,
    sourceProject: (results[4].results[0] as ProjectRow | undefined) ?? null,
    users: new Map(users.map((user) => [user.id, user])),
  }
}

export async function jobHookData(db: D1Database, job: JobRow): Promise<JobHookData | null> {
  const results = await db.batch([
    ...contextStatements(db, job.pipeline_id),
    db.prepare('SELECT * FROM users WHERE id = ?').bind(job.user_id),
    db.prepare('SELECT * FROM runners WHERE id = ?').bind(job.runner_id),
    db.prepare('SELECT COUNT(*) AS n FROM jobs WHERE pipeline_id = ? AND name = ? AND retried = 1').bind(job.pipeline_id, job.name),
    db.prepare('SELECT je.job_id, e.name, e.tier, je.action FROM job_environments je JOIN environments e ON e.id = je.environment_id WHERE je.job_id = ?').bind(job.id),
  ])
  const context = contextOf(results, results[5].results as UserRow[])
  if (!context) return null
  return {
    ...context,
    runner: (results[6].results[0] as RunnerRow | undefined) ?? null,
    retriesCount: (results[7].results[0] as { n: number } | undefined)?.n ?? 0,
    environment: (results[8].results[0] as JobEnvironmentRow | undefined) ?? null,
  }
}

/** The pipeline's latest builds (Ci::Pipeline#latest_builds: no bridges, no retried jobs) and what they show. */
export async function pipelineHookData(db: D1Database, pipelineId: number): Promise<PipelineHookData | null> {
  const latest = "SELECT id FROM jobs WHERE pipeline_id = ?1 AND retried = 0 AND type = 'build'"
  const results = await db.batch([
    ...contextStatements(db, pipelineId),
    db.prepare(
      `SELECT DISTINCT u.* FROM users u WHERE u.id IN (SELECT user_id FROM pipelines WHERE id = ?1)
         OR u.id IN (SELECT user_id FROM jobs WHERE pipeline_id = ?1 AND retried = 0 AND type = 'build')`,
    ).bind(pipelineId),
    db.prepare('SELECT name FROM pipeline_stages WHERE pipeline_id = ? ORDER BY idx').bind(pipelineId),
    db.prepare("SELECT * FROM jobs WHERE pipeline_id = ? AND retried = 0 AND type = 'build' ORDER BY stage_idx, id").bind(pipelineId),
    db.prepare(`SELECT DISTINCT r.* FROM runners r WHERE r.id IN (SELECT runner_id FROM jobs WHERE pipeline_id = ?1 AND retried = 0 AND type = 'build')`).bind(pipelineId),
    db.prepare(`SELECT job_id, filename, size FROM job_artifacts WHERE file_type = 'archive' AND job_id IN (${latest})`).bind(pipelineId),
    db.prepare(
      `SELECT je.job_id, e.name, e.tier, je.action FROM job_environments je JOIN environments e ON e.id = je.environment_id WHERE je.job_id IN (${latest})`,
    ).bind(pipelineId),
    protectedPipelineRefStatement(db, pipelineId),
  ])
  const context = contextOf(results, results[5].results as UserRow[])
  if (!context) return null
  const runners = results[8].results as RunnerRow[]
  const artifacts = results[9].results as { job_id: number; filename: string; size: number }[]
  const environments = results[10].results as JobEnvironmentRow[]
  return {
    ...context,
    stages: (results[6].results as { name: string }[]).map((row) => row.name),
    builds: results[7].results as JobRow[],
    runners: new Map(runners.map((runner) => [runner.id, runner])),
    artifacts: new Map(artifacts.map((row) => [row.job_id, { filename: row.filename, size: row.size }])),
    environments: new Map(environments.map((row) => [row.job_id, row])),
    refProtected: results[11].results.length > 0,
  }
}

/** The project's newest build and newest pipeline (TestHooks::ProjectService's samples). */
export function latestProjectBuild(db: D1Database, projectId: number): Promise<JobRow | null> {
  return db.prepare("SELECT * FROM jobs WHERE project_id = ? AND type = 'build' ORDER BY id DESC LIMIT 1").bind(projectId).first<JobRow>()
}

export async function latestProjectPipelineId(db: D1Database, projectId: number): Promise<number | null> {
  const row = await db.prepare('SELECT id FROM pipelines WHERE project_id = ? ORDER BY id DESC LIMIT 1').bind(projectId).first<{ id: number }>()
  return row?.id ?? null
}

/** What a Push Hook is built from (the pushed ref, its commits as rows). */
export interface PushHookInput {
  project: ProjectRow
  user: UserRow
  before: string
  after: string
  ref: string
  checkoutSha: string | null
  message: string | null
  refProtected: boolean
  /** The newest (at most 20) commits, oldest first, with their changed files. */
  commits: { commit: CommitRow; added: string[]; modified: string[]; removed: string[] }[]
  totalCommitsCount: number
}
