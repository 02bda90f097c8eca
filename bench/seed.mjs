// The benchmark's data set, written through SQL only (`wrangler d1 execute --local --command`):
//   project 1 `bench/big`      — 1,000,000 builds in 20,000 pipelines of 50 (5 stages of 10):
//                                what the read scenarios page through; nothing ever changes it.
//   project 2 `bench/commands` — 100,000 builds in 2,000 pipelines of 50: the cancel and retry
//                                targets, kept apart so that commands never move the read figures.
// plus the users, token, runners, commits and stages they reference. Ids are explicit (job id =
// (pipeline id − 1) × 50 + position + 1) and every INSERT is `OR IGNORE`, so a seed that stopped
// half way is simply run again.
import { createHash } from 'node:crypto'

export const PROJECT_ID = 1
export const COMMANDS_PROJECT_ID = 2
export const JOBS = 1_000_000
export const JOBS_PER_PIPELINE = 50
const PIPELINES = JOBS / JOBS_PER_PIPELINE
const COMMAND_PIPELINES = 2_000
const LAST_PIPELINE = PIPELINES + COMMAND_PIPELINES
/** Jobs inserted per statement (each statement is one `wrangler d1 execute`, ~6 s). */
const JOBS_PER_STATEMENT = 275_000
/** A fixed clock (2025-10-09T08:00:00Z) so that every seed is the same. */
const T0 = 1_760_000_000_000
const USERS = 10

/*
 * Pipeline kinds. Project 1 by id % 20, so that every page mixes them:
 *   0      running  — stage 0: job 0 running, jobs 1..9 pending; stages 1..4 created.
 *   1, 2   failed   — stages 0..1 success; stage 2: its first job failed, the rest success;
 *                     stages 3..4 skipped.
 *   3      canceled — stages 0..1 success, stages 2..4 canceled.
 *   else   success  — every job success.
 * Project 2 alternates: even ids running (cancel targets: each run cancels one pending job per
 * pipeline, and job 0 keeps running so a cancel never lets the pipeline move on), odd ids success
 * (retry targets: each run retries one not-yet-retried job of the last stage per pipeline, so
 * nothing is reopened behind it).
 */
const KIND = (p) => `CASE
    WHEN ${p} > ${PIPELINES} THEN CASE ${p} % 2 WHEN 0 THEN 'running' ELSE 'success' END
    ELSE CASE ${p} % 20 WHEN 0 THEN 'running' WHEN 1 THEN 'failed' WHEN 2 THEN 'failed' WHEN 3 THEN 'canceled' ELSE 'success' END
  END`
const PROJECT = (p) => `CASE WHEN ${p} > ${PIPELINES} THEN ${COMMANDS_PROJECT_ID} ELSE ${PROJECT_ID} END`
const IID = (p) => `CASE WHEN ${p} > ${PIPELINES} THEN ${p} - ${PIPELINES} ELSE ${p} END`
const STAGE_NAME = (s) => `CASE ${s} WHEN 0 THEN 'build' WHEN 1 THEN 'test' WHEN 2 THEN 'lint' WHEN 3 THEN 'package' ELSE 'deploy' END`
const PIPELINE_AT = (p) => `(${T0} + ${p} * 60000)`
const SHA = (p) => `printf('%040x', ${p})`
const REF = (p) => `CASE WHEN ${p} % 10 = 0 THEN 'feature-' || (${p} % 7) ELSE 'main' END`
const counter = (name, from, to) => `WITH RECURSIVE ${name}(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM ${name} WHERE i < ${to})`

export function tokenDigest(token) {
  return createHash('sha256').update(token).digest('hex')
}

