
/** Bindings and configuration of the Worker (wrangler.toml, secrets, .dev.vars). */
export interface Env {
  DB: D1Database
  BLOBS: R2Bucket
  /** One Durable Object per job (objects/JobObject.ts); stubs come from objects/stubs.ts. */
  JOB_OBJECT: DurableObjectNamespace
  /** One Durable Object per pipeline (objects/PipelineObject.ts). */
  PIPELINE_OBJECT: DurableObjectNamespace
  /** One Durable Object per project repository (objects/RepoObject.ts): the git store. */
  REPO_OBJECT: DurableObjectNamespace
  /** Webhook deliveries (src/hooks/): each message names one stored event; retried with backoff. */
  WEBHOOK_QUEUE: Queue<{ eventId: number }>
  /** GitLab's external_url: base of web_url fields, Link headers and CI_* URLs. */
  EXTERNAL_URL: string
  /** The root user's personal access token, made on first start (secret). */
  INITIAL_ROOT_TOKEN?: string
  /** Largest request body accepted by JSON/form endpoints, in bytes (default in src/config.ts). */
  MAX_BODY_BYTES?: string
  /** Seconds without a runner update before a running/canceling job is dropped (default 1800). */
  JOB_STUCK_SECONDS?: string
  /** Seconds a pending job may wait with no online runner able to take it (default 3600). */
  PENDING_NO_RUNNER_SECONDS?: string
  /** Seconds a pending job may wait at all (default 86400). */
  PENDING_MAX_SECONDS?: string
  /** Seconds between access checks of an open live-log stream (default 30). */
  LIVE_LOG_RECHECK_SECONDS?: string
  /** Failed authentications allowed per client address and window before 429 (default 10; 0 = off). */
  AUTH_FAILURE_LIMIT?: string
  /** Length of that window in seconds (default 60). */
  AUTH_FAILURE_WINDOW_SECONDS?: string
  /** Base URL `include:template` files are fetched from (`<base>/<name>`); unset: templates are refused. */
  CI_TEMPLATE_BASE_URL?: string
  /** 'true' lets `include:remote` reach loopback and private addresses (refused by default). */
  CI_REMOTE_INCLUDE_ALLOW_PRIVATE?: string
  /** Largest `git push` body, in bytes (default 100 MiB). */
  GIT_MAX_PUSH_BYTES?: string
  /** Largest single git object (inflated) a push may carry, in bytes (default 16 MiB). */
  GIT_MAX_OBJECT_BYTES?: string
  /** Seconds before each retry of a failed webhook delivery, comma-separated (default 60,600,3600: three retries). */
  WEBHOOK_RETRY_DELAYS_SECONDS?: string
  /** Seconds a webhook receiver has to answer (GitLab's webhook_timeout, default 10). */
  WEBHOOK_TIMEOUT_SECONDS?: string
  /** '1' turns on the benchmark's routes and D1 metering headers (`npm run bench` only). */
  BENCH_ROUTES?: string
  /** '1' lets tests move a job object's clock (vitest.config.ts only; never in deployment). */
  TEST_CLOCK?: string
}
