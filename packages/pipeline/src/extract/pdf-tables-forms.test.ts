import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCanonicalDocument } from '../chunk/canonical-text.ts';
import { chunkDocument } from '../chunk/chunk-document.ts';
import { closeDefaultSandbox } from '../sandbox/default-sandbox.ts';
import { buildPaperPdf } from '../test-support/paper-pdf.ts';
import { extractDocument } from './extract-document.ts';
import type { Fragment } from './pdf-columns.ts';
import { detectTables } from './pdf-tables.ts';
import { tableToMarkdown } from './table-markdown.ts';

afterAll(() => closeDefaultSandbox());

describe('a generated paper: two columns, tables, a filled form', () => {
  for (const images of [true, false]) {
    it(`finds its headings, tables and form values (${images ? 'full, with ruling lines' : 'text-only'})`, async () => {
      for (const seed of [1, 2, 3]) {
        const { data, truth } = await buildPaperPdf(seed);
        const doc = await extractDocument({ data }, { images });
        const headings = doc.pages.flatMap((p) =>
          p.paragraphs
            .filter((q) => q.headingLevel !== undefined)
            .map((q) => ({ text: q.text, level: q.headingLevel })),
        );
        expect(headings).toEqual(truth.headings);
        const tables = doc.pages.flatMap((p) => p.paragraphs.filter((q) => q.role === 'table'));
        expect(tables.map((t) => t.table?.rows)).toEqual(truth.tables);
        expect(tables.map((t) => t.text)).toEqual(truth.tables.map((rows) => tableToMarkdown(rows, 1)));
        for (const t of tables) expect(t.bbox?.every(Number.isFinite)).toBe(true);
        const fields = doc.pages.flatMap((p) =>
          p.paragraphs.filter((q) => q.source === 'form').map((q) => q.text),
        );
        expect(fields).toEqual(truth.fields.map((f) => `${f.label}: ${f.value}`));
        // The columns are read left then right, hyphenated words whole.
        const canonical = buildCanonicalDocument(
          doc.pages.map((p) => ({
            pageNumber: p.pageNumber,
            paragraphs: p.paragraphs.filter((q) => q.headingLevel === undefined),
            figures: [],
          })),
        ).text;
        const body = truth.columnWords.join(' ');
        const got = canonical.match(/[\p{L}]+/gu)?.join(' ') ?? '';
        expect(got).toContain(body.match(/[\p{L}]+/gu)?.join(' '));
      }
    });
  }
});

describe('tables in chunks', () => {
  it('a long table is split between rows, every part under its header row', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 40, max: 300 }),
        (rowCount, width, target) => {
          const header = Array.from({ length: width }, (_, c) => `Column ${c}`);
          const rows = [
            header,
            ...Array.from({ length: rowCount }, (_, r) => header.map((_, c) => `r${r}c${c} value`)),
          ];
          const pages = [
            {
              pageNumber: 1,
              paragraphs: [
                { text: 'Before the table.' },
                { text: tableToMarkdown(rows, 1), role: 'table' as const, table: { rows, headerRows: 1 } },
                { text: 'After the table.' },
              ],
              figures: [],
            },
          ];
          const chunks = chunkDocument(pages, {
            targetTokens: target,
            overlapTokens: Math.floor(target / 8),
            maxTokens: target * 2,
          });
          const seen = new Set<string>();
          for (const chunk of chunks) {
            for (const line of chunk.text.split('\n')) {
              if (!line.startsWith('|')) continue;
              // Whole rows only: every table line in a chunk has all its cells.
              expect(line.split(' | ').length).toBe(width);
              expect(line.endsWith('|')).toBe(true);
              const first = line.match(/^\| (r\d+)c0 /)?.[1];
              if (first !== undefined) seen.add(first);
            }
            // A chunk holding rows holds the header above them.
            if (/\| r\d+c0 /.test(chunk.text)) expect(chunk.text).toContain(`| ${header.join(' | ')} |`);
          }
          expect(seen.size).toBe(rowCount);
        },
      ),
      // [7, 5, 249] (seed 333059494): the chunk after the table used to open on its last row, as overlap.
      { numRuns: 40, examples: [[7, 5, 249]] },
    );
  });
});

describe('detectTables', () => {
  const fragment = (text: string, x0: number, line: number, width = text.length * 5): Fragment => ({
    kind: 'text',
    runs: [],
    text,
    x0,
    x1: x0 + width,
    top: 100 + line * 14,
    bottom: 110 + line * 14,
    baseline: 108 + line * 14,
    fontSize: 10,
    lineId: line,
  });

  it('does not take two columns of prose for a table', () => {
    const prose = Array.from({ length: 20 }, (_, i) => [
      fragment(`left column line ${i} with several words of running text`, 50, i, 230),
      fragment(`right column line ${i} with several words of running text`, 320, i, 230),
    ]).flat();
    expect(detectTables(prose)).toEqual([]);
  });

  it('reads aligned short cells as a table, one row per line', () => {
    const cells = Array.from({ length: 5 }, (_, i) => [
      fragment(i === 0 ? 'Name' : `item ${i}`, 50, i),
      fragment(i === 0 ? 'Count' : String(i * 7), 200, i),
      fragment(i === 0 ? 'Share' : `${i * 3}%`, 300, i),
    ]).flat();
    const [table] = detectTables(cells);
    expect(table?.rows[0]).toEqual(['Name', 'Count', 'Share']);
    expect(table?.rows).toHaveLength(5);
  });
});
