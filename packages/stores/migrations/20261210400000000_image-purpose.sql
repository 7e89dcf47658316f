-- Up Migration

-- A page rendered for OCR_ENGINE=vision is an image whose text the vision model transcribes (a transcription
-- prompt, its text placed as the page's text), not a figure to describe.
ALTER TABLE document_images ADD COLUMN IF NOT EXISTS purpose text NOT NULL DEFAULT 'figure'
  CHECK (purpose IN ('figure', 'page-text'));

-- Down Migration

ALTER TABLE document_images DROP COLUMN IF EXISTS purpose;
