-- edgejobs schema (D1 / SQLite). Applied by `npm start` (local D1) and by the tests.
-- Every statement is idempotent so it can be applied on each start.
-- Timestamps are integer milliseconds since the epoch (UTC); presenters format them.

CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  is_admin INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'active',
  created_at INTEGER NOT NULL
);

-- Personal access tokens: only the SHA-256 digest (hex) of the token is kept.
CREATE TABLE IF NOT EXISTS personal_access_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id),
  name TEXT NOT NULL,
  scopes TEXT NOT NULL,              -- JSON array
  token_digest TEXT NOT NULL UNIQUE,
  expires_at TEXT,                   -- ISO date (YYYY-MM-DD), inclusive, as GitLab
  revoked INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX IF NOT EXISTS personal_access_tokens_user ON personal_access_tokens(user_id, id);

-- Failed authentications per client address, in fixed windows (src/auth/throttle.ts).
CREATE TABLE IF NOT EXISTS auth_failures (
  address TEXT PRIMARY KEY,
  window_start INTEGER NOT NULL,     -- ms since epoch
  failures INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  path TEXT NOT NULL,
  namespace_path TEXT NOT NULL,
  full_path TEXT NOT NULL UNIQUE COLLATE NOCASE,
  description TEXT,
  visibility TEXT NOT NULL DEFAULT 'private',   -- private | internal | public
  public_jobs INTEGER NOT NULL DEFAULT 1,        -- GitLab's public_builds
  builds_enabled INTEGER NOT NULL DEFAULT 1,
  ci_config_path TEXT,
  build_timeout INTEGER NOT NULL DEFAULT 3600,   -- seconds
  ci_job_token_scope_enabled INTEGER NOT NULL DEFAULT 0,
  default_branch TEXT,
  auto_cancel_pending_pipelines INTEGER NOT NULL DEFAULT 1, -- GitLab's project CI setting, enabled by default
  runners_token_digest TEXT,                     -- legacy registration token (digest)
  creator_id INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL
);

-- ProjectCiCdSetting: per-project CI settings kept apart from the projects row (no row = defaults).
CREATE TABLE IF NOT EXISTS project_ci_settings (
  project_id INTEGER PRIMARY KEY REFERENCES projects(id),
  default_git_depth INTEGER NOT NULL DEFAULT 20
);

