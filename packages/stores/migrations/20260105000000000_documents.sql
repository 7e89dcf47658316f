-- Up Migration

-- The document registry (ADR 004). Postgres is the truth for every document's state; Redis only carries work.
CREATE TABLE documents (
  id             text PRIMARY KEY,
  -- The real path of a watched/server file, or `upload:<sha256>` for anonymous uploads.
  source_key     text NOT NULL UNIQUE,
  -- What a person would call it: the file name.
  display_name   text NOT NULL,
  latest_version integer NOT NULL DEFAULT 0,
  -- The version search serves: the newest completed one (NULL until one completes).
  active_version integer,
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE document_versions (
  document_id   text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  version       integer NOT NULL CHECK (version >= 1),
  sha256        char(64) NOT NULL,
  byte_size     bigint NOT NULL CHECK (byte_size >= 0),
  kind          text NOT NULL CHECK (kind IN ('pdf', 'text', 'markdown', 'html', 'docx', 'image')),
  mime_type     text NOT NULL,
  blob_path     text NOT NULL,
  page_count    integer,
  status        text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'processing', 'completed', 'failed', 'cancelling', 'cancelled', 'superseded')),
  error_code    text,
  error_message text,
  warnings      jsonb NOT NULL DEFAULT '[]',
  -- The memory check's plan: estimates and page ranges.
  plan          jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  started_at    timestamptz,
  completed_at  timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, version)
);
CREATE INDEX document_versions_sha256_idx ON document_versions (sha256);
CREATE INDEX document_versions_pending_idx ON document_versions (status) WHERE status IN ('queued', 'processing', 'cancelling');

CREATE TABLE stage_runs (
  document_id   text NOT NULL,
  version       integer NOT NULL,
  stage         text NOT NULL CHECK (stage IN ('memory-check', 'extract', 'enrich-images', 'chunk', 'embed', 'graph')),
  status        text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'queued', 'running', 'waiting', 'completed', 'failed', 'cancelled')),
  run           integer NOT NULL DEFAULT 1 CHECK (run >= 1),
  attempts      integer NOT NULL DEFAULT 0,
  items_done    integer NOT NULL DEFAULT 0,
  items_total   integer,
  queued_at     timestamptz,
  started_at    timestamptz,
  finished_at   timestamptz,
  duration_ms   integer,
  error_code    text,
  error_message text,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, version, stage),
  FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version) ON DELETE CASCADE
);

CREATE TABLE document_pages (
  document_id text NOT NULL,
  version     integer NOT NULL,
  page_number integer NOT NULL CHECK (page_number >= 1),
  width       real NOT NULL,
  height      real NOT NULL,
  -- [{ text, bbox, headingLevel, fontSize }] in reading order.
  paragraphs  jsonb NOT NULL,
  PRIMARY KEY (document_id, version, page_number),
  FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version) ON DELETE CASCADE
);

CREATE TABLE document_images (
  id              uuid PRIMARY KEY,
  document_id     text NOT NULL,
  version         integer NOT NULL,
  page_number     integer NOT NULL,
  image_index     integer NOT NULL,
  bbox            jsonb,
  width           integer NOT NULL,
  height          integer NOT NULL,
  mime_type       text NOT NULL,
  -- Content-addressed file in the blob directory; NULL when the image could not be decoded.
  blob_path       text,
  after_paragraph integer NOT NULL DEFAULT 0,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'described', 'skipped', 'failed')),
  skip_reason     text,
  duplicate_of    uuid,
  description     text,
  prompt_version  text,
  error_code      text,
  error_message   text,
  UNIQUE (document_id, version, page_number, image_index),
  FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version) ON DELETE CASCADE
);

CREATE TABLE document_chunks (
  document_id  text NOT NULL,
  version      integer NOT NULL,
  chunk_index  integer NOT NULL,
  -- The vector point and graph node id: UUIDv5 of (document, version, chunk index).
  point_id     uuid NOT NULL UNIQUE,
  text         text NOT NULL,
  token_count  integer NOT NULL,
  page_start   integer NOT NULL,
  page_end     integer NOT NULL,
  char_start   integer NOT NULL,
  char_end     integer NOT NULL,
  heading_path text[] NOT NULL DEFAULT '{}',
  image_ids    uuid[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (document_id, version, chunk_index),
  FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version) ON DELETE CASCADE
);

-- Embedding progress: a finished batch is skipped on retry, so it is never billed twice.
CREATE TABLE embed_batches (
  document_id  text NOT NULL,
  version      integer NOT NULL,
  batch_index  integer NOT NULL,
  first_chunk  integer NOT NULL,
  last_chunk   integer NOT NULL,
  model        text NOT NULL,
  dimensions   integer NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, version, batch_index),
  FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version) ON DELETE CASCADE
);

-- Graph extraction per chunk: the validated model output, so a retry of the graph stage re-writes the graph
-- without calling the model again; `invalid` chunks (JSON that stayed invalid) are counted and skipped.
CREATE TABLE graph_extractions (
  document_id text NOT NULL,
  version     integer NOT NULL,
  chunk_index integer NOT NULL,
  status      text NOT NULL CHECK (status IN ('extracted', 'invalid')),
  result      jsonb,
  error_code  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, version, chunk_index),
  FOREIGN KEY (document_id, version) REFERENCES document_versions (document_id, version) ON DELETE CASCADE
);

-- Down Migration
DROP TABLE graph_extractions;
DROP TABLE embed_batches;
DROP TABLE document_chunks;
DROP TABLE document_images;
DROP TABLE document_pages;
DROP TABLE stage_runs;
DROP TABLE document_versions;
DROP TABLE documents;
