import { describe, expect, it } from 'vitest';
import { prng } from '../test-support/book-pdf.ts';
import { buildCanonicalDocument, canonicalText } from './canonical-text.ts';
import type { Chunk, ChunkInputPage, ChunkOptions } from './chunk.ts';
import { chunkDocument } from './chunk-document.ts';
import { tokenCount } from './tokenizer.ts';
import { isWordBoundary } from './word-boundaries.ts';

const WORDS =
  'trace tree compiler loop guard type hot path record interpreter native code side exit nested bytecode recorder'.split(
    ' ',
  );
const CJK = '機械学習モデルは大量のデータから規則を学ぶ。文章を分割して検索に使う';
const ARABIC = 'يتعلم النموذج من البيانات الكثيرة ويستخدم النص في البحث';

function generatePages(seed: number): ChunkInputPage[] {
  const random = prng(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
  const sentence = (): string => {
    const words = Array.from({ length: int(3, 30) }, () => pick(WORDS));
    return `${words.join(' ')}.`;
  };
  const paragraph = (): string => {
    const kind = random();
    if (kind < 0.05) return `See https://example.org/${'x9'.repeat(int(50, 1500))} for the data.`;
    if (kind < 0.1) return CJK.repeat(int(1, 40));
    if (kind < 0.14) return `${ARABIC}. `.repeat(int(1, 30));
    if (kind < 0.18) return Array.from({ length: int(40, 120) }, sentence).join(' '); // a block over target
    return Array.from({ length: int(1, 8) }, sentence).join(' ');
  };

  let section = 0;
  const pages: ChunkInputPage[] = [];
  for (let pageNumber = 1; pageNumber <= int(1, 8); pageNumber++) {
    const paragraphs: ChunkInputPage['paragraphs'] = [];
    if (random() < 0.15) {
      pages.push({ pageNumber, paragraphs, figures: [] });
      continue;
    }
    for (let p = 0; p < int(0, 10); p++) {
      if (random() < 0.2) {
        section++;
        paragraphs.push({ text: `${section} Heading ${pick(WORDS)}`, headingLevel: int(1, 3) });
      } else {
        paragraphs.push({ text: paragraph() });
      }
    }
    const figures = Array.from({ length: int(0, 2) }, (_, f) => ({
      imageId: `p${pageNumber}-img${f}`,
      afterParagraph: int(-1, paragraphs.length + 1),
      description: Array.from({ length: int(1, 3) }, sentence).join(' '),
    }));
    pages.push({ pageNumber, paragraphs, figures });
  }
  return pages;
}

const OPTION_SETS: ChunkOptions[] = [
  { targetTokens: 512, overlapTokens: 64, maxTokens: 1024 },
  { targetTokens: 128, overlapTokens: 16, maxTokens: 256 },
  { targetTokens: 64, overlapTokens: 0, maxTokens: 64 },
  { targetTokens: 200, overlapTokens: 40, maxTokens: 220 },
];

interface Checked {
  chunks: Chunk[];
  canonical: string;
}

const words = new Intl.Segmenter('en', { granularity: 'word' });

/** The run of letters and digits around `at`. */
function wordAround(text: string, at: number): string {
  let start = at;
  let end = at;
  while (start > 0 && /[\p{L}\p{N}]/u.test(text.charAt(start - 1))) start--;
  while (end < text.length && /[\p{L}\p{N}]/u.test(text.charAt(end))) end++;
  return text.slice(start, end);
}

/** Asserts every structural invariant of a chunking and returns it for further checks. */
function checkInvariants(pages: ChunkInputPage[], options: ChunkOptions): Checked {
  const chunks = chunkDocument(pages, options);
  const doc = buildCanonicalDocument(pages);
  const canonical = doc.text;
  expect(canonicalText(pages)).toBe(canonical);
  if (canonical.trim() === '') expect(chunks).toEqual([]);

  const blockAt = (offset: number) => doc.blocks.find((b) => b.start <= offset && offset < b.end);
  let covered = 0;
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(chunk.text.length).toBeGreaterThan(0);
    expect(canonical.slice(chunk.charStart, chunk.charEnd)).toBe(chunk.text);
    expect(chunk.tokenCount).toBe(tokenCount(chunk.text));
    expect(chunk.tokenCount).toBeLessThanOrEqual(options.maxTokens);

    const touched = doc.blocks.filter((b) => b.start < chunk.charEnd && b.end > chunk.charStart);
    expect(chunk.pageStart).toBe(Math.min(...touched.map((b) => b.pageNumber)));
    expect(chunk.pageEnd).toBe(Math.max(...touched.map((b) => b.pageNumber)));
    expect(chunk.imageIds).toEqual(touched.flatMap((b) => (b.imageId === undefined ? [] : [b.imageId])));

    // Own text starts where the previous chunk ended (after whitespace); everything before is overlap.
    const previous = chunks[i - 1];
    let ownStart = chunk.charStart;
    if (previous !== undefined) {
      expect(chunk.charStart).toBeLessThanOrEqual(previous.charEnd + 2);
      expect(chunk.charEnd).toBeGreaterThan(previous.charEnd);
      expect(canonical.slice(previous.charEnd, chunk.charStart).trim()).toBe('');
      ownStart = Math.max(chunk.charStart, previous.charEnd);
      while (/\s/.test(canonical.charAt(ownStart))) ownStart++;
      if (chunk.charStart < previous.charEnd) {
        const overlap = canonical.slice(chunk.charStart, previous.charEnd);
        expect(tokenCount(overlap)).toBeLessThanOrEqual(options.overlapTokens + 1);
        // Never across a heading: no heading begins inside the overlap or between it and the own text.
        const crossed = doc.blocks.filter(
          (b) => b.isHeading && b.start > chunk.charStart && b.start <= ownStart,
        );
        expect(crossed).toEqual([]);
      }
    } else {
      expect(chunk.charStart).toBe(doc.blocks[0]?.start);
    }
    expect(chunk.headingPath).toEqual(blockAt(ownStart)?.headingPath);
    // Never inside a word, unless the word itself is longer than a chunk may be.
    for (const at of [chunk.charStart, chunk.charEnd]) {
      if (!isWordBoundary(canonical, at, words))
        expect(tokenCount(wordAround(canonical, at))).toBeGreaterThan(options.maxTokens / 2);
    }
    covered = chunk.charEnd;
  });
  // The chunks' own parts tile the text: every block is inside some chunk.
  expect(covered).toBe(canonical.length);
  return { chunks, canonical };
}

