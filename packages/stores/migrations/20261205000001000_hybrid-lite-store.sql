-- Up Migration

-- Hybrid search, filters and scale for the lite vector store (issue 10, ADR 013).
-- Filterable fields become columns; the text gets a tsvector (GIN) for keyword search in the language of
-- `text_config`; vectors move out of real[] (8 bytes a component on the wire as array_send, read as hex):
-- into a pgvector `embedding` column with per-collection HNSW indexes when the extension exists, else into
-- `vector_f32`, big-endian float32 bytes (float4send order), which the exact scan reads as base64.
ALTER TABLE vector_points
  ADD COLUMN knowledge_base text NOT NULL DEFAULT 'default',
  ADD COLUMN kind           text NOT NULL DEFAULT '',
  ADD COLUMN created_at     timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN page_start     integer NOT NULL DEFAULT 0,
  ADD COLUMN page_end       integer NOT NULL DEFAULT 0,
  ADD COLUMN metadata       jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  ADD COLUMN text_config    regconfig NOT NULL DEFAULT 'english',
  ADD COLUMN vector_f32     bytea;

UPDATE vector_points p
   SET page_start = coalesce((p.payload->>'pageStart')::integer, 0),
       page_end = coalesce((p.payload->>'pageEnd')::integer, 0),
       payload = p.payload - 'pageStart' - 'pageEnd';
UPDATE vector_points p SET kind = v.kind, created_at = v.created_at
  FROM document_versions v WHERE v.document_id = p.document_id AND v.version = p.version;

ALTER TABLE vector_points ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector(text_config, coalesce(payload->>'text', '')), 'A') ||
  setweight(to_tsvector(text_config, coalesce(payload->'headingPath', '[]'::jsonb)), 'B') ||
  setweight(to_tsvector(text_config, coalesce(payload->>'source', '')), 'C')
) STORED;
CREATE INDEX vector_points_tsv_idx ON vector_points USING gin (tsv);
CREATE INDEX vector_points_metadata_idx ON vector_points USING gin (metadata jsonb_path_ops);
CREATE INDEX vector_points_knowledge_base_idx ON vector_points (collection, knowledge_base);

DO $$
DECLARE
  ext_schema text;
  reason text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    reason := 'the vector extension (pgvector) is not installed on this Postgres server';
  ELSE
    BEGIN
      -- Schemas of one database migrate in parallel (tests, tenants): one creates the extension at a time.
      PERFORM pg_advisory_xact_lock(hashtextextended('aegis:create-extension:vector', 0));
      -- One schema for the whole database, never a test or tenant schema that may be dropped.
      CREATE EXTENSION IF NOT EXISTS vector SCHEMA public;
    EXCEPTION WHEN insufficient_privilege OR invalid_schema_name OR feature_not_supported THEN
      reason := 'CREATE EXTENSION vector failed: ' || SQLERRM;
    END;
  END IF;
  IF reason IS NULL THEN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector';
    EXECUTE format('ALTER TABLE vector_points ADD COLUMN embedding %I.vector', ext_schema);
    EXECUTE format('UPDATE vector_points SET embedding = vector::%I.vector', ext_schema);
    RAISE NOTICE 'pgvector enabled (extension in schema %): vectors use HNSW indexes', ext_schema;
  ELSE
    UPDATE vector_points p SET vector_f32 = (
      SELECT string_agg(float4send(x), ''::bytea ORDER BY i) FROM unnest(p.vector) WITH ORDINALITY AS t(x, i));
    RAISE NOTICE 'pgvector skipped: %; the lite store scans vectors exactly (see docs/operations.md)', reason;
  END IF;
END $$;

ALTER TABLE vector_points DROP COLUMN vector;

-- Down Migration
ALTER TABLE vector_points ADD COLUMN vector real[];
ALTER TABLE vector_points DROP COLUMN IF EXISTS embedding;
DROP INDEX vector_points_knowledge_base_idx;
DROP INDEX vector_points_metadata_idx;
DROP INDEX vector_points_tsv_idx;
ALTER TABLE vector_points DROP COLUMN tsv, DROP COLUMN vector_f32, DROP COLUMN text_config, DROP COLUMN metadata,
  DROP COLUMN page_end, DROP COLUMN page_start, DROP COLUMN created_at, DROP COLUMN kind, DROP COLUMN knowledge_base;
