-- Up Migration

-- One embedding space per collection (ADR 007). A collection is named from the space it holds
-- (collectionNameFor in packages/core/src/embedding-space.ts), so vectors of two models never share one.
ALTER TABLE vector_collections
  ADD COLUMN provider      text,
  ADD COLUMN model         text,
  ADD COLUMN normalisation text CHECK (normalisation IN ('l2'));

-- A knowledge base groups documents and is bound to one embedding model: its chunks are embedded, and its
-- queries are embedded, by that model only. The binding is set by the first embedding of the base (or
-- ahead of time by an operator) and never changes by itself; `embedding_dimensions` is filled by the
-- first vectors when the model's size is not known in advance.
CREATE TABLE knowledge_bases (
  name                 text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  embedding_provider   text,
  embedding_model      text,
  embedding_dimensions integer CHECK (embedding_dimensions > 0),
  normalisation        text NOT NULL DEFAULT 'l2' CHECK (normalisation IN ('l2')),
  created_at           timestamptz NOT NULL DEFAULT now(),
  bound_at             timestamptz,
  CHECK ((embedding_provider IS NULL) = (embedding_model IS NULL)),
  CHECK (embedding_dimensions IS NULL OR embedding_model IS NOT NULL)
);
INSERT INTO knowledge_bases (name) VALUES ('default');

-- Before this migration a collection could hold the vectors of several models (a fallback wrote into the
-- same one). Move every point into the collection of its own space, computed exactly as collectionNameFor.
CREATE TEMPORARY TABLE aegis_space_moves ON COMMIT DROP AS
  SELECT DISTINCT p.collection AS old_name,
         split_part(p.payload->>'embeddingModel', ':', 1) AS provider,
         substr(p.payload->>'embeddingModel', strpos(p.payload->>'embeddingModel', ':') + 1) AS model,
         cardinality(p.vector) AS dimensions
    FROM vector_points p JOIN vector_collections c ON c.name = p.collection
   WHERE c.model IS NULL AND strpos(coalesce(p.payload->>'embeddingModel', ''), ':') > 1;
ALTER TABLE aegis_space_moves ADD COLUMN new_name text;
UPDATE aegis_space_moves SET new_name = old_name || '__' ||
  left(btrim(regexp_replace(lower(provider || '_' || model || '_' || dimensions), '[^a-z0-9]+', '_', 'g'), '_'), 120)
  || '_' || left(md5(provider || ':' || model || '@' || dimensions || '/l2'), 8);
INSERT INTO vector_collections (name, dimensions, provider, model, normalisation)
  SELECT DISTINCT new_name, dimensions, provider, model, 'l2' FROM aegis_space_moves
  ON CONFLICT (name) DO NOTHING;
UPDATE vector_points p SET collection = m.new_name
  FROM aegis_space_moves m
 WHERE p.collection = m.old_name
   AND split_part(p.payload->>'embeddingModel', ':', 1) = m.provider
   AND substr(p.payload->>'embeddingModel', strpos(p.payload->>'embeddingModel', ':') + 1) = m.model
   AND cardinality(p.vector) = m.dimensions;
DELETE FROM vector_collections c
 WHERE c.model IS NULL AND NOT EXISTS (SELECT 1 FROM vector_points p WHERE p.collection = c.name);

-- The default base keeps serving what search used before: the model that embedded most chunks of active versions.
UPDATE knowledge_bases k SET embedding_provider = s.provider, embedding_model = s.model,
       embedding_dimensions = s.dimensions, bound_at = now()
  FROM (SELECT split_part(b.model, ':', 1) AS provider, substr(b.model, strpos(b.model, ':') + 1) AS model,
               max(b.dimensions) AS dimensions
          FROM embed_batches b JOIN documents d ON d.id = b.document_id AND d.active_version = b.version
         WHERE strpos(b.model, ':') > 1
         GROUP BY b.model ORDER BY count(*) DESC, b.model LIMIT 1) s
 WHERE k.name = 'default';

-- Down Migration
DROP TABLE knowledge_bases;
ALTER TABLE vector_collections DROP COLUMN provider, DROP COLUMN model, DROP COLUMN normalisation;
