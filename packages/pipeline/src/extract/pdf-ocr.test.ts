import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeDefaultSandbox } from '../sandbox/default-sandbox.ts';
import { buildScannedPdf } from '../test-support/scan-pdf.ts';
import { extractDocument } from './extract-document.ts';
import type { ExtractedPage } from './extracted-document.ts';
import { DEFAULT_OCR_SETTINGS, type OcrSettings } from './pdf-ocr.ts';
import { ocrNeed } from './pdf-page-ocr.ts';
import { findTesseract } from './tesseract-native.ts';

afterAll(() => closeDefaultSandbox());

/** CI machines run many suites at once: OCR gets room for a slow page (the limits themselves are tested below). */
const SLOW_MACHINE = { pageTimeoutMs: 120_000 };

const corpus = new URL('../../../../../shared/corpus/', import.meta.url);
const hasCorpus = existsSync(new URL('real/two_pages.pdf', corpus));

/** Share of the expected words found (with multiplicity) among the recognised ones. */
function wordAccuracy(expected: readonly string[], text: string): number {
  const bag = new Map<string, number>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) bag.set(w, (bag.get(w) ?? 0) + 1);
  let hit = 0;
  for (const w of expected) {
    const n = bag.get(w.toLowerCase()) ?? 0;
    if (n > 0) {
      hit++;
      bag.set(w.toLowerCase(), n - 1);
    }
  }
  return hit / Math.max(1, expected.length);
}

/**
 * Both local engines: the native binary (installed by .ci/run and the image) and the bundled tesseract.js. The
 * native one is called through a wrapper that logs each call, so the test knows which engine read the page.
 */
