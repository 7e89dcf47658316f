import { existsSync, readFileSync } from 'node:fs';
import { isAegisError } from '@aegis/core';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDefaultSandbox } from '../sandbox/default-sandbox.ts';
import { extractDocument, inspectPdfDocument } from './extract-document.ts';
import type { ExtractedDocument, ExtractedPage } from './extracted-document.ts';

// Corpus of real pdf.js test files, shared beside the repository (absent in a user's clone).
const corpus = new URL('../../../../../shared/corpus/', import.meta.url);
const exists = existsSync(new URL('real/tracemonkey.pdf', corpus));
if (!exists)
  console.warn(`PDF corpus tests skipped: ${corpus.pathname} not found (it sits beside the repository).`);

const read = (path: string): Uint8Array => new Uint8Array(readFileSync(new URL(path, corpus)));
const timings: string[] = [];

async function timed(name: string, run: () => Promise<ExtractedDocument>): Promise<ExtractedDocument> {
  const start = performance.now();
  const doc = await run();
  timings.push(`${name}: ${(performance.now() - start).toFixed(0)} ms for ${doc.pages.length} page(s)`);
  return doc;
}

const text = (pages: readonly ExtractedPage[]): string =>
  pages.flatMap((p) => p.paragraphs.map((q) => q.text)).join('\n\n');

function expectInsidePage(page: ExtractedPage): void {
  for (const image of page.images) {
    const [x0, y0, x1, y1] = image.bbox ?? [Number.NaN, 0, 0, 0];
    expect(x0).toBeGreaterThanOrEqual(0);
    expect(y0).toBeGreaterThanOrEqual(0);
    expect(x1).toBeLessThanOrEqual(page.width);
    expect(y1).toBeLessThanOrEqual(page.height);
    expect(x1 - x0).toBeGreaterThan(0);
  }
}

