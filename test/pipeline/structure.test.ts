// Document structure through the real stages: a book extracted in page ranges is structured once all ranges
// are stored (furniture out of chunks, outline headings in every chunk's path, words whole over page breaks),
// a scanned page is read by OCR in the sandbox, and the new formats go all the way to chunks.
import { archiveDocument } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBookPdf } from '../../packages/pipeline/src/test-support/book-pdf.ts';
import { buildScannedPdf } from '../../packages/pipeline/src/test-support/scan-pdf.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('document structure through the stages', { timeout: 240_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    // Small ranges so the book's furniture, headings and page joins cross range boundaries.
    harness = await createPipelineHarness({
      env: {
        EXTRACT_PAGES_PER_RANGE: '4',
        LLM_ROUTING_MODE: 'cloud-only',
        OCR_ENGINE: 'tesseract',
        // Room for a slow page on a CI machine running many suites at once.
        EXTRACT_PAGE_TIMEOUT_MS: '150000',
        OCR_PAGE_TIMEOUT_MS: '120000',
      },
    });
  });
  afterAll(async () => harness.close());

  const ingest = async (data: Uint8Array, displayName: string) => {
    const registration = await harness.runtime.producer.ingest({ data, displayName });
    expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('completed');
    const { repository } = harness.runtime.pipeline;
    return {
      pages: await repository.loadPages(registration.documentId, registration.version),
      chunks: await repository.loadChunks(registration.documentId, registration.version),
    };
  };

  it('a book in page ranges: no furniture in chunks, true heading paths, hyphenated words whole', async () => {
    const { data, truth } = await buildBookPdf({ minPages: 22, chapters: 3, seed: 21 });
    const { pages, chunks } = await ingest(data, 'book.pdf');
    expect(pages).toHaveLength(truth.pageCount);
    const furniture = pages.flatMap((p) => p.paragraphs.filter((q) => q.role === 'furniture'));
    expect(furniture.length).toBeGreaterThanOrEqual(truth.pageCount);
    const chapters = truth.headings.filter((h) => h.level === 1).map((h) => h.text);
    for (const chunk of chunks) {
      expect(chunk.text).not.toContain(truth.footerUrl);
      expect(chunk.text).not.toMatch(/\d+ FREE CULTURE|CHAPTER \w+: [A-Z ]+ \d+/);
      expect(chapters).toContain(chunk.headingPath[0]);
    }
    const all = chunks.map((c) => c.text).join('\n');
    for (const { word, acrossPages } of truth.hyphenated)
      if (acrossPages) expect(all).toMatch(new RegExp(`\\b${word}\\b`));
  });

  it('a scanned page is read by OCR and its words are chunked', async () => {
    const { data, pageWords } = await buildScannedPdf({ pages: 1, lines: 8, seed: 4 });
    const { pages, chunks } = await ingest(data, 'scan.pdf');
    expect(pages[0]?.paragraphs.length).toBeGreaterThan(0);
    expect(pages[0]?.paragraphs.every((p) => p.source === 'ocr')).toBe(true);
    const text = chunks
      .map((c) => c.text)
      .join(' ')
      .toLowerCase();
    const found = (pageWords[0] ?? []).filter((w) => text.includes(w.toLowerCase())).length;
    expect(found / (pageWords[0]?.length ?? 1)).toBeGreaterThan(0.95);
  });

  it.each(['xlsx', 'pptx', 'epub'] as const)('%s goes through every stage', async (format) => {
    const data = archiveDocument(format, { kind: 'text', paragraphs: ['Quarterly figures for the board.'] });
    const { chunks } = await ingest(new Uint8Array(data), `doc.${format}`);
    expect(chunks.map((c) => c.text).join(' ')).toContain('Quarterly figures for the board.');
  });
});