const nativeBinary = findTesseract('tesseract');
const scratch = mkdtempSync(join(tmpdir(), 'aegis-ocr-test-'));
const CALLS = join(scratch, 'calls.log');
const WRAPPER = join(scratch, 'tesseract-logged');
writeFileSync(WRAPPER, `#!/bin/sh\necho called >> '${CALLS}'\nexec '${nativeBinary}' "$@"\n`, {
  mode: 0o755,
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const ENGINES: Array<{ name: string; settings: OcrSettings; missing?: string }> = [
  {
    name: 'native tesseract',
    settings: { ...DEFAULT_OCR_SETTINGS, command: WRAPPER },
    ...(nativeBinary === undefined ? { missing: 'no tesseract binary (apt-get install tesseract-ocr)' } : {}),
  },
  { name: 'tesseract.js', settings: { ...DEFAULT_OCR_SETTINGS, command: '' } },
];

describe.each(ENGINES)(
  'OCR of pages without a text layer with $name, in the sandbox',
  ({ settings, missing }) => {
    it.skipIf(missing !== undefined)(
      'reads a scanned page: source ocr, word boxes on the page, word accuracy >= 0.95',
      async () => {
        const { data, pageWords } = await buildScannedPdf({ pages: 1, lines: 12, seed: 5 });
        const off = await extractDocument({ data }, {});
        expect(off.pages[0]?.paragraphs).toEqual([]);
        const doc = await extractDocument(
          { data },
          { limits: SLOW_MACHINE, ocr: { ...settings, pageTimeoutMs: 100_000 } },
        );
        const page = doc.pages[0] as ExtractedPage;
        expect(page.paragraphs.length).toBeGreaterThan(0);
        for (const p of page.paragraphs) {
          expect(p.source).toBe('ocr');
          for (const w of p.words ?? []) {
            expect(w.bbox[0]).toBeGreaterThanOrEqual(0);
            expect(w.bbox[2]).toBeLessThanOrEqual(page.width + 1);
            expect(w.bbox[3]).toBeLessThanOrEqual(page.height + 1);
            expect(w.confidence).toBeGreaterThanOrEqual(0);
          }
        }
        const text = page.paragraphs.map((p) => p.text).join(' ');
        expect(wordAccuracy(pageWords[0] ?? [], text)).toBeGreaterThanOrEqual(0.95);
        // A box for (nearly) every printed word.
        const boxes = page.paragraphs.flatMap((p) => p.words ?? []);
        expect(boxes.length).toBeGreaterThanOrEqual((pageWords[0]?.length ?? 0) * 0.9);
        if (settings.command !== '') expect(readFileSync(CALLS, 'utf8').trim().split('\n').length).toBe(1);
      },
      120_000,
    );

    it.skipIf(missing !== undefined)(
      'a page over its OCR time limit keeps its text layer and says so',
      async () => {
        const { data } = await buildScannedPdf({ pages: 1, lines: 20, seed: 7 });
        const doc = await extractDocument({ data }, { ocr: { ...settings, pageTimeoutMs: 1 } });
        expect(doc.pages[0]?.paragraphs).toEqual([]);
        expect(doc.warnings).toEqual([expect.stringContaining('Page 1: OCR failed')]);
      },
      60_000,
    );
  },
);

describe('OCR engines and the corpus', () => {
  it('with the vision engine, adds the rendered page as an image for the vision model instead', async () => {
    const { data } = await buildScannedPdf({ pages: 1, lines: 3, seed: 6 });
    const doc = await extractDocument(
      { data },
      { limits: SLOW_MACHINE, ocr: { ...DEFAULT_OCR_SETTINGS, engine: 'vision' } },
    );
    const page = doc.pages[0] as ExtractedPage;
    expect(page.paragraphs).toEqual([]);
    const rendered = page.images.at(-1);
    expect(rendered?.bbox).toEqual([0, 0, page.width, page.height]);
    // Transcribed by the vision model with the transcription prompt, not described as a figure.
    expect(rendered?.purpose).toBe('page-text');
    expect(Buffer.from(rendered?.data?.subarray(1, 4) ?? []).toString()).toBe('PNG');
  }, 60_000);

  it.skipIf(!hasCorpus)(
    'two_pages.pdf (image-only pages: logos) is read by OCR without failing',
    async () => {
      const data = new Uint8Array(readFileSync(new URL('real/two_pages.pdf', corpus)));
      const doc = await extractDocument(
        { data },
        { limits: SLOW_MACHINE, ocr: { ...DEFAULT_OCR_SETTINGS, pageTimeoutMs: 100_000 } },
      );
      expect(doc.pages).toHaveLength(2);
      expect(doc.warnings.filter((w) => w.includes('OCR failed'))).toEqual([]);
      for (const p of doc.pages) {
        expect(p.images.length).toBeGreaterThan(0);
        for (const q of p.paragraphs) expect(q.source).toBe('ocr');
      }
    },
    180_000,
  );
});

describe('which pages need OCR', () => {
  const page = (
    paragraphs: ExtractedPage['paragraphs'],
    images: ExtractedPage['images'] = [],
  ): ExtractedPage => ({
    pageNumber: 1,
    width: 600,
    height: 800,
    paragraphs,
    images,
  });
  const text = (t: string) => ({ text: t, bbox: [0, 0, 10, 10] as [number, number, number, number] });
  const image = {
    index: 0,
    bbox: [0, 0, 600, 800] as [number, number, number, number],
    width: 1,
    height: 1,
    data: undefined,
    mimeType: 'image/png',
    afterParagraph: 0,
  };

  it('a page with readable text needs none; a scan, vector art or junk does', () => {
    const prose = text('A plain paragraph of readable text that is long enough to count as a text layer.');
    expect(ocrNeed(page([prose]), 0)).toBeUndefined();
    expect(ocrNeed(page([], [image]), 0)).toBe('page');
    expect(ocrNeed(page([]), 120)).toBe('page');
    expect(ocrNeed(page([]), 3)).toBeUndefined();
    expect(ocrNeed(page([]), undefined)).toBe('page');
    expect(ocrNeed(page([text('&-.9<=>9</2#3$4%56# &-.789:;#3%4,56#')]), 0)).toBe('page');
    const junk = text('&-.9<=>9</2#3$4%56# &-.789:;#3%4,56# '.repeat(4));
    expect(ocrNeed(page([prose, junk]), 0)).toBe('junk');
  });
});