CREATE TABLE IF NOT EXISTS project_members (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  access_level INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;

-- The git repositories live in one RepoObject (Durable Object) per project: objects, refs.
-- D1 keeps metadata of the commits pipelines run on (job and pipeline views join it);
-- `tree` is the commit's tree id. (The old `blobs` and `branches` tables are no longer used.)
CREATE TABLE IF NOT EXISTS commits (
  project_id INTEGER NOT NULL,
  sha TEXT NOT NULL,
  parent_ids TEXT NOT NULL,          -- JSON array
  tree TEXT NOT NULL,                -- the commit's tree id
  title TEXT NOT NULL,
  message TEXT NOT NULL,
  author_name TEXT NOT NULL,
  author_email TEXT NOT NULL,
  authored_date INTEGER NOT NULL,
  committer_name TEXT NOT NULL,
  committer_email TEXT NOT NULL,
  committed_date INTEGER NOT NULL,
  PRIMARY KEY (project_id, sha)
) WITHOUT ROWID;

-- A pipeline made from an invalid config (a push): its config errors, as GitLab's yaml_errors.
CREATE TABLE IF NOT EXISTS pipeline_yaml_errors (
  pipeline_id INTEGER PRIMARY KEY,
  errors TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS pipelines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  iid INTEGER NOT NULL,
  sha TEXT NOT NULL,
  before_sha TEXT NOT NULL,
  ref TEXT NOT NULL,
  tag INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  source TEXT NOT NULL,
  user_id INTEGER REFERENCES users(id),
  variables TEXT NOT NULL DEFAULT '[]',   -- JSON: pipeline variables given at creation
  parent_pipeline_id INTEGER,              -- upstream pipeline (child or multi-project)
  source_job_id INTEGER,                   -- the bridge that triggered it
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  duration INTEGER,
  queued_duration INTEGER,
  coverage TEXT,
  -- Ci::PipelineMetadata: workflow:auto_cancel (NULL = GitLab's defaults, conservative / none)
  auto_cancel_on_new_commit TEXT,
  auto_cancel_on_job_failure TEXT,
  auto_canceled_by_id INTEGER,             -- the newer pipeline that auto-canceled this one
  trigger_id INTEGER,                      -- the pipeline trigger token that made it (source trigger)
  lock_version INTEGER NOT NULL DEFAULT 0,
  UNIQUE (project_id, iid)
);
CREATE INDEX IF NOT EXISTS pipelines_project ON pipelines(project_id, id DESC);
CREATE INDEX IF NOT EXISTS pipelines_project_status ON pipelines(project_id, status, id DESC);
CREATE INDEX IF NOT EXISTS pipelines_project_ref ON pipelines(project_id, ref, id DESC);
CREATE INDEX IF NOT EXISTS pipelines_source_job ON pipelines(source_job_id);
-- A trigger's last_used: its newest pipeline.
CREATE INDEX IF NOT EXISTS pipelines_trigger ON pipelines(trigger_id, id DESC);

-- Pipeline trigger tokens (Ci::Trigger). Only the token's SHA-256 digest is kept, and its
-- short_token (the first 4 characters after `glptt-`), which is what GitLab shows non-owners.
CREATE TABLE IF NOT EXISTS pipeline_triggers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  owner_id INTEGER NOT NULL REFERENCES users(id),
  description TEXT,                        -- PUT without description sets it NULL, as GitLab's update does
  token_digest TEXT NOT NULL UNIQUE,
  short_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS pipeline_triggers_project ON pipeline_triggers(project_id, id);

CREATE TABLE IF NOT EXISTS pipeline_stages (
  pipeline_id INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  PRIMARY KEY (pipeline_id, idx)
) WITHOUT ROWID;

-- Jobs: builds (run by runners) and bridges (trigger jobs). Status changes only through the
-- job's JobObject, guarded by lock_version.
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  pipeline_id INTEGER NOT NULL REFERENCES pipelines(id),
  type TEXT NOT NULL,                     -- 'build' | 'bridge'
  name TEXT NOT NULL,
  stage TEXT NOT NULL,
  stage_idx INTEGER NOT NULL,
  status TEXT NOT NULL,
  ref TEXT NOT NULL,                      -- the pipeline's ref (for the ref filter)
  tag INTEGER NOT NULL DEFAULT 0,
  allow_failure INTEGER NOT NULL DEFAULT 0,
  when_ TEXT NOT NULL DEFAULT 'on_success',
  scheduling_type TEXT NOT NULL DEFAULT 'stage',   -- 'stage' | 'dag'
  retried INTEGER NOT NULL DEFAULT 0,
  enqueue_immediately INTEGER NOT NULL DEFAULT 0,
  user_id INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  queued_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  scheduled_at INTEGER,
  erased_at INTEGER,
  erased_by_id INTEGER,
  coverage REAL,
  coverage_regex TEXT,
  failure_reason TEXT,
  exit_code INTEGER,
  runner_id INTEGER,
  runner_manager_id INTEGER,
  token_digest TEXT,                       -- job token (glcbt-...) digest while pending/executing
  tag_list TEXT NOT NULL DEFAULT '[]',     -- JSON array
  options TEXT NOT NULL DEFAULT '{}',      -- JSON: parsed CI config of the job (script, image, ...)
  yaml_variables TEXT NOT NULL DEFAULT '[]',
  job_variables TEXT NOT NULL DEFAULT '[]',-- JSON: variables given on play
  needs TEXT NOT NULL DEFAULT '[]',        -- JSON array of {name, optional, artifacts}
  timeout INTEGER,                         -- seconds, set on run
  artifacts_expire_at INTEGER,
  downstream_pipeline_id INTEGER,
  trace_size INTEGER NOT NULL DEFAULT 0,
  trace_archived INTEGER NOT NULL DEFAULT 0,
  debug_trace_enabled INTEGER NOT NULL DEFAULT 0, -- the runner sent debug_trace=true (Ci::BuildMetadata)
  lock_version INTEGER NOT NULL DEFAULT 0
);
-- List orders. Partial indexes keep bridges out of the builds-only project list.
CREATE INDEX IF NOT EXISTS jobs_project_builds ON jobs(project_id, id DESC) WHERE type = 'build';
CREATE INDEX IF NOT EXISTS jobs_project_status_builds ON jobs(project_id, status, id DESC) WHERE type = 'build';
CREATE INDEX IF NOT EXISTS jobs_project_ref_builds ON jobs(project_id, ref, id DESC) WHERE type = 'build';
CREATE INDEX IF NOT EXISTS jobs_project_name_builds ON jobs(project_id, name, id DESC) WHERE type = 'build';
CREATE INDEX IF NOT EXISTS jobs_pipeline ON jobs(pipeline_id, id DESC);
-- The runners' queue: pending builds, oldest first.
CREATE INDEX IF NOT EXISTS jobs_pending_queue ON jobs(id) WHERE status = 'pending' AND type = 'build';
CREATE INDEX IF NOT EXISTS jobs_token ON jobs(token_digest) WHERE token_digest IS NOT NULL;
-- A runner's jobs (GET /runners/:id/jobs) and whether it is executing one (job_execution_status).
CREATE INDEX IF NOT EXISTS jobs_runner ON jobs(runner_id, id DESC) WHERE runner_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_artifacts_expiry ON jobs(artifacts_expire_at) WHERE artifacts_expire_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS job_artifacts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  project_id INTEGER NOT NULL,
  file_type TEXT NOT NULL,          -- archive | metadata | trace | junit | ...
  file_format TEXT NOT NULL,        -- zip | gzip | raw
  filename TEXT NOT NULL,
  size INTEGER NOT NULL,
  blob_key TEXT NOT NULL,           -- R2 object key
  file_sha256 TEXT,                 -- hex SHA-256 of the stored file (a re-upload of the same file is a no-op)
  expire_at INTEGER,
  locked INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_artifacts_job ON job_artifacts(job_id, id);
CREATE INDEX IF NOT EXISTS job_artifacts_expiry ON job_artifacts(expire_at) WHERE expire_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS runners (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  runner_type TEXT NOT NULL,        -- instance_type | project_type
  project_id INTEGER,
  description TEXT NOT NULL DEFAULT '',
  token_digest TEXT NOT NULL UNIQUE,
  token_prefix TEXT NOT NULL,       -- 'glrt-' (created) or legacy registration
  tag_list TEXT NOT NULL DEFAULT '[]',
  run_untagged INTEGER NOT NULL DEFAULT 1,
  paused INTEGER NOT NULL DEFAULT 0,
  locked INTEGER NOT NULL DEFAULT 0,
  maximum_timeout INTEGER,
  created_by_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER,               -- last change of the record (not heartbeats): If-Unmodified-Since
  contacted_at INTEGER,
  access_level TEXT NOT NULL DEFAULT 'not_protected', -- not_protected | ref_protected
  maintenance_note TEXT
);
CREATE INDEX IF NOT EXISTS runners_project ON runners(project_id);

CREATE TABLE IF NOT EXISTS runner_managers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  runner_id INTEGER NOT NULL REFERENCES runners(id),
  system_id TEXT NOT NULL,
  version TEXT,
  revision TEXT,
  platform TEXT,
  architecture TEXT,
  executor TEXT,
  features TEXT NOT NULL DEFAULT '{}',
  ip_address TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER,
  contacted_at INTEGER,
  UNIQUE (runner_id, system_id)
);

