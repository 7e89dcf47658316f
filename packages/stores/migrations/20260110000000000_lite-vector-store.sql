-- Up Migration

-- The Postgres "lite" VectorStore (packages/stores/src/vector/postgres-vector-store.ts): exact cosine search
-- without Qdrant. One row per collection fixes its vector size, like a Qdrant collection's config.
CREATE TABLE vector_collections (
  name       text PRIMARY KEY,
  dimensions integer NOT NULL CHECK (dimensions > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Vectors are stored L2-normalised, so cosine similarity is a plain dot product at query time.
-- document_id / version / chunk_index are copied out of the payload for filtering and deletes; the jsonb
-- keeps the rest of the ChunkPayload (source, text, pages, heading path, embedding model).
CREATE TABLE vector_points (
  collection  text NOT NULL REFERENCES vector_collections (name) ON DELETE CASCADE,
  id          uuid NOT NULL,
  document_id text NOT NULL,
  version     integer NOT NULL,
  chunk_index integer NOT NULL,
  vector      real[] NOT NULL,
  payload     jsonb NOT NULL,
  PRIMARY KEY (collection, id)
);

CREATE INDEX vector_points_document_version_idx ON vector_points (collection, document_id, version);

-- Down Migration
DROP TABLE vector_points;
DROP TABLE vector_collections;
