// Fidelity metrics of one extraction against poppler's pdftotext and, for generated documents, the ground truth.

import type { Chunk, ChunkInputPage } from '../../packages/pipeline/src/chunk/chunk.ts';
import { chunkingCanonicalDocument } from '../../packages/pipeline/src/chunk/chunk-document.ts';
import { isWordBoundary } from '../../packages/pipeline/src/chunk/word-boundaries.ts';
import type { ExtractedDocument } from '../../packages/pipeline/src/extract/extracted-document.ts';
import { titleMatchScore } from '../../packages/pipeline/src/extract/heading-match.ts';
import { furnitureKey } from '../../packages/pipeline/src/extract/page-furniture.ts';

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * Words of a text, lower-cased, in compatibility form (NFKC: the ligature "ﬁ" is "fi", "①" is "1", Arabic
 * presentation forms are letters, as a search normalises them), with line-end hyphenation joined the way our
 * extractor joins it.
 */
export function words(text: string): string[] {
  return (text
    .normalize('NFKC')
    .replace(/(\p{L})[-‐\u00AD]\s*\n\s*(\p{Ll})/gu, '$1$2')
    .toLowerCase()
    .match(WORD) ?? []) as string[];
}

/**
 * Glyph codes poppler prints for a font with no text mapping (TAMReview.pdf's Cambria: "ȋͳͻͺͷȌǡ" for
 * "(1985),", glued to the mapped words beside them: "quarterlyǡ"): Latin Extended-B, IPA, spacing modifiers,
 * combining marks and the archaic Greek letters and numeral signs (U+0180–U+0385, U+03CF–U+03FF). pdf.js gives
 * the same glyphs as control codes (junk, read by OCR). The corpus has no text in those blocks (Pinyin tone
 * letters would be the one real use), so they separate words in the reference instead of being words.
 */
const GLYPH_SOUP = /[\u0180-\u0385\u03CF-\u03FF]+/gu;

/** Reference words of pdftotext's output: {@link words} with glyph soup removed. */
export function referenceWords(text: string): string[] {
  return words(text.replace(GLYPH_SOUP, ' '));
}

function counts(items: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const item of items) map.set(item, (map.get(item) ?? 0) + 1);
  return map;
}

/** Share of the reference's items (with multiplicity) found among ours. */
export function recall(reference: readonly string[], ours: readonly string[]): number {
  if (reference.length === 0) return 1;
  const have = counts(ours);
  let found = 0;
  for (const [item, n] of counts(reference)) found += Math.min(n, have.get(item) ?? 0);
  return found / reference.length;
}

const bigrams = (list: readonly string[]): string[] => list.slice(1).map((w, i) => `${list[i]} ${w}`);

export const toChunkInput = (doc: ExtractedDocument): ChunkInputPage[] =>
  doc.pages.map((page) => ({ pageNumber: page.pageNumber, paragraphs: page.paragraphs, figures: [] }));

/**
 * Lines poppler prints in the top or bottom three lines of a page that repeat (page numbers removed) on at least
 * three pages, or a third of them: the reference's idea of page furniture, found without our detector.
 */
export function referenceFurniture(pdftotext: string): string[] {
  const pages = pdftotext.split('\f').filter((p) => p.trim() !== '');
  const byKey = new Map<string, { pages: Set<number>; lines: Set<string> }>();
  pages.forEach((page, i) => {
    const lines = page
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    for (const line of [...lines.slice(0, 3), ...lines.slice(-3)]) {
      const key = furnitureKey(line);
      if (key.length < 4) continue;
      const entry = byKey.get(key) ?? { pages: new Set(), lines: new Set() };
      entry.pages.add(i);
      entry.lines.add(line);
      byKey.set(key, entry);
    }
  });
  const threshold = Math.max(3, pages.length / 3);
  return [...byKey.values()].filter((e) => e.pages.size >= threshold).flatMap((e) => [...e.lines]);
}