/** Everything but the jobs: one `wrangler d1 execute` (one transaction). */
export function baseStatements(rootToken) {
  return [
    `INSERT OR IGNORE INTO users (id, username, name, email, is_admin, created_at)
     VALUES (1, 'root', 'Administrator', 'admin@example.com', 1, ${T0})`,
    `INSERT OR IGNORE INTO users (id, username, name, email, is_admin, created_at)
     ${counter('n', 2, USERS)} SELECT i, 'dev' || i, 'Developer ' || i, 'dev' || i || '@example.com', 0, ${T0} FROM n`,
    `INSERT OR IGNORE INTO personal_access_tokens (id, user_id, name, scopes, token_digest, created_at)
     VALUES (1, 1, 'initial root token', '["api"]', '${tokenDigest(rootToken)}', ${T0})`,
    `INSERT OR IGNORE INTO projects (id, name, path, namespace_path, full_path, visibility, default_branch, creator_id, created_at, last_activity_at)
     VALUES (${PROJECT_ID}, 'big', 'big', 'bench', 'bench/big', 'private', 'main', 1, ${T0}, ${T0}),
            (${COMMANDS_PROJECT_ID}, 'commands', 'commands', 'bench', 'bench/commands', 'private', 'main', 1, ${T0}, ${T0})`,
    `INSERT OR IGNORE INTO project_members (project_id, user_id, access_level, created_at)
     ${counter('n', 1, USERS)}, p(id) AS (VALUES (${PROJECT_ID}), (${COMMANDS_PROJECT_ID}))
     SELECT p.id, i, CASE i WHEN 1 THEN 50 ELSE 30 END, ${T0} FROM n CROSS JOIN p`,
    `INSERT OR IGNORE INTO runners (id, runner_type, description, token_digest, token_prefix, tag_list, created_at, contacted_at)
     VALUES (1, 'instance_type', 'bench runner 1', 'bench-runner-1', 'glrt-', '["docker","linux"]', ${T0}, ${T0}),
            (2, 'instance_type', 'bench runner 2', 'bench-runner-2', 'glrt-', '["docker","linux"]', ${T0}, ${T0})`,
    `INSERT OR IGNORE INTO runner_managers (id, runner_id, system_id, version, revision, platform, architecture, executor, created_at, contacted_at)
     VALUES (1, 1, 's_bench00000001', '17.5.0', 'abcdef12', 'linux', 'amd64', 'docker', ${T0}, ${T0}),
            (2, 2, 's_bench00000002', '17.5.0', 'abcdef12', 'linux', 'amd64', 'docker', ${T0}, ${T0})`,
    // One commit per pipeline.
    `INSERT OR IGNORE INTO commits (project_id, sha, parent_ids, tree, title, message, author_name, author_email,
       authored_date, committer_name, committer_email, committed_date)
     ${counter('n', 1, LAST_PIPELINE)}
     SELECT ${PROJECT('i')}, ${SHA('i')}, CASE WHEN ${IID('i')} = 1 THEN '[]' ELSE '["' || ${SHA('i - 1')} || '"]' END, '{}',
       'Change number ' || i, 'Change number ' || i || char(10), 'Developer', 'dev@example.com', ${PIPELINE_AT('i')} - 60000,
       'Developer', 'dev@example.com', ${PIPELINE_AT('i')} - 60000 FROM n`,
    `INSERT OR IGNORE INTO pipelines (id, project_id, iid, sha, before_sha, ref, status, source, user_id, created_at,
       updated_at, started_at, finished_at, duration, queued_duration)
     ${counter('n', 1, LAST_PIPELINE)}, k AS (SELECT i, ${KIND('i')} AS kind FROM n)
     SELECT i, ${PROJECT('i')}, ${IID('i')}, ${SHA('i')}, ${SHA('i - 1')}, ${REF('i')}, kind, 'push', 1 + i % ${USERS},
       ${PIPELINE_AT('i')}, ${PIPELINE_AT('i')} + 600000, ${PIPELINE_AT('i')} + 5000,
       CASE kind WHEN 'running' THEN NULL ELSE ${PIPELINE_AT('i')} + 600000 END,
       CASE kind WHEN 'running' THEN NULL ELSE 595 END, 5 FROM k`,
    `INSERT OR IGNORE INTO pipeline_stages (pipeline_id, idx, name, status)
     ${counter('n', 1, LAST_PIPELINE)}, s(idx) AS (VALUES (0), (1), (2), (3), (4)), k AS (SELECT i, ${KIND('i')} AS kind FROM n)
     SELECT i, idx, ${STAGE_NAME('idx')}, CASE
       WHEN kind = 'running' THEN CASE idx WHEN 0 THEN 'running' ELSE 'created' END
       WHEN kind = 'failed' THEN CASE WHEN idx < 2 THEN 'success' WHEN idx = 2 THEN 'failed' ELSE 'skipped' END
       WHEN kind = 'canceled' THEN CASE WHEN idx < 2 THEN 'success' ELSE 'canceled' END
       ELSE 'success' END
     FROM k CROSS JOIN s`,
  ]
}

/** Jobs `from`..`to`, statuses as their pipeline's kind says. */
function jobsStatement(from, to) {
  const status = `CASE
      WHEN kind = 'running' THEN CASE WHEN s > 0 THEN 'created' WHEN idx = 0 THEN 'running' ELSE 'pending' END
      WHEN kind = 'failed' THEN CASE WHEN s < 2 THEN 'success' WHEN idx = 20 THEN 'failed' WHEN s = 2 THEN 'success' ELSE 'skipped' END
      WHEN kind = 'canceled' THEN CASE WHEN s < 2 THEN 'success' ELSE 'canceled' END
      ELSE 'success' END`
  return `INSERT OR IGNORE INTO jobs (id, project_id, pipeline_id, type, name, stage, stage_idx, status, ref, user_id,
      created_at, updated_at, queued_at, started_at, finished_at, failure_reason, exit_code, runner_id, runner_manager_id,
      timeout, tag_list)
    ${counter('n', from, to)},
    j AS (SELECT i, (i - 1) / ${JOBS_PER_PIPELINE} + 1 AS p, (i - 1) % ${JOBS_PER_PIPELINE} AS idx FROM n),
    k AS (SELECT i, p, idx, idx / 10 AS s, ${KIND('p')} AS kind, ${PIPELINE_AT('p')} AS at FROM j),
    st AS (SELECT *, ${status} AS status FROM k),
    t AS (SELECT *, status NOT IN ('created', 'pending', 'skipped') AND NOT (status = 'canceled' AND s > 2) AS started FROM st)
    SELECT i, ${PROJECT('p')}, p, 'build', ${STAGE_NAME('s')} || '-' || (idx % 10), ${STAGE_NAME('s')}, s, status, ${REF('p')},
      1 + p % ${USERS}, at, at + s * 120000 + 65000,
      CASE WHEN status IN ('created', 'skipped') THEN NULL ELSE at + s * 120000 END,
      CASE WHEN started THEN at + s * 120000 + 5000 END,
      CASE WHEN started AND status <> 'running' THEN at + s * 120000 + 30000 + (i * 997) % 60000 END,
      CASE status WHEN 'failed' THEN 'script_failure' END, CASE status WHEN 'failed' THEN 1 END,
      CASE WHEN started THEN 1 + i % 2 END, CASE WHEN started THEN 1 + i % 2 END,
      CASE WHEN started THEN 3600 END, '["docker","linux"]'
    FROM t`
}

