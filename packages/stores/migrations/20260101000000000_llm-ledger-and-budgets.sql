-- Up Migration

-- One row per upstream LLM attempt (DESIGN.md "Ledger row per attempt"). Money is NUMERIC(24,12) USD:
-- exact to the pico-dollar, the same scale the router computes in (llm-router/src/money.ts).
CREATE TABLE llm_ledger (
  id                  uuid PRIMARY KEY,
  request_group       uuid NOT NULL,
  attempt             smallint NOT NULL CHECK (attempt >= 1),
  created_at          timestamptz NOT NULL,
  provider            text NOT NULL,
  model               text NOT NULL,
  task                text NOT NULL CHECK (task IN ('embedding', 'extraction', 'generation', 'vision')),
  input_tokens        integer NOT NULL DEFAULT 0 CHECK (input_tokens >= 0),
  cached_input_tokens integer NOT NULL DEFAULT 0 CHECK (cached_input_tokens >= 0),
  output_tokens       integer NOT NULL DEFAULT 0 CHECK (output_tokens >= 0),
  images              integer NOT NULL DEFAULT 0 CHECK (images >= 0),
  usage_source        text NOT NULL CHECK (usage_source IN ('provider', 'estimated')),
  cost_usd            numeric(24, 12) NOT NULL CHECK (cost_usd >= 0),
  -- NULL for rows no price table produced (reaped reservations are charged their reserved amount).
  price_version       text,
  latency_ms          integer NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
  status              text NOT NULL CHECK (status IN ('ok', 'error', 'cancelled', 'reaped')),
  error_code          text,
  http_status         smallint,
  document_id         text,
  stage               text,
  user_id             text,
  -- sha256 hex of the request content; spots repeated prompts without storing them.
  query_hash          text
);

CREATE INDEX llm_ledger_provider_created_at_idx ON llm_ledger (provider, created_at);
CREATE INDEX llm_ledger_created_at_idx ON llm_ledger (created_at);
CREATE INDEX llm_ledger_document_id_idx ON llm_ledger (document_id) WHERE document_id IS NOT NULL;
CREATE INDEX llm_ledger_request_group_idx ON llm_ledger (request_group);
CREATE INDEX llm_ledger_cost_usd_idx ON llm_ledger (cost_usd);

-- The configured monthly limit per provider. No row = unlimited; limit_usd NULL = unlimited.
CREATE TABLE llm_budget_limits (
  provider   text PRIMARY KEY,
  limit_usd  numeric(24, 12) CHECK (limit_usd >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per provider and UTC calendar month. The limit is copied in when the row is created so that
-- a month keeps the limit it started with unless setLimits changes it explicitly.
CREATE TABLE llm_budget_months (
  provider     text NOT NULL,
  month        text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  limit_usd    numeric(24, 12) CHECK (limit_usd >= 0),
  spent_usd    numeric(24, 12) NOT NULL DEFAULT 0 CHECK (spent_usd >= 0),
  reserved_usd numeric(24, 12) NOT NULL DEFAULT 0 CHECK (reserved_usd >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, month)
);

-- Worst-case amounts held for in-flight calls. The attribution columns let the reaper write a ledger
-- row that says which request, model, task and document a crashed holder's reservation belonged to.
CREATE TABLE llm_budget_reservations (
  id            uuid PRIMARY KEY,
  provider      text NOT NULL,
  month         text NOT NULL,
  amount_usd    numeric(24, 12) NOT NULL CHECK (amount_usd > 0),
  holder        text NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  request_group uuid,
  attempt       smallint,
  model         text,
  task          text CHECK (task IN ('embedding', 'extraction', 'generation', 'vision')),
  document_id   text,
  stage         text,
  user_id       text,
  FOREIGN KEY (provider, month) REFERENCES llm_budget_months (provider, month)
);

CREATE INDEX llm_budget_reservations_expires_at_idx ON llm_budget_reservations (expires_at);

-- Down Migration

DROP TABLE llm_budget_reservations;
DROP TABLE llm_budget_months;
DROP TABLE llm_budget_limits;
DROP TABLE llm_ledger;
