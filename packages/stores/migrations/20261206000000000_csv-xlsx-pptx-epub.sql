-- Up Migration
-- New document kinds: CSV, XLSX, PPTX and EPUB (issue 9). The check is replaced, not widened in place: Postgres
-- names the column check document_versions_kind_check, and a version row of an old kind stays valid.
ALTER TABLE document_versions DROP CONSTRAINT IF EXISTS document_versions_kind_check;
ALTER TABLE document_versions ADD CONSTRAINT document_versions_kind_check
  CHECK (kind IN ('pdf', 'text', 'markdown', 'html', 'docx', 'image', 'csv', 'xlsx', 'pptx', 'epub'));

-- Down Migration
ALTER TABLE document_versions DROP CONSTRAINT IF EXISTS document_versions_kind_check;
ALTER TABLE document_versions ADD CONSTRAINT document_versions_kind_check
  CHECK (kind IN ('pdf', 'text', 'markdown', 'html', 'docx', 'image'));