/** The job statements, one per `wrangler d1 execute`, so that progress shows and no transaction is huge. */
export function jobStatements() {
  const last = LAST_PIPELINE * JOBS_PER_PIPELINE
  const out = []
  for (let from = 1; from <= last; from += JOBS_PER_STATEMENT) out.push(jobsStatement(from, Math.min(last, from + JOBS_PER_STATEMENT - 1)))
  return out
}

/** The seed is complete when both projects hold all their jobs. */
export const SEEDED_QUERY = `SELECT
  (SELECT COUNT(*) FROM jobs WHERE project_id = ${PROJECT_ID} AND type = 'build') AS read_jobs,
  (SELECT COUNT(*) FROM jobs WHERE project_id = ${COMMANDS_PROJECT_ID} AND id <= ${LAST_PIPELINE * JOBS_PER_PIPELINE}) AS command_jobs`
export const isSeeded = (row) => row.read_jobs >= JOBS && row.command_jobs >= COMMAND_PIPELINES * JOBS_PER_PIPELINE

/**
 * The targets of one run. Commands change state, so they are chosen afresh each run in project 2:
 * one pending job of each running pipeline (cancel), one finished, not yet retried job of the
 * last stage of each success-kind pipeline (retry).
 */
export function targetQueries(count) {
  return [
    `SELECT MAX(id) AS max_id FROM jobs WHERE project_id = ${PROJECT_ID} AND type = 'build'`,
    `SELECT id FROM (SELECT (SELECT MIN(j.id) FROM jobs j WHERE j.pipeline_id = p.id AND j.status = 'pending') AS id
       FROM pipelines p WHERE p.project_id = ${COMMANDS_PROJECT_ID} AND p.id % 2 = 0 ORDER BY p.id)
     WHERE id IS NOT NULL LIMIT ${count}`,
    `SELECT id FROM (SELECT (SELECT MIN(j.id) FROM jobs j WHERE j.pipeline_id = p.id AND j.stage_idx = 4 AND j.status = 'success' AND j.retried = 0) AS id
       FROM pipelines p WHERE p.project_id = ${COMMANDS_PROJECT_ID} AND p.id % 2 = 1 ORDER BY p.id)
     WHERE id IS NOT NULL LIMIT ${count}`,
  ]
}

/**
 * The FROM / WHERE / ORDER of the API's list statements (src/db/job-lists.ts), for EXPLAIN QUERY
 * PLAN: the plan of the outer loop is what decides the rows read per page.
 */
export function planQueries({ deepId, pipelineId, jobId }) {
  const from = `SELECT j.id FROM jobs j JOIN projects pr ON pr.id = j.project_id`
  const project = `j.project_id = ${PROJECT_ID} AND j.type = 'build'`
  return {
    'first page': `${from} WHERE ${project} ORDER BY j.id DESC LIMIT 21 OFFSET 0`,
    'keyset deep': `${from} WHERE ${project} AND j.id < ${deepId} ORDER BY j.id DESC LIMIT 21 OFFSET 0`,
    'scope failed': `${from} WHERE ${project} AND j.status = 'failed' ORDER BY j.id DESC LIMIT 21 OFFSET 0`,
    'scope pending+running': `${from} WHERE ${project} AND j.status IN ('pending','running') ORDER BY j.id DESC LIMIT 21 OFFSET 0`,
    'pipeline jobs': `${from} WHERE j.pipeline_id = ${pipelineId} AND j.type = 'build' AND j.retried = 0 ORDER BY j.id DESC LIMIT 21 OFFSET 0`,
    'pipeline count': `SELECT COUNT(*) AS n FROM (SELECT 1 FROM jobs j WHERE j.pipeline_id = ${pipelineId} AND j.type = 'build' AND j.retried = 0 LIMIT 10001)`,
    'one job': `${from} WHERE j.id = ${jobId} AND j.project_id = ${PROJECT_ID}`,
  }
}
