-- Up Migration

-- A version that completed but left something out (images no provider could describe, chunks without a
-- graph extraction) says so with its own final status; the counts are derived from the artifact rows.
ALTER TABLE document_versions DROP CONSTRAINT document_versions_status_check;
ALTER TABLE document_versions ADD CONSTRAINT document_versions_status_check
  CHECK (status IN ('queued', 'processing', 'completed', 'completed_with_warnings', 'failed', 'cancelling',
                    'cancelled', 'superseded'));

-- crashes: how many times BullMQ gave the stage run up because the workers running it died (stalled more than
-- the allowed count); the reconciler puts it back into work until the limit, then fails it with WORKER_CRASHED.
-- provider_wait_since: when the stage run started waiting for a model provider (every provider of the chain
-- unavailable); the wait is bounded by PROVIDER_OUTAGE_MAX_WAIT_MS.
ALTER TABLE stage_runs
  ADD COLUMN crashes integer NOT NULL DEFAULT 0,
  ADD COLUMN provider_wait_since timestamptz;

-- Down Migration
ALTER TABLE stage_runs DROP COLUMN provider_wait_since, DROP COLUMN crashes;
UPDATE document_versions SET status = 'completed' WHERE status = 'completed_with_warnings';
ALTER TABLE document_versions DROP CONSTRAINT document_versions_status_check;
ALTER TABLE document_versions ADD CONSTRAINT document_versions_status_check
  CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelling', 'cancelled', 'superseded'));
