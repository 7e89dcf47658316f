-- Up Migration

-- People name documents by an id prefix (`aegis status 3f2a`) or by file name (`aegis status report.pdf`):
-- both lookups use an index instead of scanning the registry.
CREATE INDEX IF NOT EXISTS documents_id_prefix_idx ON documents (id text_pattern_ops);
CREATE INDEX IF NOT EXISTS documents_display_name_idx ON documents (lower(display_name));

-- Down Migration

DROP INDEX IF EXISTS documents_display_name_idx;
DROP INDEX IF EXISTS documents_id_prefix_idx;