export interface Fidelity {
  pages: number;
  /** pdftotext's words found anywhere in our page text (furniture included: it is extracted, just not indexed). */
  wordRecall: number | undefined;
  /** pdftotext's words found in our indexed text (what chunks hold). */
  indexedWordRecall: number | undefined;
  /** Share of pdftotext's word bigrams found in our text in reading order. */
  readingOrder: number | undefined;
  /** Reference furniture lines (see {@link referenceFurniture}, or the generator's truth) found in chunks. */
  furnitureLeaks: number;
  furnitureBlocks: number;
  /** Chunks whose start or end falls inside a word. */
  midWordChunkEdges: number;
  chunks: number;
  outlineEntries: number;
  /** Outline entries found printed on their page and marked as a heading at the outline's level. */
  outlineFound: number;
  /** Outline entries not printed, kept as headings before their destination. */
  outlineInserted: number;
  headings: number;
  junkBlocks: number;
  /** Control codes, U+FFFD and private-use code points inside chunks, plus chunks our gate would call junk. */
  junkCharsIndexed: number;
  tables: number;
  formFields: number;
}

export function measure(
  doc: ExtractedDocument,
  chunks: readonly Chunk[],
  pdftotext: string | undefined,
  truthFurniture?: readonly string[],
): Fidelity {
  const all = doc.pages.flatMap((p) => p.paragraphs);
  const canonical = chunkingCanonicalDocument(toChunkInput(doc)).text;
  const ours = words(doc.pages.map((p) => p.paragraphs.map((q) => q.text).join('\n')).join('\n'));
  const reference = pdftotext === undefined ? undefined : referenceWords(pdftotext);
  const furniture = truthFurniture ?? (pdftotext === undefined ? [] : referenceFurniture(pdftotext));
  const segmenter = new Intl.Segmenter('en', { granularity: 'word' });
  let midWord = 0;
  for (const chunk of chunks) {
    if (!isWordBoundary(canonical, chunk.charStart, segmenter)) midWord++;
    if (!isWordBoundary(canonical, chunk.charEnd, segmenter)) midWord++;
  }
  let leaks = 0;
  for (const line of furniture) for (const chunk of chunks) if (chunk.text.includes(line)) leaks++;
  let outlineFound = 0;
  let outlineEntries = 0;
  for (const entry of doc.outline) {
    if (entry.pageNumber === undefined) continue;
    outlineEntries++;
    const page = doc.pages.find((p) => p.pageNumber === entry.pageNumber);
    const near = [page, doc.pages.find((p) => p.pageNumber === (entry.pageNumber ?? 0) + 1)];
    const found = near.some((p) =>
      p?.paragraphs.some((q, i) => {
        if (q.headingLevel !== entry.level) return false;
        const joined = [
          q,
          ...p.paragraphs
            .slice(i + 1)
            .filter((r) => r.joinPrevious === 'space')
            .slice(0, 2),
        ];
        return titleMatchScore(entry.title, joined.map((r) => r.text).join(' ')) >= 0.7;
      }),
    );
    if (found) outlineFound++;
  }
  const inserted = all.reduce(
    (n, p) => n + (p.outlineHeadings?.length ?? 0) + (p.source === 'outline' ? 1 : 0),
    0,
  );
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting what must never be indexed.
  const bad = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFD\uE000-\uF8FF]/gu;
  const junkChars = chunks.reduce((n, c) => n + (c.text.match(bad)?.length ?? 0), 0);
  return {
    pages: doc.pages.length,
    wordRecall: reference === undefined ? undefined : recall(reference, ours),
    indexedWordRecall: reference === undefined ? undefined : recall(reference, words(canonical)),
    readingOrder: reference === undefined ? undefined : recall(bigrams(reference), bigrams(ours)),
    furnitureLeaks: leaks,
    furnitureBlocks: all.filter((p) => p.role === 'furniture').length,
    midWordChunkEdges: midWord,
    chunks: chunks.length,
    outlineEntries,
    outlineFound,
    outlineInserted: inserted,
    headings: all.filter((p) => p.headingLevel !== undefined).length,
    junkBlocks: all.filter((p) => p.role === 'junk').length,
    junkCharsIndexed: junkChars,
    tables: all.filter((p) => p.role === 'table').length,
    formFields: all.filter((p) => p.source === 'form').length,
  };
}
