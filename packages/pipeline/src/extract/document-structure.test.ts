import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCanonicalDocument } from '../chunk/canonical-text.ts';
import type { ChunkInputPage } from '../chunk/chunk.ts';
import { chunkDocument } from '../chunk/chunk-document.ts';
import { isWordBoundary } from '../chunk/word-boundaries.ts';
import { closeDefaultSandbox } from '../sandbox/default-sandbox.ts';
import { type BookTruth, buildBookPdf } from '../test-support/book-pdf.ts';
import { structureDocument } from './document-structure.ts';
import { extractDocument } from './extract-document.ts';
import type { ExtractedDocument, ExtractedPage } from './extracted-document.ts';
import { canonicalTitle } from './heading-match.ts';

afterAll(() => closeDefaultSandbox());

const toChunkInput = (pages: readonly ExtractedPage[]): ChunkInputPage[] =>
  pages.map((page) => ({ pageNumber: page.pageNumber, paragraphs: page.paragraphs, figures: [] }));

const words = new Intl.Segmenter('en', { granularity: 'word' });

/** Every rule of the structure pass, checked against what the book builder says it printed. */
function checkBook(doc: ExtractedDocument, truth: BookTruth): void {
  expect(doc.pages).toHaveLength(truth.pageCount);
  const canonical = buildCanonicalDocument(toChunkInput(doc.pages)).text;
  const chunks = chunkDocument(toChunkInput(doc.pages), {
    targetTokens: 256,
    overlapTokens: 32,
    maxTokens: 512,
  });

  // Furniture: never in a chunk, always kept on its page as metadata.
  for (const [pageNumber, lines] of truth.furniture) {
    const page = doc.pages[pageNumber - 1] as ExtractedPage;
    const kept = page.paragraphs
      .filter((p) => p.role === 'furniture')
      .map((p) => p.text)
      .join(' ');
    for (const line of lines) expect(kept).toContain(line);
  }
  expect(canonical).not.toContain(truth.footerUrl);
  expect(canonical).not.toMatch(/\d+ FREE CULTURE|CHAPTER \w+: [A-Z ]+ \d+/);
  for (const chunk of chunks) expect(chunk.text).not.toContain('free-culture.cc');

  // Headings: every printed heading at its level (chapters from the outline despite "ONE" vs "1").
  const found = doc.pages.flatMap((p) =>
    p.paragraphs
      .filter((q) => q.headingLevel !== undefined)
      .map((q) => ({ text: q.text, level: q.headingLevel, page: p.pageNumber })),
  );
  for (const heading of truth.headings) {
    expect(found).toContainEqual({ text: heading.text, level: heading.level, page: heading.pageNumber });
  }
  expect(found).toHaveLength(truth.headings.length);

  // Hyphenated words are whole again, over line and page breaks; no fragment with its hyphen is left.
  for (const { word } of truth.hyphenated) expect(canonical).toMatch(new RegExp(`\\b${word}\\b`));
  expect(canonical).not.toMatch(/\p{Ll}- \p{Ll}|\p{Ll}-\n\n/u);

  // The body text is all there, in order.
  const body = canonical.replace(/^CHAPTER .*$|^\d+\.\d+ .*$/gm, '').match(/[\p{L}]+/gu) ?? [];
  const expected = truth.bodyWords.join(' ').match(/[\p{L}]+/gu) ?? [];
  expect(body).toEqual(expected);

  // Chunks: true heading paths, never starting or ending inside a word.
  for (const chunk of chunks) {
    expect(isWordBoundary(canonical, chunk.charStart, words)).toBe(true);
    expect(isWordBoundary(canonical, chunk.charEnd, words)).toBe(true);
    const chapter = chunk.headingPath[0];
    expect(chapter).toMatch(/^CHAPTER [A-Z]+: /);
    const chapterNumber =
      truth.headings.filter((h) => h.level === 1).findIndex((h) => h.text === chapter) + 1;
    expect(chapterNumber).toBeGreaterThan(0);
    const section = chunk.headingPath[1];
    if (section !== undefined) expect(section).toMatch(new RegExp(`^${chapterNumber}\\.\\d+ `));
    expect(chunk.headingPath.length).toBeLessThanOrEqual(2);
  }
}

describe('document structure on generated books', () => {
  it('finds furniture, outline headings, hyphenated words and the whole body text of a 40-page book', async () => {
    const { data, truth } = await buildBookPdf({ minPages: 40, chapters: 5, seed: 7 });
    expect(truth.hyphenated.some((h) => h.acrossPages)).toBe(true);
    checkBook(await extractDocument({ data }, { images: false }), truth);
  });

  it('holds for books of any shape, and page ranges structured afterwards give the same pages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          chapters: fc.integer({ min: 1, max: 6 }),
          sectionsPerChapter: fc.integer({ min: 1, max: 4 }),
          minPages: fc.integer({ min: 3, max: 18 }),
          rangeSize: fc.integer({ min: 1, max: 7 }),
        }),
        async ({ rangeSize, ...options }) => {
          const { data, truth } = await buildBookPdf(options);
          const whole = await extractDocument({ data }, { images: false });
          checkBook(whole, truth);
          // As the extract stage does it: ranges extracted alone, then one pass over all pages.
          const pages: ExtractedPage[] = [];
          for (let from = 1; from <= truth.pageCount; from += rangeSize) {
            const part = await extractDocument(
              { data },
              { images: false, pageRange: { from, to: Math.min(truth.pageCount, from + rangeSize - 1) } },
            );
            pages.push(...part.pages);
          }
          structureDocument(pages, whole.outline);
          expect(pages).toEqual(whole.pages);
          // Idempotent: a retry that runs the pass again on stored pages changes nothing.
          const again = structuredClone(pages);
          structureDocument(again, whole.outline);
          expect(again).toEqual(pages);
        },
      ),
      { numRuns: 6 },
    );
  }, 180_000);
});

describe('outline titles match page text robustly', () => {
  it.each([
    ['Chapter 1: Creators', 'CHAPTER ONE: CREATORS'],
    ['Part II', 'PART 2'],
    ['1 Introduction', '1. INTRODUCTION'],
    ['Chapter Twenty-One — Eldred', 'chapter 21: eldred'],
    ['Appendix A: Proofs', 'APPENDIX A PROOFS'],
    ['Ｆｕｌｌ－ｗｉｄｔｈ ﬁles', 'full-width files'],
  ])('%s ~ %s', (outline, page) => {
    expect(canonicalTitle(outline)).toBe(canonicalTitle(page));
  });
});