-- Kubernetes agents authorized for a project's CI jobs (GET /job/allowed_agents).
CREATE TABLE IF NOT EXISTS cluster_agents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  configuration TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);

-- Runner protocol (docs/runner-protocol.md). Legacy registration (`POST /runners`) finds the
-- project by the digest of its registration token.
CREATE INDEX IF NOT EXISTS projects_runners_token ON projects(runners_token_digest) WHERE runners_token_digest IS NOT NULL;

-- Instance-wide limits, GitLab's application settings (one row; NULL = the built-in default).
-- max_artifacts_size is GitLab's setting; ci_jobs_trace_size_limit is a plan limit in GitLab.
CREATE TABLE IF NOT EXISTS application_settings (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  max_artifacts_size INTEGER,        -- MB per artifact file
  ci_jobs_trace_size_limit INTEGER,  -- MB per job log
  allow_local_requests_from_web_hooks_and_services INTEGER, -- NULL = GitLab's default (false)
  updated_at INTEGER NOT NULL
);

-- Variables of a job's `artifacts:reports:dotenv` (Ci::JobVariable, source dotenv), sent to the
-- jobs that depend on it.
CREATE TABLE IF NOT EXISTS job_dotenv_variables (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL REFERENCES jobs(id),
  pipeline_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  UNIQUE (job_id, key)
);
CREATE INDEX IF NOT EXISTS job_dotenv_variables_pipeline ON job_dotenv_variables(pipeline_id, job_id);