describe('chunkDocument invariants over generated documents', () => {
  for (const options of OPTION_SETS) {
    it(`holds for 40 documents with target ${options.targetTokens}, overlap ${options.overlapTokens}, max ${options.maxTokens}`, () => {
      let nearTarget = 0;
      let sized = 0;
      let overlapped = 0;
      let overlapCandidates = 0;
      for (let seed = 1; seed <= 40; seed++) {
        const pages = generatePages(seed * 7919 + options.targetTokens);
        const { chunks, canonical } = checkInvariants(pages, options);
        const doc = buildCanonicalDocument(pages);
        chunks.forEach((chunk, i) => {
          const next = chunks[i + 1];
          if (next === undefined) return;
          // A chunk cut short by a heading is by design; the others should be close to the target.
          const nextOwn = canonical.slice(chunk.charEnd).search(/\S/) + chunk.charEnd;
          const nextStartsSection = doc.blocks.some((b) => b.isHeading && b.start === nextOwn);
          if (!nextStartsSection) {
            sized++;
            if (chunk.tokenCount >= options.targetTokens * 0.6) nearTarget++;
            // Inside a word longer than a chunk (a giant URL) there is no word start to begin an overlap at.
            const tail = canonical.slice(Math.max(0, chunk.charEnd - 80), chunk.charEnd);
            if (options.overlapTokens > 0 && !/^[\p{L}\p{N}]+$/u.test(tail)) {
              overlapCandidates++;
              if (next.charStart < chunk.charEnd) overlapped++;
            }
          } else {
            expect(next.charStart).toBe(nextOwn); // no overlap into a new section
          }
        });
      }
      expect(sized).toBeGreaterThan(20);
      expect(nearTarget / sized).toBeGreaterThan(0.8);
      if (options.overlapTokens > 0) expect(overlapped / overlapCandidates).toBeGreaterThan(0.95);
    });
  }

  it('is deterministic', () => {
    const pages = generatePages(42);
    expect(chunkDocument(pages, { targetTokens: 128 })).toEqual(
      chunkDocument(structuredClone(pages), { targetTokens: 128 }),
    );
  });
});

