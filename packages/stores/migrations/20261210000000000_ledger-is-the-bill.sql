-- Up Migration

-- ADR 016. Reasoning tokens: the part of output_tokens a thinking model spent on hidden reasoning (priced
-- as output; OpenAI completion_tokens_details.reasoning_tokens).
ALTER TABLE llm_ledger
  ADD COLUMN reasoning_tokens integer NOT NULL DEFAULT 0 CHECK (reasoning_tokens >= 0);

-- One row per attempt about to be dispatched, written (durably) before the request leaves, deleted by the
-- flush that writes the attempt's ledger row (same id). An intent whose holder died is settled by the reaper
-- as a `reaped` ledger row with the estimate below (usage_source 'estimated'), so a kill -9 mid-call still
-- leaves its row. reservation_id is the call's own reservation or the budget lease it drew from.
CREATE TABLE llm_call_intents (
  id               uuid PRIMARY KEY,
  request_group    uuid NOT NULL,
  attempt          smallint NOT NULL CHECK (attempt >= 1),
  created_at       timestamptz NOT NULL,
  expires_at       timestamptz NOT NULL,
  holder           text NOT NULL,
  provider         text NOT NULL,
  model            text NOT NULL,
  task             text NOT NULL CHECK (task IN ('embedding', 'extraction', 'generation', 'vision')),
  input_tokens     integer NOT NULL CHECK (input_tokens >= 0),
  output_tokens    integer NOT NULL CHECK (output_tokens >= 0),
  images           integer NOT NULL CHECK (images >= 0),
  cost_usd         numeric(24, 12) NOT NULL CHECK (cost_usd >= 0),
  price_version    text,
  reservation_id   uuid,
  reservation_kind text CHECK (reservation_kind IN ('call', 'lease')),
  document_id      text,
  stage            text,
  user_id          text,
  query_hash       text
);

CREATE INDEX llm_call_intents_expires_at_idx ON llm_call_intents (expires_at);
CREATE INDEX llm_call_intents_reservation_id_idx ON llm_call_intents (reservation_id)
  WHERE reservation_id IS NOT NULL;

-- Down Migration

DROP TABLE llm_call_intents;
ALTER TABLE llm_ledger DROP COLUMN reasoning_tokens;
