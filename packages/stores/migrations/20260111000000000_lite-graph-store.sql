-- Up Migration

-- The Postgres "lite" GraphStore (packages/stores/src/graph/postgres-graph-store.ts). Tables are prefixed
-- graph_ because `documents` / `document_chunks` already hold the pipeline's own state; these mirror the
-- Neo4j model (Document, Chunk, Entity nodes; HAS_ENTITY and RELATED edges) instead.

-- One row per document version present in the graph; the Neo4j Document node is per document id and
-- keeps the same information as its `versions` list.
CREATE TABLE graph_documents (
  document_id text NOT NULL,
  version     integer NOT NULL,
  source      text NOT NULL,
  PRIMARY KEY (document_id, version)
);

-- NEXT_CHUNK is implied by chunk_index order within (document_id, version), hence the unique index.
CREATE TABLE graph_chunks (
  id          uuid PRIMARY KEY,
  document_id text NOT NULL,
  version     integer NOT NULL,
  chunk_index integer NOT NULL CHECK (chunk_index >= 0),
  page_start  integer NOT NULL,
  page_end    integer NOT NULL,
  preview     text NOT NULL,
  FOREIGN KEY (document_id, version) REFERENCES graph_documents (document_id, version) ON DELETE CASCADE,
  UNIQUE (document_id, version, chunk_index)
);

-- Entities are shared by every document that mentions them; description holds the distinct descriptions
-- seen so far, joined with ' | ' (graph_merge_description).
CREATE TABLE graph_entities (
  key         text PRIMARY KEY,
  name        text NOT NULL,
  type        text NOT NULL,
  description text NOT NULL DEFAULT ''
);

-- (Chunk)-[:HAS_ENTITY]->(Entity). Deleting a chunk removes its mentions; entities left without any
-- mention are then deleted by the store (no orphans).
CREATE TABLE graph_mentions (
  chunk_id    uuid NOT NULL REFERENCES graph_chunks (id) ON DELETE CASCADE,
  entity_key  text NOT NULL REFERENCES graph_entities (key),
  document_id text NOT NULL,
  version     integer NOT NULL,
  PRIMARY KEY (chunk_id, entity_key)
);

CREATE INDEX graph_mentions_entity_key_idx ON graph_mentions (entity_key);
CREATE INDEX graph_mentions_document_version_idx ON graph_mentions (document_id, version);

-- (Entity)-[:RELATED {type, description, documentId, version, chunkId}]->(Entity); one edge per
-- (source, target, type, chunk), the same identity the Neo4j adapter MERGEs on.
CREATE TABLE graph_relations (
  source_key  text NOT NULL REFERENCES graph_entities (key),
  target_key  text NOT NULL REFERENCES graph_entities (key),
  type        text NOT NULL,
  description text NOT NULL DEFAULT '',
  chunk_id    uuid NOT NULL REFERENCES graph_chunks (id) ON DELETE CASCADE,
  document_id text NOT NULL,
  version     integer NOT NULL,
  PRIMARY KEY (source_key, target_key, type, chunk_id)
);

CREATE INDEX graph_relations_document_version_idx ON graph_relations (document_id, version);
CREATE INDEX graph_relations_target_key_idx ON graph_relations (target_key);
CREATE INDEX graph_relations_chunk_id_idx ON graph_relations (chunk_id);

-- Merges ' | '-joined description lists: distinct non-empty parts, first occurrence first, added in order
-- while the joined text stays within max_length (a part that does not fit is skipped; a first part longer
-- than max_length is cut). Lives in SQL so the merge happens inside ON CONFLICT DO UPDATE, under the row
-- lock, and concurrent writers cannot lose each other's descriptions. The Neo4j adapter's Cypher and
-- mergeDescriptions() in graph/merge-descriptions.ts implement the same rule.
CREATE FUNCTION graph_merge_description(existing text, incoming text, max_length integer)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
  part text;
  seen text[] := ARRAY[]::text[];
  result text := '';
BEGIN
  FOREACH part IN ARRAY string_to_array(coalesce(existing, ''), ' | ') || string_to_array(coalesce(incoming, ''), ' | ')
  LOOP
    part := btrim(part, E' \t\n\r\f');
    CONTINUE WHEN part = '' OR part = ANY (seen);
    seen := seen || part;
    IF result = '' THEN
      result := left(part, max_length);
    ELSIF length(result) + 3 + length(part) <= max_length THEN
      result := result || ' | ' || part;
    END IF;
  END LOOP;
  RETURN result;
END;
$$;

-- Down Migration
DROP FUNCTION graph_merge_description(text, text, integer);
DROP TABLE graph_relations;
DROP TABLE graph_mentions;
DROP TABLE graph_entities;
DROP TABLE graph_chunks;
DROP TABLE graph_documents;
