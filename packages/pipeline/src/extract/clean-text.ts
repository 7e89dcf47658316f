import type { ExtractedDocument } from './extracted-document.ts';

// C0 controls other than tab, newline and carriage return, and DEL. PDFs map unknown glyphs to U+0000, which
// Postgres text and jsonb refuse, and which no reader wants in a search result.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point of this pattern.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Text safe to store and show: no control characters, no lone surrogates (replaced by U+FFFD). */
export function cleanText(text: string): string {
  return text.replace(CONTROL, '').toWellFormed();
}

/** Applies {@link cleanText} to every string the extractor returns, dropping paragraphs left empty. */
export function cleanExtractedDocument(doc: ExtractedDocument): ExtractedDocument {
  return {
    ...doc,
    title: doc.title === undefined ? undefined : cleanText(doc.title),
    outline: doc.outline.map((entry) => ({ ...entry, title: cleanText(entry.title) })),
    warnings: doc.warnings.map(cleanText),
    pages: doc.pages.map((page) => ({
      ...page,
      paragraphs: page.paragraphs
        .map((paragraph) => ({ ...paragraph, text: cleanText(paragraph.text) }))
        .filter((paragraph) => paragraph.text.trim().length > 0),
    })),
  };
}
