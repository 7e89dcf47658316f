import type { ExtractedDocument } from './extracted-document.ts';

// C0 controls other than tab, newline and carriage return, and DEL. Postgres text and jsonb refuse U+0000,
// and broken font encodings map the space glyph to controls (TAMReview.pdf uses U+0002 between words), so they
// become spaces, never nothing: deleting them would glue words together.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point of this pattern.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const SPACE_RUNS = / {2,}/g;

/** Text safe to store and show: controls become spaces (runs collapsed), lone surrogates become U+FFFD. */
export function cleanText(text: string): string {
  if (!CONTROL.test(text)) return text.toWellFormed();
  CONTROL.lastIndex = 0;
  return text.replace(CONTROL, ' ').replace(SPACE_RUNS, ' ').trim().toWellFormed();
}

/** A paragraph whose characters are more than this share control codes is undecodable, not text. */
const UNDECODABLE_SHARE = 0.3;

function controlShare(text: string): number {
  const controls = text.match(CONTROL)?.length ?? 0;
  return text.length === 0 ? 0 : controls / text.length;
}

/**
 * Applies {@link cleanText} to every string the extractor returns. Paragraphs that are mostly control codes come
 * from fonts without a text mapping (pdf.js and unpdf read the same codes): they are left out, with a warning,
 * rather than stored as noise that would pollute chunks, embeddings and the graph.
 */
export function cleanExtractedDocument(doc: ExtractedDocument): ExtractedDocument {
  const undecodablePages = new Set<number>();
  const pages = doc.pages.map((page) => ({
    ...page,
    paragraphs: page.paragraphs.flatMap((paragraph) => {
      if (controlShare(paragraph.text) > UNDECODABLE_SHARE) {
        undecodablePages.add(page.pageNumber);
        return [];
      }
      const text = cleanText(paragraph.text);
      return text.trim().length > 0 ? [{ ...paragraph, text }] : [];
    }),
  }));
  const warnings = doc.warnings.map(cleanText);
  if (undecodablePages.size > 0) {
    const list = [...undecodablePages].sort((a, b) => a - b).join(', ');
    warnings.push(
      `text on page(s) ${list} uses fonts without a text mapping (it decodes to control codes) and was left out; OCR would be needed`,
    );
  }
  return {
    ...doc,
    title: doc.title === undefined ? undefined : cleanText(doc.title),
    outline: doc.outline.map((entry) => ({ ...entry, title: cleanText(entry.title) })),
    warnings,
    pages,
  };
}
