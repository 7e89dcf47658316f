-- Up Migration

-- Completion events (ADR 018): a transactional outbox. The triggers below insert one row in the same transaction
-- that moves a document version into a final state or a stage run into `failed`, whichever code path wrote it:
-- an event exists exactly when the state change committed. `id` is monotonic (SSE `Last-Event-ID`, replay).
CREATE TABLE IF NOT EXISTS events (
  id              bigserial PRIMARY KEY,
  type            text NOT NULL,
  document_id     text NOT NULL,
  version         integer NOT NULL,
  knowledge_base  text NOT NULL,
  stage           text,
  status          text NOT NULL,
  error_code      text,
  error_message   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- Set once the dispatcher has created a delivery for every webhook subscribed at that time.
  dispatched_at   timestamptz
);
CREATE INDEX IF NOT EXISTS events_undispatched_idx ON events (id) WHERE dispatched_at IS NULL;
CREATE INDEX IF NOT EXISTS events_created_idx ON events (created_at);

CREATE TABLE IF NOT EXISTS webhooks (
  id              text PRIMARY KEY,
  url             text NOT NULL,
  -- NULL: every knowledge base (a global webhook, managed by unscoped admin keys only).
  knowledge_base  text,
  -- Event types it receives; empty = all.
  event_types     text[] NOT NULL DEFAULT '{}',
  -- The HMAC key: needed in clear to sign, shown to its creator once, never returned by the API again.
  secret          text NOT NULL,
  description     text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- Events with an id above this are delivered: a webhook does not receive history from before it existed.
  after_event_id  bigint NOT NULL DEFAULT 0
);

-- One delivery per (event, webhook): the dispatcher's insert is idempotent and the BullMQ job id is the same key.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  event_id        bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  webhook_id      text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  -- Bumped by a replay: the replay's job id carries it, so a replay is a new job even if the old one is kept.
  replays         integer NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (event_id, webhook_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, event_id DESC);

-- The delivery log: every attempt, whatever its outcome.
CREATE TABLE IF NOT EXISTS webhook_delivery_attempts (
  id              bigserial PRIMARY KEY,
  event_id        bigint NOT NULL,
  webhook_id      text NOT NULL,
  attempt         integer NOT NULL,
  replay          integer NOT NULL DEFAULT 0,
  outcome         text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'duplicate')),
  response_code   integer,
  duration_ms     integer NOT NULL,
  error           text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (event_id, webhook_id) REFERENCES webhook_deliveries (event_id, webhook_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS webhook_delivery_attempts_delivery_idx
  ON webhook_delivery_attempts (event_id, webhook_id, id);
-- At most one success is recorded per delivery and replay round: a second 2xx (a stalled job run twice) is logged
-- as `duplicate`, so the log shows it without counting it.
CREATE UNIQUE INDEX IF NOT EXISTS webhook_delivery_attempts_one_success_idx
  ON webhook_delivery_attempts (event_id, webhook_id, replay) WHERE outcome = 'succeeded';

CREATE OR REPLACE FUNCTION aegis_version_final_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  final_states text[] := ARRAY['completed', 'completed_with_warnings', 'failed', 'cancelled', 'superseded'];
BEGIN
  IF NEW.status = ANY (final_states) AND NOT (OLD.status = ANY (final_states)) THEN
    INSERT INTO events (type, document_id, version, knowledge_base, status, error_code, error_message)
    SELECT 'document.' || NEW.status, NEW.document_id, NEW.version, d.knowledge_base, NEW.status,
           NEW.error_code, NEW.error_message
      FROM documents d WHERE d.id = NEW.document_id;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION aegis_stage_failed_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'failed' AND OLD.status IS DISTINCT FROM 'failed' THEN
    INSERT INTO events (type, document_id, version, knowledge_base, stage, status, error_code, error_message)
    SELECT 'stage.failed', NEW.document_id, NEW.version, d.knowledge_base, NEW.stage, 'failed',
           NEW.error_code, NEW.error_message
      FROM documents d WHERE d.id = NEW.document_id;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS document_versions_final_event ON document_versions;
CREATE TRIGGER document_versions_final_event AFTER UPDATE OF status ON document_versions
  FOR EACH ROW EXECUTE FUNCTION aegis_version_final_event();
DROP TRIGGER IF EXISTS stage_runs_failed_event ON stage_runs;
CREATE TRIGGER stage_runs_failed_event AFTER UPDATE OF status ON stage_runs
  FOR EACH ROW EXECUTE FUNCTION aegis_stage_failed_event();

-- Down Migration

DROP TRIGGER IF EXISTS stage_runs_failed_event ON stage_runs;
DROP TRIGGER IF EXISTS document_versions_final_event ON document_versions;
DROP FUNCTION IF EXISTS aegis_stage_failed_event();
DROP FUNCTION IF EXISTS aegis_version_final_event();
DROP TABLE IF EXISTS webhook_delivery_attempts;
DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS webhooks;
DROP TABLE IF EXISTS events;
