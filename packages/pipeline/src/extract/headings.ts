import type { ExtractedPage, OutlineEntry, Paragraph } from './extracted-document.ts';

/** A paragraph this much larger than the page's body font is a heading candidate. */
const HEADING_RATIO = 1.15;
/** Headings are short; a long large-font block is a pull quote or a title page, not a heading. */
const MAX_HEADING_CHARS = 200;

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Font size carrying most characters on the page, in points (half-point buckets). */
export function bodyFontSize(paragraphs: readonly Paragraph[]): number | undefined {
  const weight = new Map<number, number>();
  for (const p of paragraphs) {
    if (p.fontSize === undefined) continue;
    const size = Math.round(p.fontSize * 2) / 2;
    weight.set(size, (weight.get(size) ?? 0) + p.text.length);
  }
  let best: number | undefined;
  let bestWeight = -1;
  for (const [size, w] of weight) {
    if (w > bestWeight) {
      best = size;
      bestWeight = w;
    }
  }
  return best;
}

/**
 * Marks headings in place. Outline entries win: a paragraph on the entry's page whose text matches the entry's
 * title gets the outline level. Otherwise short paragraphs clearly larger than their page's body font are
 * headings, levelled by size rank across all given pages (largest = 1), so levels agree between pages.
 */
export function assignHeadings(pages: readonly ExtractedPage[], outline: readonly OutlineEntry[]): void {
  const candidates: Paragraph[] = [];
  for (const page of pages) {
    const body = bodyFontSize(page.paragraphs);
    if (body === undefined) continue;
    for (const p of page.paragraphs) {
      if (
        p.fontSize !== undefined &&
        p.fontSize >= body * HEADING_RATIO &&
        p.text.length <= MAX_HEADING_CHARS
      ) {
        candidates.push(p);
      }
    }
  }
  const sizes = [...new Set(candidates.map((p) => Math.round((p.fontSize ?? 0) * 2) / 2))].sort(
    (a, b) => b - a,
  );
  for (const p of candidates) {
    const rank = sizes.indexOf(Math.round((p.fontSize ?? 0) * 2) / 2);
    p.headingLevel = Math.min(6, rank + 1);
  }
  for (const entry of outline) {
    const page = pages.find((pg) => pg.pageNumber === entry.pageNumber);
    const title = normalise(entry.title);
    if (page === undefined || title === '') continue;
    const match = page.paragraphs.find((p) => {
      const text = normalise(p.text);
      return (
        text === title ||
        (text.length <= MAX_HEADING_CHARS &&
          (text.startsWith(title) || title.startsWith(text)) &&
          text.length > 2)
      );
    });
    if (match !== undefined) match.headingLevel = entry.level;
  }
}