describe('chunkDocument on a paper-like document', () => {
  const body = (topic: string, n: number): string =>
    Array.from(
      { length: n },
      (_, i) =>
        `The ${topic} ${['records', 'compiles', 'guards', 'extends'][i % 4]} a hot loop of the interpreter (step ${i + 1}), and the monitor keeps the trace tree small enough to fit in the code cache.`,
    ).join(' ');
  const pages: ChunkInputPage[] = [
    {
      pageNumber: 1,
      paragraphs: [
        { text: 'Trace-based Just-in-Time Type Specialization', headingLevel: 1 },
        { text: 'Abstract', headingLevel: 2 },
        { text: body('abstract', 5) },
        { text: '1 Introduction', headingLevel: 2 },
        { text: body('introduction', 12) },
        { text: body('motivation', 9) },
      ],
      figures: [{ imageId: 'fig1', afterParagraph: 5, description: 'A loop nest with its trace tree.' }],
    },
    {
      pageNumber: 2,
      paragraphs: [
        { text: body('continuation', 6) },
        { text: '2 Overview', headingLevel: 2 },
        { text: '2.1 Trace trees', headingLevel: 3 },
        { text: body('trace tree', 14) },
        { text: '2.2 Side exits', headingLevel: 3 },
        { text: body('side exit', 4) },
      ],
      figures: [{ imageId: 'fig2', afterParagraph: 4, description: 'Side exits leaving the trace.' }],
    },
    {
      pageNumber: 3,
      paragraphs: [{ text: '3 Evaluation', headingLevel: 2 }, { text: body('benchmark', 20) }],
      figures: [],
    },
  ];
  const options = { targetTokens: 256, overlapTokens: 32, maxTokens: 512 };

  it('keeps heading paths, page ranges and figures where they stand', () => {
    const { chunks, canonical } = checkInvariants(pages, options);
    const paths = chunks.map((c) => c.headingPath.join(' > '));
    expect(paths[0]).toBe('Trace-based Just-in-Time Type Specialization');
    expect(paths).toContain('Trace-based Just-in-Time Type Specialization > 2 Overview > 2.1 Trace trees');
    expect(paths.at(-1)).toBe('Trace-based Just-in-Time Type Specialization > 3 Evaluation');

    const fig1 = chunks.filter((c) => c.imageIds.includes('fig1'));
    expect(fig1.length).toBeGreaterThan(0);
    for (const c of fig1) expect(c.text).toContain('[Figure: A loop nest with its trace tree.]');
    const figureAt = canonical.indexOf('[Figure: Side exits');
    expect(canonical.lastIndexOf('2.1 Trace trees', figureAt)).toBeGreaterThan(0);
    expect(canonical.indexOf('2.2 Side exits')).toBeGreaterThan(figureAt);

    expect(chunks.some((c) => c.pageStart === 1 && c.pageEnd === 2)).toBe(true);
    expect(chunks.at(-1)?.pageEnd).toBe(3);
  });

  it('starts a new chunk at a heading once the current one is half full', () => {
    const { chunks, canonical } = checkInvariants(pages, options);
    for (const chunk of chunks) {
      for (const heading of ['1 Introduction', '2 Overview', '2.2 Side exits', '3 Evaluation']) {
        const at = chunk.text.indexOf(`\n\n${heading}`);
        if (at < 0) continue;
        const before = tokenCount(canonical.slice(chunk.charStart, chunk.charStart + at));
        expect(before).toBeLessThan(options.targetTokens / 2 + 2);
      }
      // Never ends on a heading.
      const lastBlock = chunk.text.split('\n\n').at(-1) ?? '';
      expect(/^\d+(\.\d+)? [A-Z]/.test(lastBlock) && lastBlock.length < 30).toBe(false);
    }
  });
});

describe('chunkDocument edge cases', () => {
  const page = (paragraphs: ChunkInputPage['paragraphs'], figures: ChunkInputPage['figures'] = []) => ({
    pageNumber: 1,
    paragraphs,
    figures,
  });

  it('returns no chunks for empty input', () => {
    expect(chunkDocument([])).toEqual([]);
    expect(chunkDocument([page([]), page([{ text: '   ' }])])).toEqual([]);
  });

  it('makes one chunk of a one-token document', () => {
    expect(chunkDocument([page([{ text: 'Hi' }])])).toEqual([
      {
        index: 0,
        text: 'Hi',
        tokenCount: 1,
        pageStart: 1,
        pageEnd: 1,
        charStart: 0,
        charEnd: 2,
        headingPath: [],
        imageIds: [],
      },
    ]);
  });

  it('uses figure descriptions as the text of a scanned document', () => {
    const pages = [1, 2, 3].map((n) => ({
      pageNumber: n,
      paragraphs: [],
      figures: [
        {
          imageId: `scan-${n}`,
          afterParagraph: 0,
          description: `Scanned page ${n}: ${'an invoice line. '.repeat(30)}`,
        },
      ],
    }));
    const { chunks } = checkInvariants(pages, { targetTokens: 128, overlapTokens: 16, maxTokens: 256 });
    expect(chunks.flatMap((c) => c.imageIds)).toEqual(expect.arrayContaining(['scan-1', 'scan-2', 'scan-3']));
    expect(chunks[0]?.text.startsWith('[Figure: Scanned page 1')).toBe(true);
  });

  it.each([
    ['a very long URL', `https://example.com/${'segment/'.repeat(3000)}`],
    ['a run with no break at all', 'x'.repeat(50_000)],
    ['CJK without spaces', CJK.repeat(500)],
    ['Arabic', ARABIC.repeat(400)],
    ['emoji', '👩‍🔬🚀'.repeat(3000)],
    ['special-token strings', 'text <|endoftext|> more <|im_start|> '.repeat(300)],
  ])('splits %s within limits', (_name, text) => {
    const options = { targetTokens: 100, overlapTokens: 20, maxTokens: 150 };
    const { chunks } = checkInvariants([page([{ text }])], options);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.some((c) => c.text.includes('\uFFFD'))).toBe(false);
  });

  it('rejects options it cannot honour', () => {
    expect(() => chunkDocument([], { targetTokens: 100, maxTokens: 50 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => chunkDocument([], { targetTokens: 64, overlapTokens: 64 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => chunkDocument([], { targetTokens: 0.5 })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    // Raising only the target raises the default max with it.
    expect(() => chunkDocument([], { targetTokens: 2048 })).not.toThrow();
  });
});
