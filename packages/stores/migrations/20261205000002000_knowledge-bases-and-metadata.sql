-- Up Migration

-- Knowledge bases (issue 10, ADR 007/013): every document belongs to one; the same file or bytes in two bases
-- are two documents. Its id stays the UUIDv5 of the source key in `default` and includes the base elsewhere.
ALTER TABLE documents
  ADD COLUMN knowledge_base text NOT NULL DEFAULT 'default' REFERENCES knowledge_bases (name);
ALTER TABLE documents DROP CONSTRAINT documents_source_key_key;
ALTER TABLE documents ADD CONSTRAINT documents_knowledge_base_source_key_key UNIQUE (knowledge_base, source_key);

-- The user metadata given on ingest (a JSON object, validated for size and depth), per version; it is copied
-- onto every chunk's point payload, where search filters on it.
ALTER TABLE document_versions
  ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object');

-- A key scoped to knowledge bases sees only their documents, chunks, costs and audit rows; NULL = every base.
ALTER TABLE api_keys ADD COLUMN knowledge_bases text[] CHECK (knowledge_bases IS NULL OR cardinality(knowledge_bases) >= 1);

-- The base an audited action concerned (NULL for actions on no base, e.g. key management).
ALTER TABLE audit_log ADD COLUMN knowledge_base text;
CREATE INDEX audit_log_knowledge_base_idx ON audit_log (knowledge_base, id) WHERE knowledge_base IS NOT NULL;

-- Down Migration
DROP INDEX audit_log_knowledge_base_idx;
ALTER TABLE audit_log DROP COLUMN knowledge_base;
ALTER TABLE api_keys DROP COLUMN knowledge_bases;
ALTER TABLE document_versions DROP COLUMN metadata;
ALTER TABLE documents DROP CONSTRAINT documents_knowledge_base_source_key_key;
ALTER TABLE documents ADD CONSTRAINT documents_source_key_key UNIQUE (source_key);
ALTER TABLE documents DROP COLUMN knowledge_base;