-- X-GitLab-Last-Update: a counter per queue scope ('instance', 'project:<id>') that grows
-- whenever a job becomes pending there (GitLab's runner queue value, ticked on enqueue).
CREATE TABLE IF NOT EXISTS runner_queue_ticks (
  scope TEXT PRIMARY KEY,
  tick INTEGER NOT NULL
) WITHOUT ROWID;
-- Environments and deployments (GitLab's environments, job_environments, deployments). A job's
-- `environment:` creates the environment (by expanded name) and links the job; `action: start`
-- jobs are deployments, whose status is read from the job's status.
CREATE TABLE IF NOT EXISTS environments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  slug TEXT NOT NULL,
  external_url TEXT,
  tier TEXT NOT NULL,
  description TEXT,
  state TEXT NOT NULL DEFAULT 'available',  -- available, stopping, stopped (Environment's state machine)
  auto_stop_at INTEGER,                     -- from the last successful deployment's auto_stop_in
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE INDEX IF NOT EXISTS environments_auto_stop ON environments(auto_stop_at) WHERE auto_stop_at IS NOT NULL AND state = 'available';
CREATE TABLE IF NOT EXISTS job_environments (
  job_id INTEGER PRIMARY KEY REFERENCES jobs(id),
  environment_id INTEGER NOT NULL REFERENCES environments(id),
  action TEXT NOT NULL                  -- start, stop, prepare, verify, access
);
CREATE INDEX IF NOT EXISTS job_environments_environment ON job_environments(environment_id, job_id);
CREATE TABLE IF NOT EXISTS deployments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  iid INTEGER NOT NULL,
  environment_id INTEGER NOT NULL REFERENCES environments(id),
  job_id INTEGER NOT NULL UNIQUE REFERENCES jobs(id),
  ref TEXT NOT NULL,
  sha TEXT NOT NULL,
  user_id INTEGER REFERENCES users(id),
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, iid)
);
CREATE INDEX IF NOT EXISTS deployments_environment ON deployments(environment_id, id DESC);

-- Resource groups (GitLab's ci_resource_groups): one job at a time per project and key. A job
-- ready to run that cannot take the resource waits in `waiting_for_resource`.
CREATE TABLE IF NOT EXISTS resource_groups (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  key TEXT NOT NULL,
  process_mode TEXT NOT NULL DEFAULT 'unordered',  -- unordered, oldest_first, newest_first
  holder_job_id INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, key)
);

-- Protected branches (GitLab's protected_branches): `name` is a branch name or a wildcard pattern
-- (`release/*`, matched with GLOB: git ref names cannot hold `?`, `[` or `*`, so `*` is the only
-- metacharacter). A pipeline on a matching branch is protected (CI_COMMIT_REF_PROTECTED,
-- `-protected` cache keys).
CREATE TABLE IF NOT EXISTS protected_branches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  push_access_level INTEGER NOT NULL DEFAULT 40,
  merge_access_level INTEGER NOT NULL DEFAULT 40,
  allow_force_push INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);

-- CI/CD variables of a project (GitLab's ci_variables) and of the instance (ci_instance_variables).
-- `value` is always encrypted (auth/secret-box.ts: `enc:v1:` + AES-GCM); no row holds plaintext.
-- A key is unique per project and environment_scope; instance keys are unique.
CREATE TABLE IF NOT EXISTS ci_variables (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  variable_type TEXT NOT NULL DEFAULT 'env_var',  -- env_var, file
  protected INTEGER NOT NULL DEFAULT 0,
  masked INTEGER NOT NULL DEFAULT 0,
  hidden INTEGER NOT NULL DEFAULT 0,
  raw INTEGER NOT NULL DEFAULT 0,
  environment_scope TEXT NOT NULL DEFAULT '*',
  description TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, key, environment_scope)
);
CREATE INDEX IF NOT EXISTS ci_variables_project ON ci_variables(project_id, id);

CREATE TABLE IF NOT EXISTS ci_instance_variables (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  value TEXT NOT NULL,
  variable_type TEXT NOT NULL DEFAULT 'env_var',
  protected INTEGER NOT NULL DEFAULT 0,
  masked INTEGER NOT NULL DEFAULT 0,
  raw INTEGER NOT NULL DEFAULT 0,
  description TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Protected tags (GitLab's protected_tags with one create access level): a tag name or a `*`
-- wildcard pattern. A pipeline for a matching tag is protected, as a protected branch's is.
CREATE TABLE IF NOT EXISTS protected_tags (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  create_access_level INTEGER NOT NULL DEFAULT 40,
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
-- Project webhooks (GitLab's web_hooks, type ProjectHook). `token` (sent as X-Gitlab-Token) is
-- stored encrypted, `enc:v1:…` (auth/secret-box.ts, CI_VARIABLES_KEY), as GitLab's attr_encrypted.
CREATE TABLE IF NOT EXISTS web_hooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  url TEXT NOT NULL,
  name TEXT,
  description TEXT,
  token TEXT,
  push_events INTEGER NOT NULL DEFAULT 1,
  tag_push_events INTEGER NOT NULL DEFAULT 0,
  merge_requests_events INTEGER NOT NULL DEFAULT 0,
  repository_update_events INTEGER NOT NULL DEFAULT 0,
  issues_events INTEGER NOT NULL DEFAULT 0,
  confidential_issues_events INTEGER NOT NULL DEFAULT 0,
  note_events INTEGER NOT NULL DEFAULT 0,
  confidential_note_events INTEGER NOT NULL DEFAULT 0,
  pipeline_events INTEGER NOT NULL DEFAULT 0,
  wiki_page_events INTEGER NOT NULL DEFAULT 0,
  deployment_events INTEGER NOT NULL DEFAULT 0,
  feature_flag_events INTEGER NOT NULL DEFAULT 0,
  job_events INTEGER NOT NULL DEFAULT 0,
  releases_events INTEGER NOT NULL DEFAULT 0,
  milestone_events INTEGER NOT NULL DEFAULT 0,
  emoji_events INTEGER NOT NULL DEFAULT 0,
  resource_access_token_events INTEGER NOT NULL DEFAULT 0,
  resource_deploy_token_events INTEGER NOT NULL DEFAULT 0,
  vulnerability_events INTEGER NOT NULL DEFAULT 0,
  enable_ssl_verification INTEGER NOT NULL DEFAULT 1,
  push_events_branch_filter TEXT,
  branch_filter_strategy TEXT NOT NULL DEFAULT 'wildcard', -- wildcard | regex | all_branches
  recent_failures INTEGER NOT NULL DEFAULT 0,             -- WebHooks::AutoDisabling
  disabled_until INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS web_hooks_project ON web_hooks(project_id, id);

-- One event for one hook, kept for its deliveries (the queue message carries only its id).
CREATE TABLE IF NOT EXISTS web_hook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hook_id INTEGER NOT NULL,
  trigger TEXT NOT NULL,              -- job_hooks | pipeline_hooks | push_hooks | tag_push_hooks
  request_data TEXT NOT NULL,         -- the JSON payload
  event_uuid TEXT NOT NULL,           -- X-Gitlab-Event-UUID
  idempotency_key TEXT NOT NULL,      -- Idempotency-Key
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS web_hook_events_hook ON web_hook_events(hook_id);

-- Every delivery attempt (GitLab's web_hook_logs).
CREATE TABLE IF NOT EXISTS web_hook_logs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hook_id INTEGER NOT NULL,
  event_id INTEGER NOT NULL,
  trigger TEXT NOT NULL,
  url TEXT NOT NULL,
  request_headers TEXT NOT NULL,      -- JSON object
  response_status TEXT NOT NULL,      -- the HTTP code, or 'internal error'
  response_headers TEXT NOT NULL,     -- JSON object
  response_body TEXT NOT NULL,        -- at most 8 KiB
  execution_duration REAL NOT NULL,   -- seconds
  internal_error_message TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS web_hook_logs_hook ON web_hook_logs(hook_id, id DESC);
