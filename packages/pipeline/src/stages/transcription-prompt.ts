/**
 * The instruction for a page rendered because it has no usable text layer (`OCR_ENGINE=vision`): the vision
 * model reads the page as OCR would, instead of describing it as a figure. Its version is recorded on the image
 * (and in the ledger's query hash) like the figure prompt's.
 */
export const PAGE_TRANSCRIPTION_PROMPT =
  'Transcribe all text on this scanned document page exactly as written, in reading order (columns left to right, ' +
  'top to bottom). Keep the original language, spelling, numbers and punctuation; do not translate, summarise, ' +
  'correct or add anything. Put a blank line between paragraphs, write each table row on its own line with cells ' +
  'separated by " | ", and skip page numbers and running headers or footers. If the page has no text, answer ' +
  'with nothing.';
export const PAGE_TRANSCRIPTION_PROMPT_VERSION = 'transcribe-v1';
