/**
 * bench/fidelity: how faithful our extraction is, and what each stage costs, next to raw pdf.js and poppler's
 * pdftotext in the same run.
 *
 * Documents: every PDF in ../shared/corpus/real, every PDF in the folders given with --dir, and two generated
 * documents with known structure (a book with an outline, running heads, a footer URL and words hyphenated over
 * page breaks; a two-column paper with tables and a filled form). pdftotext (Debian poppler-utils) is the
 * reference where it reads the file; the metrics are in metrics.ts.
 *
 * Speed, per stage, medians of --reps runs after one warm-up: `pdftotext` (a process per file), `pdfjs-raw`
 * (pdf.js getTextContent of every page with our document options, in this process: the floor any pdf.js
 * extractor stands on),
 * `ours-text-inline` (the same extraction and structure pass in this process, like `pdfjs-raw`: the
 * like-for-like ratio), `ours-text` (text-only extraction in the parsing sandbox, warm: layout, tables, forms, junk gate, and the
 * document-wide structure pass; OCR off), `structure` (that pass alone), `chunk` (chunking the result).
 * OCR: pages with a known text layer are rendered at OCR_DPI, read by Tesseract (the native binary where installed,
 * else tesseract.js, as the extract stage does) and compared with the layer, line-end hyphenation joined on both sides.
 *
 * Run: `npm run bench:fidelity` (or `npx node bench/fidelity/run.ts [--dir folder] [--reps 3] [--book-pages 120]`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chunkDocument } from '../../packages/pipeline/src/chunk/chunk-document.ts';
import { cleanExtractedDocument } from '../../packages/pipeline/src/extract/clean-text.ts';
import { structureDocument } from '../../packages/pipeline/src/extract/document-structure.ts';
import { extractDocument } from '../../packages/pipeline/src/extract/index.ts';
import { DEFAULT_EXTRACTION_LIMITS } from '../../packages/pipeline/src/extract/limits.ts';
import { extractPdf } from '../../packages/pipeline/src/extract/pdf-extract.ts';
import {
  closeRecogniser,
  DEFAULT_OCR_SETTINGS,
  recognisePage,
  renderPage,
} from '../../packages/pipeline/src/extract/pdf-ocr.ts';
import { loadPdfjs, openPdf } from '../../packages/pipeline/src/extract/pdfjs.ts';
import { findTesseract } from '../../packages/pipeline/src/extract/tesseract-native.ts';
import { createSandboxPool } from '../../packages/pipeline/src/sandbox/index.ts';
import { buildBookPdf } from '../../packages/pipeline/src/test-support/book-pdf.ts';
import { buildPaperPdf } from '../../packages/pipeline/src/test-support/paper-pdf.ts';
import { type Fidelity, measure, recall, toChunkInput, words } from './metrics.ts';

const { values: flags } = parseArgs({
  options: {
    dir: { type: 'string', multiple: true, default: [] },
    reps: { type: 'string', default: '3' },
    'book-pages': { type: 'string', default: '120' },
    out: { type: 'string' },
  },
  strict: true,
});
const reps = Math.max(1, Number(flags.reps));
const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '../../../shared/corpus/real');
const folders = [...(existsSync(corpus) ? [corpus] : []), ...(flags.dir ?? [])];
const hasPdftotext = spawnSync('pdftotext', ['-v']).status === 0;
if (!hasPdftotext) console.error('pdftotext not found (apt-get install poppler-utils): no reference metrics');

interface Input {
  name: string;
  data: Uint8Array;
  truthFurniture?: string[];
}

const inputs: Input[] = folders.flatMap((folder) =>
  readdirSync(folder)
    .filter((f) => f.toLowerCase().endsWith('.pdf'))
    .sort()
    .map((f) => ({ name: basename(f), data: new Uint8Array(readFileSync(join(folder, f))) })),
);
const book = await buildBookPdf({ minPages: Number(flags['book-pages']), chapters: 14, seed: 3 });
inputs.push({
  name: `generated-book-${book.truth.pageCount}p.pdf`,
  data: book.data,
  truthFurniture: [...new Set([...book.truth.furniture.values()].flat().filter((l) => /\D/.test(l)))],
});
inputs.push({ name: 'generated-paper.pdf', data: (await buildPaperPdf(5)).data });

const pdfjs = await loadPdfjs();
async function rawPdfjs(data: Uint8Array): Promise<number> {
  // The same document options as our extractor (CMaps, standard font data, no eval): the same pdf.js work.
  const doc = await openPdf(pdfjs, data, { maxImagePixels: 40_000_000, timeoutMs: 60_000 });
  let items = 0;
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    items += (await page.getTextContent()).items.length;
    page.cleanup();
  }
  await doc.destroy();
  return items;
}

function pdftotext(data: Uint8Array): string | undefined {
  if (!hasPdftotext) return undefined;
  try {
    return execFileSync('pdftotext', ['-enc', 'UTF-8', '-', '-'], {
      input: data,
      maxBuffer: 256 * 2 ** 20,
    }).toString('utf8');
  } catch {
    return undefined;
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const time = async <T>(work: () => Promise<T> | T): Promise<[T, number]> => {
  const start = performance.now();
  const value = await work();
  return [value, performance.now() - start];
};

// As the worker runs it: SANDBOX_WARM_PROCESSES=1 keeps one process started between documents.
const sandboxStarts: number[] = [];
const sandbox = createSandboxPool({
  warmProcesses: 1,
  onEvent: (event) => {
    if (event.type === 'started') sandboxStarts.push(Math.round(event.startMs));
  },
});
// Before that setting: a process ends 5 s after its last task, so a document arriving later waits for a start
// and runs on cold code (the A/B pair of `ours-text`, interleaved in the same repetitions).
const coldSandbox = createSandboxPool({ warmProcesses: 0 });
const STAGES = [
  'pdftotext',
  'pdfjs-raw',
  'ours-text-inline',
  'ours-text',
  'ours-text-no-warm',
  'structure',
  'chunk',
] as const;
type Stage = (typeof STAGES)[number];
const rows: Array<{
  name: string;
  fidelity: Fidelity | { error: string };
  ms: Partial<Record<Stage, number>>;
}> = [];
const loadAtStart = loadavg()[0];

for (const input of inputs) {
  const samples: Record<Stage, number[]> = {
    pdftotext: [],
    'pdfjs-raw': [],
    'ours-text-inline': [],
    'ours-text': [],
    'ours-text-no-warm': [],
    structure: [],
    chunk: [],
  };
  let fidelity: Fidelity | { error: string } | undefined;
  for (let rep = -1; rep < reps; rep++) {
    const [reference, tPoppler] = await time(() => pdftotext(input.data));
    const [, tRaw] = await time(() => rawPdfjs(input.data).catch(() => 0));
    // The same extraction in this process, like raw pdf.js: the extractor's own cost without the sandbox hop.
    const [, tInline] = await time(async () => {
      const inline = cleanExtractedDocument(
        await extractPdf(input.data, { limits: DEFAULT_EXTRACTION_LIMITS, images: false }),
      );
      structureDocument(inline.pages, inline.outline);
    }).catch(() => [undefined, 0] as const);
    let doc: Awaited<ReturnType<typeof extractDocument>>;
    let tOurs: number;
    let tNoWarm = 0;
    const noWarm = async (): Promise<void> => {
      [, tNoWarm] = await time(() =>
        extractDocument({ data: input.data, filename: input.name }, { images: false, sandbox: coldSandbox }),
      ).catch(() => [undefined, 0] as const);
    };
    try {
      if (rep % 2 === 0) await noWarm();
      [doc, tOurs] = await time(() =>
        extractDocument({ data: input.data, filename: input.name }, { images: false, sandbox }),
      );
      if (rep % 2 !== 0) await noWarm();
    } catch (error) {
      fidelity = { error: (error as { code?: string }).code ?? String(error) };
      break;
    }
    const copy = structuredClone(doc);
    const [, tStructure] = await time(() => structureDocument(copy.pages, copy.outline));
    const [chunks, tChunk] = await time(() => chunkDocument(toChunkInput(doc)));
    if (rep < 0) continue;
    samples.pdftotext.push(tPoppler);
    samples['pdfjs-raw'].push(tRaw);
    samples['ours-text-inline'].push(tInline);
    samples['ours-text'].push(tOurs);
    samples['ours-text-no-warm'].push(tNoWarm);
    samples.structure.push(tStructure);
    samples.chunk.push(tChunk);
    if (rep === 0) fidelity = measure(doc, chunks, reference, input.truthFurniture);
  }
  const ms = Object.fromEntries(
    STAGES.flatMap((s) => (samples[s].length > 0 ? [[s, Math.round(median(samples[s]) * 10) / 10]] : [])),
  );
  rows.push({ name: input.name, fidelity: fidelity ?? { error: 'no run' }, ms });
  console.error(`${input.name}: done`);
}
await sandbox.close();
await coldSandbox.close();

// OCR word accuracy on pages with a known text layer: render the page, OCR it, compare with its text layer.
// Words hyphenated at a line end are joined on both sides: the layer has "com-" and "pile" as two items, OCR
// paragraphs have "compile" where Tesseract saw the hyphen, and neither is a misread word.
const dehyphenate = (text: string): string => text.replace(/(\p{Ll})-\s+(\p{Ll})/gu, '$1$2');
const ocrPages: Array<{ name: string; page: number }> = [
  { name: 'tracemonkey.pdf', page: 1 },
  { name: 'tracemonkey.pdf', page: 3 },
  { name: `generated-book-${book.truth.pageCount}p.pdf`, page: 2 },
  { name: 'generated-paper.pdf', page: 1 },
];
// Both local engines, each page rendered once per engine (the time includes rendering, as in the extract stage).
const ocrEngines: Array<{ engine: string; command: string }> = [
  ...(findTesseract(DEFAULT_OCR_SETTINGS.command) === undefined
    ? []
    : [{ engine: 'tesseract (native)', command: DEFAULT_OCR_SETTINGS.command ?? 'tesseract' }]),
  { engine: 'tesseract.js', command: '' },
];
const ocrResults: Array<{
  engine: string;
  name: string;
  page: number;
  accuracy: number;
  ms: number;
  words: number;
}> = [];
for (const { engine, command } of ocrEngines) {
  for (const { name, page: pageNumber } of ocrPages) {
    const input = inputs.find((i) => i.name === name);
    if (input === undefined) continue;
    const doc = await openPdf(pdfjs, input.data, { maxImagePixels: 40_000_000, timeoutMs: 60_000 });
    const page = await doc.getPage(pageNumber);
    const layer = (await page.getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join(' ');
    const [paragraphs, ms] = await time(async () => {
      const { png, scale } = await renderPage(page, DEFAULT_OCR_SETTINGS.dpi);
      return recognisePage(png, scale, { ...DEFAULT_OCR_SETTINGS, command, pageTimeoutMs: 120_000 });
    });
    const expected = words(dehyphenate(layer));
    ocrResults.push({
      engine,
      name,
      page: pageNumber,
      accuracy: Number(
        recall(expected, words(dehyphenate(paragraphs.map((p) => p.text).join('\n')))).toFixed(4),
      ),
      ms: Math.round(ms),
      words: expected.length,
    });
    await doc.destroy();
  }
}
await closeRecogniser();

const measured = rows.filter(
  (r): r is { name: string; fidelity: Fidelity; ms: Partial<Record<Stage, number>> } =>
    !('error' in r.fidelity),
);
const pages = measured.reduce((n, r) => n + r.fidelity.pages, 0);
const speed = Object.fromEntries(
  STAGES.map((stage) => {
    const ms = measured.reduce((n, r) => n + (r.ms[stage] ?? 0), 0);
    return [
      stage,
      { seconds: Number((ms / 1000).toFixed(3)), pagesPerSecond: Number((pages / (ms / 1000)).toFixed(1)) },
    ];
  }),
);
const withReference = measured.filter((r) => r.fidelity.wordRecall !== undefined);
const weighted = (key: 'wordRecall' | 'indexedWordRecall' | 'readingOrder'): number =>
  Number(
    (
      withReference.reduce((n, r) => n + (r.fidelity[key] ?? 0) * r.fidelity.pages, 0) /
      Math.max(
        1,
        withReference.reduce((n, r) => n + r.fidelity.pages, 0),
      )
    ).toFixed(4),
  );
const sum = (key: keyof Fidelity): number => measured.reduce((n, r) => n + Number(r.fidelity[key] ?? 0), 0);
const totals = {
  documents: rows.length,
  pages,
  wordRecall: weighted('wordRecall'),
  indexedWordRecall: weighted('indexedWordRecall'),
  readingOrder: weighted('readingOrder'),
  furnitureLeaks: sum('furnitureLeaks'),
  furnitureBlocks: sum('furnitureBlocks'),
  midWordChunkEdges: sum('midWordChunkEdges'),
  chunks: sum('chunks'),
  outlineEntries: sum('outlineEntries'),
  outlineFound: sum('outlineFound'),
  outlineInserted: sum('outlineInserted'),
  junkBlocks: sum('junkBlocks'),
  junkCharsIndexed: sum('junkCharsIndexed'),
  tables: sum('tables'),
  formFields: sum('formFields'),
  textVsRawPdfjs: Number(
    ((speed['ours-text']?.pagesPerSecond ?? 0) / (speed['pdfjs-raw']?.pagesPerSecond ?? 1)).toFixed(2),
  ),
  textNoWarmVsRawPdfjs: Number(
    ((speed['ours-text-no-warm']?.pagesPerSecond ?? 0) / (speed['pdfjs-raw']?.pagesPerSecond ?? 1)).toFixed(
      2,
    ),
  ),
  /** Start-up of the warm pool's processes, ms (the first, and replacements of retired ones). */
  sandboxStartsMs: sandboxStarts,
};
const result = {
  benchmark: 'fidelity',
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverageAtStart: loadAtStart,
    loadAverageAtEnd: loadavg()[0],
    uptime: execFileSync('uptime').toString().trim(),
  },
  pdftotext: hasPdftotext ? spawnSync('pdftotext', ['-v']).stderr.toString().split('\n')[0] : undefined,
  repetitions: reps,
  totals,
  speed,
  ocr: ocrResults,
  documents: rows,
};
console.log(JSON.stringify({ totals, speed, ocr: ocrResults }, null, 2));
const out = flags.out ?? join(here, `../results/fidelity-${result.date.slice(0, 10)}.json`);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`results: ${out}`);
