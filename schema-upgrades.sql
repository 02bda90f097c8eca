-- Columns added to tables after they first shipped. SQLite has no ADD COLUMN IF NOT EXISTS, so
-- scripts/schema.mjs (run by `npm start`, and by hand with --remote for a deployed database) runs
-- each line whose table exists without that column, before applying schema.sql. A fresh database
-- gets these columns from schema.sql itself. One statement per line; append, never edit.
ALTER TABLE jobs ADD COLUMN debug_trace_enabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_artifacts ADD COLUMN file_sha256 TEXT;
ALTER TABLE runners ADD COLUMN updated_at INTEGER;
ALTER TABLE runner_managers ADD COLUMN updated_at INTEGER;
ALTER TABLE projects ADD COLUMN auto_cancel_pending_pipelines INTEGER NOT NULL DEFAULT 1;
ALTER TABLE pipelines ADD COLUMN auto_cancel_on_new_commit TEXT;
ALTER TABLE pipelines ADD COLUMN auto_cancel_on_job_failure TEXT;
ALTER TABLE pipelines ADD COLUMN auto_canceled_by_id INTEGER;
ALTER TABLE environments ADD COLUMN description TEXT;
ALTER TABLE environments ADD COLUMN state TEXT NOT NULL DEFAULT 'available';
ALTER TABLE environments ADD COLUMN auto_stop_at INTEGER;
ALTER TABLE runners ADD COLUMN access_level TEXT NOT NULL DEFAULT 'not_protected';
ALTER TABLE runners ADD COLUMN maintenance_note TEXT;
ALTER TABLE pipelines ADD COLUMN trigger_id INTEGER;
ALTER TABLE application_settings ADD COLUMN allow_local_requests_from_web_hooks_and_services INTEGER;