describe.skipIf(!exists)('PDF extraction on the real corpus', () => {
  afterAll(async () => {
    console.warn(`extraction times (the default pool's one reused thread):\n  ${timings.join('\n  ')}`);
    await closeDefaultSandbox();
  });

  it('tracemonkey.pdf: two columns in reading order, whole sentences, figures with boxes', async () => {
    const doc = await timed('tracemonkey.pdf', () => extractDocument({ data: read('real/tracemonkey.pdf') }));
    expect(doc.pageCount).toBe(14);
    expect(doc.pages).toHaveLength(14);
    const all = text(doc.pages);
    expect(all.length).toBeGreaterThan(75_000);
    expect(all.length).toBeLessThan(90_000);
    expect(doc.title).toBe('Trace-based Just-in-Time Type Specialization for Dynamic Languages');
    // A sentence broken over a column line with a hyphen ("com-" / "pile") comes out whole.
    expect(all).toContain(
      'Dynamic languages such as JavaScript are more difficult to compile than statically typed ones.',
    );
    // Page 1: the left column (abstract) is read before the right column (rest of the introduction).
    const page1 = text(doc.pages.slice(0, 1));
    expect(page1.indexOf('Abstract')).toBeGreaterThan(page1.indexOf('Languages'));
    expect(page1.indexOf('Keywords JavaScript')).toBeLessThan(
      page1.indexOf('Compilers for statically typed'),
    );
    expect(page1).not.toMatch(/com- applications/);
    // Section headings are found by font size over the whole document, sub-sections in the body font by their
    // numbers, and they nest by their numbers under the title.
    const headings = doc.pages.flatMap((p) =>
      p.paragraphs.filter((q) => q.headingLevel !== undefined).map((q) => [q.text, q.headingLevel]),
    );
    expect(headings).toEqual(
      expect.arrayContaining([
        ['Trace-based Just-in-Time Type Specialization for Dynamic Languages', 1],
        ['1. Introduction', 2],
        ['3. Trace Trees', 2],
        ['3.1 Traces', 3],
        ['6.6 Correctness', 3],
        ['10. Future Work', 2],
        ['References', 2],
      ]),
    );
    expect(headings).toHaveLength(27);
    // Figure labels drawn with fonts that have no text mapping are junk: kept on the page, never indexed.
    const junk = doc.pages.flatMap((p) => p.paragraphs.filter((q) => q.role === 'junk'));
    expect(junk.length).toBeGreaterThan(10);
    for (const q of junk) expect(q.text).toMatch(/[#$%&]/);
    const images = doc.pages.flatMap((p) => p.images);
    expect(images.length).toBeGreaterThanOrEqual(70);
    expect(images.filter((i) => i.data !== undefined).length).toBeGreaterThanOrEqual(70);
    for (const page of doc.pages) expectInsidePage(page);
    const png = images[0]?.data;
    expect(png && Buffer.from(png.subarray(1, 4)).toString()).toBe('PNG');
  });

  it('TAMReview.pdf: 23 pages of text and images', async () => {
    const doc = await timed('TAMReview.pdf', () => extractDocument({ data: read('real/TAMReview.pdf') }));
    expect(doc.pageCount).toBe(23);
    // Most of its body text uses fonts without a text mapping: pdf.js (and unpdf) decode 38k of its 60k
    // characters to control codes. That text is left out with a warning; what remains is readable text.
    const all = text(doc.pages);
    expect(all.length).toBeGreaterThan(5_000);
    expect(all).toContain('Technology Acceptance Model');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting that no control codes remain.
    expect(all).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
    expect(doc.warnings).toEqual(
      expect.arrayContaining([expect.stringContaining('fonts without a text mapping')]),
    );
    expect(doc.pages.flatMap((p) => p.images).length).toBeGreaterThan(20);
    for (const page of doc.pages) expectInsidePage(page);
    // Its footer ("Sprouts - http://sprouts.aisnet.org/9-37") is on every page but the last: furniture.
    const footers = doc.pages.map((p) =>
      p.paragraphs.filter((q) => q.role === 'furniture').map((q) => q.text),
    );
    expect(footers.filter((f) => f.includes('Sprouts - http://sprouts.aisnet.org/9-37')).length).toBe(22);
    const indexed = doc.pages.flatMap((p) =>
      p.paragraphs.filter((q) => q.role !== 'furniture' && q.role !== 'junk'),
    );
    expect(indexed.map((q) => q.text).join(' ')).not.toContain('Sprouts - http://sprouts.aisnet.org/9-37');
    // Words between control codes are kept when what remains reads as text.
    expect(indexed.map((q) => q.text)).toContain('Stimulus organism response');
  });

  it('two_pages.pdf: image-only pages (scans) keep their image data', async () => {
    const doc = await timed('two_pages.pdf', () => extractDocument({ data: read('real/two_pages.pdf') }));
    expect(doc.pages).toHaveLength(2);
    for (const page of doc.pages) {
      expect(page.paragraphs).toEqual([]);
      expect(page.images.length).toBeGreaterThan(0);
      expect(page.images[0]?.data?.length).toBeGreaterThan(1000);
    }
  });

  it('two_paragraphs.pdf: exactly two paragraphs', async () => {
    const doc = await timed('two_paragraphs.pdf', () =>
      extractDocument({ data: read('real/two_paragraphs.pdf') }),
    );
    expect(doc.pages[0]?.paragraphs.map((p) => p.text)).toEqual([
      'The first paragraph.',
      'The second paragraph.',
    ]);
  });

  it.each([
    ['ArabicCIDTrueType.pdf', /\p{Script=Arabic}/u],
    ['alphatrans.pdf', /stroke=1, fill=1/],
    ['structure_simple.pdf', /Heading 1/],
    ['paragraph_and_link.pdf', /paragraph/],
    ['pdfjs_wikipedia.pdf', /PDF\.js/],
    ['standard_fonts.pdf', /[A-Za-z]{4}/],
  ])('%s: text extracted', async (file, pattern) => {
    const doc = await timed(file, () => extractDocument({ data: read(`real/${file}`) }));
    expect(text(doc.pages)).toMatch(pattern);
    for (const page of doc.pages) expectInsidePage(page);
  });

  it('standard_fonts.pdf: every "page N / 14" footer and the 1 pt "Powered by" stamp are furniture', async () => {
    const doc = await extractDocument({ data: read('real/standard_fonts.pdf') }, { images: false });
    const roleOf = (pattern: RegExp) =>
      doc.pages.flatMap((p) => p.paragraphs.filter((q) => pattern.test(q.text)).map((q) => q.role));
    // The last page's footer has the stamp below it (so it is not the outermost line): found by its number.
    expect(roleOf(/^page \d+ \/ 14$/)).toEqual(Array.from({ length: 14 }, () => 'furniture'));
    expect(roleOf(/Powered by TCPDF/)).toEqual(['furniture']);
    expect(roleOf(/^TCPDF Example 055/)).toEqual(Array.from({ length: 14 }, () => 'furniture'));
  });

  it('extracts a page range only, with the whole document page count', async () => {
    const data = read('real/tracemonkey.pdf');
    const doc = await timed('tracemonkey.pdf pages 3-5', () =>
      extractDocument({ data }, { pageRange: { from: 3, to: 5 } }),
    );
    expect(doc.pageCount).toBe(14);
    expect(doc.pages.map((p) => p.pageNumber)).toEqual([3, 4, 5]);
    const bad = await extractDocument({ data }, { pageRange: { from: 15, to: 16 } }).catch((e: unknown) => e);
    expect(isAegisError(bad) && bad.code).toBe('VALIDATION_FAILED');
  });

  it('text-only mode skips image decoding', async () => {
    const doc = await extractDocument(
      { data: read('real/tracemonkey.pdf') },
      { images: false, pageRange: { from: 1, to: 2 } },
    );
    expect(doc.pages.flatMap((p) => p.images)).toEqual([]);
    expect(text(doc.pages).length).toBeGreaterThan(5_000);
  });

  it('inspectPdf: page count, title and outline without page content', async () => {
    const info = await inspectPdfDocument(read('real/TAMReview.pdf'));
    expect(info.pageCount).toBe(23);
    expect(info.title).toMatch(/Technology Acceptance Model/);
    const tracemonkey = await inspectPdfDocument(read('real/tracemonkey.pdf'));
    expect(tracemonkey).toMatchObject({ pageCount: 14, outline: [] });
  });
});
