import type { ExtractedDocument } from './extracted-document.ts';
import { isJunk } from './text-quality.ts';

// C0 controls other than tab, newline and carriage return, and DEL. Postgres text and jsonb refuse U+0000,
// and broken font encodings map the space glyph to controls (TAMReview.pdf uses U+0002 between words), so they
// become spaces, never nothing: deleting them would glue words together.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point of this pattern.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const SPACE_RUNS = / {2,}/g;
const PRIVATE_USE = /[\uE000-\uF8FF]/g;

/** Text safe to store and show: controls become spaces (runs collapsed), lone surrogates become U+FFFD. */
export function cleanText(text: string): string {
  if (!CONTROL.test(text)) return text.toWellFormed();
  CONTROL.lastIndex = 0;
  return text.replace(CONTROL, ' ').replace(SPACE_RUNS, ' ').trim().toWellFormed();
}

/** A paragraph whose characters are more than this share control codes is undecodable, not text. */
const UNDECODABLE_SHARE = 0.3;

function letterShare(text: string): number {
  const visible = text.replace(/\s+/g, '');
  return visible.length === 0 ? 0 : (visible.match(/\p{L}/gu)?.length ?? 0) / visible.length;
}

function controlShare(text: string): number {
  const controls = text.match(CONTROL)?.length ?? 0;
  return text.length === 0 ? 0 : controls / text.length;
}

/**
 * Applies {@link cleanText} to every string the extractor returns, and runs the text-quality gate on PDF text:
 * blocks that are mostly control codes, or that score as junk (see `isJunk`), come from fonts without a usable
 * text mapping. They are kept on their page with `role: 'junk'` (reported, never indexed) and the pages are
 * named in a warning, rather than stored as noise that would pollute chunks, embeddings and the graph.
 */
export function cleanExtractedDocument(doc: ExtractedDocument): ExtractedDocument {
  const junkPages = new Map<number, number>();
  const gate = doc.kind === 'pdf';
  const pages = doc.pages.map((page) => ({
    ...page,
    paragraphs: page.paragraphs.flatMap((paragraph) => {
      const undecodable = controlShare(paragraph.text) > UNDECODABLE_SHARE;
      // Private-use code points (symbol fonts' glyphs) mean nothing to a reader or a search: not kept in PDF text.
      const text = cleanText(gate ? paragraph.text.replace(PRIVATE_USE, '') : paragraph.text);
      if (text.trim().length === 0) return [];
      // Controls standing for spaces leave readable words ("Stimulus organism response"): judged on what remains.
      // A table is judged on its cells, not on its Markdown pipes.
      const judged = paragraph.table === undefined ? text : paragraph.table.rows.flat().join(' ');
      const junk =
        (undecodable && letterShare(judged) < 0.5) || (gate && paragraph.source !== 'form' && isJunk(judged));
      if (junk) junkPages.set(page.pageNumber, (junkPages.get(page.pageNumber) ?? 0) + 1);
      return [{ ...paragraph, text, ...(junk ? { role: 'junk' as const, headingLevel: undefined } : {}) }];
    }),
  }));
  const warnings = doc.warnings.map(cleanText);
  if (junkPages.size > 0) {
    const list = [...junkPages]
      .sort((a, b) => a[0] - b[0])
      .map(([page, runs]) => `${page} (${runs})`)
      .join(', ');
    warnings.push(
      `text on page(s) ${list} uses fonts without a text mapping (it decodes to control codes or symbol soup) and was left out of the index; those pages need OCR`,
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
