/**
 * bench/extraction: PDF pages per second of our extractor against `unpdf` (extractText) and `pdf-parse`
 * (getText), on the same real corpus files, in one run, interleaved (the order of the variants rotates every
 * repetition), after one unrecorded warm-up round.
 *
 * The work is not equal: the libraries only concatenate pdf.js text items, while we also rebuild lines,
 * columns, paragraphs and headings (`ours-text`), and in `ours-full` decode every image and encode it as PNG.
 * `ours-full`/`ours-text` run in a parsing sandbox of one reused process, as production does (the safety
 * boundary for hostile input: timeouts that always fire, heap and memory caps), and include copying the
 * document to the process and the result back. `ours-text-new-process` starts a fresh sandbox process per
 * document: the difference to `ours-text` is the start-up cost the pool saves. `ours-text-inline`, `unpdf`
 * and `pdf-parse` each run in their own long-lived thread with no hand-off: `ours-text-inline` vs `unpdf` is
 * the like-for-like text comparison, `ours-text` vs `ours-text-inline` shows the cost of the sandbox boundary.
 *
 * Run: `npm run bench:extraction` (or `npx node bench/extraction/run.ts`). Flags: --reps N (default 5),
 * --out FILE. Needs the corpus in ../shared/corpus/real beside the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
// The pipeline package has no public index yet; the benchmark reaches the extract module directly.
import { extractDocument } from '../../packages/pipeline/src/extract/index.ts';
import { createSandboxPool } from '../../packages/pipeline/src/sandbox/index.ts';
import type { VariantOutcome } from './variant-thread.ts';

const { values: flags } = parseArgs({
  options: { reps: { type: 'string', default: '5' }, out: { type: 'string' } },
  strict: true,
});
const reps = Math.max(1, Number(flags.reps));
const here = dirname(fileURLToPath(import.meta.url));
const corpus = join(here, '../../../shared/corpus/real');
if (!existsSync(corpus)) {
  console.error(`corpus not found at ${corpus}; nothing to measure`);
  process.exit(1);
}

const FILES = ['tracemonkey.pdf', 'TAMReview.pdf', 'standard_fonts.pdf', 'pdfjs_wikipedia.pdf'];

type Outcome = VariantOutcome;
type Variant = (data: Uint8Array) => Promise<Outcome>;

const countChars = (pages: { paragraphs: { text: string }[] }[]): number =>
  pages.reduce((n, p) => n + p.paragraphs.reduce((m, q) => m + q.text.length, 0), 0);

const threads: Worker[] = [];

/** A variant run in its own long-lived thread (see variant-thread.ts); the copy sent is the library's own. */
function inThread(name: string): Variant {
  const worker = new Worker(new URL('./variant-thread.ts', import.meta.url), { workerData: name });
  threads.push(worker);
  return (data) =>
    new Promise((resolve, reject) => {
      worker.once('message', (reply: { outcome?: VariantOutcome; error?: string }) =>
        reply.outcome === undefined ? reject(new Error(`${name}: ${reply.error}`)) : resolve(reply.outcome),
      );
      worker.postMessage(data);
    });
}

const sandbox = createSandboxPool({ size: 1 });

const VARIANTS: Record<string, Variant> = {
  'ours-full': async (data) => {
    const doc = await extractDocument({ data }, { sandbox });
    return { pages: doc.pages.length, chars: countChars(doc.pages) };
  },
  'ours-text': async (data) => {
    const doc = await extractDocument({ data }, { images: false, sandbox });
    return { pages: doc.pages.length, chars: countChars(doc.pages) };
  },
  'ours-text-new-process': async (data) => {
    const once = createSandboxPool({ size: 1 });
    try {
      const doc = await extractDocument({ data }, { images: false, sandbox: once });
      return { pages: doc.pages.length, chars: countChars(doc.pages) };
    } finally {
      await once.close();
    }
  },
  'ours-text-inline': inThread('ours-text-inline'),
  unpdf: inThread('unpdf'),
  'pdf-parse': inThread('pdf-parse'),
};

const names = Object.keys(VARIANTS);
const inputs = FILES.map((file) => ({ file, data: new Uint8Array(readFileSync(join(corpus, file))) }));
const samples = new Map<string, number[]>();
const outcomes = new Map<string, Outcome>();

for (let rep = -1; rep < reps; rep++) {
  for (const { file, data } of inputs) {
    // Rotate the start so no variant always runs first (cold caches) or last.
    const order = names.map((_, i) => names[(i + rep + 1 + names.length) % names.length] as string);
    for (const name of order) {
      const run = VARIANTS[name] as Variant;
      const start = performance.now();
      const outcome = await run(data);
      const ms = performance.now() - start;
      if (rep < 0) continue;
      const key = `${name}|${file}`;
      samples.set(key, [...(samples.get(key) ?? []), ms]);
      outcomes.set(key, outcome);
    }
  }
  if (rep >= 0) console.error(`repetition ${rep + 1}/${reps} done`);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const perFile = names.flatMap((variant) =>
  FILES.map((file) => {
    const ms = samples.get(`${variant}|${file}`) ?? [];
    const outcome = outcomes.get(`${variant}|${file}`) ?? { pages: 0, chars: 0 };
    const medianMs = median(ms);
    return {
      variant,
      file,
      pages: outcome.pages,
      chars: outcome.chars,
      medianMs: Math.round(medianMs),
      minMs: Math.round(Math.min(...ms)),
      maxMs: Math.round(Math.max(...ms)),
      pagesPerSecond: Number((outcome.pages / (medianMs / 1000)).toFixed(2)),
    };
  }),
);
const totals = names.map((variant) => {
  const rows = perFile.filter((r) => r.variant === variant);
  const pages = rows.reduce((n, r) => n + r.pages, 0);
  const seconds = rows.reduce((n, r) => n + r.medianMs, 0) / 1000;
  return {
    variant,
    pages,
    seconds: Number(seconds.toFixed(2)),
    pagesPerSecond: Number((pages / seconds).toFixed(2)),
  };
});
const baseline = totals.find((t) => t.variant === 'unpdf')?.pagesPerSecond ?? 1;
const result = {
  benchmark: 'extraction',
  date: new Date().toISOString(),
  machine: {
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  },
  repetitions: reps,
  files: FILES,
  note: 'ours-* also rebuild reading order/paragraphs/headings; ours-full decodes and PNG-encodes every image; ours-full/ours-text run in a parsing sandbox of one reused process; ours-text-new-process starts one sandbox process per document.',
  totals: totals.map((t) => ({ ...t, ratioToUnpdf: Number((t.pagesPerSecond / baseline).toFixed(2)) })),
  perFile,
};

console.log('variant              pages  seconds  pages/s  vs unpdf');
for (const t of result.totals) {
  console.log(
    `${t.variant.padEnd(20)} ${String(t.pages).padStart(5)} ${t.seconds.toFixed(2).padStart(8)} ${t.pagesPerSecond.toFixed(1).padStart(8)} ${t.ratioToUnpdf.toFixed(2).padStart(9)}`,
  );
}
const out = flags.out ?? join(here, `../results/extraction-${result.date.slice(0, 10)}.json`);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`results: ${out}`);
await Promise.all([...threads.map((t) => t.terminate()), sandbox.close()]);
