/**
 * bench/pipeline-throughput: documents/min and pages/s of the whole pipeline (memory-check -> extract ->
 * enrich-images -> chunk -> embed -> graph -> finalize) on the real corpus, every model answered by the provider
 * simulator with latency 0 (its own process), Postgres lite stores, in ONE run:
 *
 * - `in-process`: the same stage functions called one after another in this process, one document after
 *   another (see in-process.ts), with the deps a worker builds (`startWorkerRuntime`, no stage workers).
 * - `queued-1w-serial`: one worker process; the next document is submitted only when the previous one completed
 *   (no overlap between documents: the like-for-like comparison with `in-process`, so the queue overhead).
 * - `queued-1w`: one worker process (`node apps/worker/src/main.ts`), all documents submitted at once.
 * - `queued-2w`: two worker processes, all documents submitted at once.
 *
 * Each variant runs in a fresh schema / queue prefix / blob directory and first ingests one warm-up document
 * (two_pages.pdf with a trailer, so its bytes differ) that is not timed: worker processes are long-lived in
 * production, so the figures are steady-state. The clock runs from the first registration to the last
 * completion event. Variants are interleaved, the order rotating every round.
 *
 * Run: `npm run bench:pipeline` (or `npx node bench/pipeline-throughput/run.ts`).
 * Flags: --rounds N (default 2), --variants a,b (default all), --out FILE.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildServer } from '../router-overhead/child-server.ts';
import {
  CORPUS_DIR,
  type Completion,
  cleanupOnSignal,
  createRound,
  isoDay,
  listenForCompletions,
  loadAverage,
  type MachineInfo,
  machineInfo,
  processCpuSeconds,
  REPO_ROOT,
  type Round,
  resetSimulator,
  spawnWorker,
  startProducerRuntime,
  startSimulator,
  summarise,
  waitForWorkers,
} from './environment.ts';
import { ingestInProcess } from './in-process.ts';

const VARIANTS = ['in-process', 'queued-1w-serial', 'queued-1w', 'queued-2w'] as const;
type Variant = (typeof VARIANTS)[number];

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    copies: { type: 'string', default: '2' },
    'include-failing': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
  strict: true,
});
const rounds = Math.max(1, Number(flags.rounds));
const variants = (flags.variants ?? '').split(',').map((name) => name.trim()) as Variant[];
for (const name of variants)
  if (!VARIANTS.includes(name)) throw new Error(`unknown variant ${name}; one of ${VARIANTS.join(', ')}`);
if (!existsSync(CORPUS_DIR)) {
  console.error(`corpus not found at ${CORPUS_DIR}; nothing to measure`);
  process.exit(1);
}

const WARMUP_FILE = 'two_pages.pdf';
const RUN_TIMEOUT_MS = 300_000;

interface Input {
  name: string;
  data: Uint8Array;
}

/**
 * standard_fonts.pdf cannot be ingested today: pdf.js gives its text with U+0000 characters, and Postgres
 * refuses them in jsonb (22P05 in `savePages`), so its extract stage fails on every attempt. Measuring it would
 * time BullMQ's retry backoff, not the pipeline. `--include-failing` puts it back.
 */
const KNOWN_FAILING = ['standard_fonts.pdf'];
const copies = Math.max(1, Number(flags.copies));
const files = (await readdir(CORPUS_DIR))
  .filter((name) => name.endsWith('.pdf'))
  .filter((name) => flags['include-failing'] || !KNOWN_FAILING.includes(name))
  .sort();
const originals = await Promise.all(files.map((name) => readFile(join(CORPUS_DIR, name))));
// Copy 0 is the file as it is; further copies get a trailer comment after %%EOF, so their bytes (and identity) differ.
const inputs: Input[] = Array.from({ length: copies }, (_, copy) =>
  files.map((name, index) => ({
    name: copy === 0 ? name : name.replace(/\.pdf$/, `.copy${copy}.pdf`),
    data: new Uint8Array(
      copy === 0
        ? (originals[index] as Buffer)
        : Buffer.concat([originals[index] as Buffer, Buffer.from(`\n%aegis-bench-copy-${copy}\n`)]),
    ),
  })),
).flat();
const warmup: Input = {
  name: 'warmup.pdf',
  data: Buffer.concat([
    await readFile(join(CORPUS_DIR, WARMUP_FILE)),
    Buffer.from('\n%aegis-bench-warmup\n'),
  ]),
};

interface Measurement {
  variant: Variant;
  round: number;
  loadAverageAtStart: number;
  seconds: number;
  documents: number;
  completed: number;
  failed: Array<{ file: string; errorCode: string | undefined }>;
  pages: number;
  chunks: number;
  imagesDescribed: number;
  ledgerRows: number;
  documentsPerMinute: number;
  pagesPerSecond: number;
  /** CPU seconds of the process(es) running the stages (this process for in-process; the workers otherwise). */
  pipelineCpuSeconds: number;
  /** CPU seconds of this process (the producer for queued variants) and of the simulator child. */
  producerCpuSeconds: number;
  simulatorCpuSeconds: number;
  /** Sum over documents of each stage's in-stage time (stage_runs.duration_ms), seconds. */
  stageSeconds: Record<string, number>;
  /** Mean registration-to-completion time of one document, seconds. */
  meanDocumentLatencySeconds: number;
}

async function roundFacts(round: Round, keys: readonly string[]) {
  const ids = keys.map((key) => key.split('/')[0] as string);
  const pool = round.db.pool;
  const [pages, chunks, images, ledger, stages, latency] = await Promise.all([
    pool.query<{ n: number }>(
      'SELECT coalesce(sum(page_count), 0)::int AS n FROM document_versions WHERE document_id = ANY($1)',
      [ids],
    ),
    pool.query<{ n: number }>('SELECT count(*)::int AS n FROM document_chunks WHERE document_id = ANY($1)', [
      ids,
    ]),
    pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM document_images WHERE document_id = ANY($1) AND status = 'described'",
      [ids],
    ),
    pool.query<{ n: number }>('SELECT count(*)::int AS n FROM llm_ledger WHERE document_id = ANY($1)', [ids]),
    pool.query<{ stage: string; ms: number }>(
      'SELECT stage, coalesce(sum(duration_ms), 0)::int AS ms FROM stage_runs WHERE document_id = ANY($1) GROUP BY stage',
      [ids],
    ),
    pool.query<{ s: number }>(
      'SELECT coalesce(avg(extract(epoch FROM completed_at - created_at)), 0)::float8 AS s FROM document_versions WHERE document_id = ANY($1)',
      [ids],
    ),
  ]);
  return {
    pages: pages.rows[0]?.n ?? 0,
    chunks: chunks.rows[0]?.n ?? 0,
    imagesDescribed: images.rows[0]?.n ?? 0,
    ledgerRows: ledger.rows[0]?.n ?? 0,
    stageSeconds: Object.fromEntries(stages.rows.map((row) => [row.stage, row.ms / 1000])),
    meanDocumentLatencySeconds: latency.rows[0]?.s ?? 0,
  };
}

async function measure(sim: ChildServer, variant: Variant, roundNumber: number): Promise<Measurement> {
  await resetSimulator(sim);
  const loadAverageAtStart = await loadAverage();
  const round = await createRound(sim);
  try {
    const runtime = await startProducerRuntime(round);
    const events = await listenForCompletions(round);
    try {
      const workerCount = variant === 'queued-2w' ? 2 : variant === 'in-process' ? 0 : 1;
      const workers = Array.from({ length: workerCount }, () => spawnWorker(round));
      if (workerCount > 0) await waitForWorkers(round, workerCount);

      const keyOf = (r: { documentId: string; version: number }): string => `${r.documentId}/${r.version}`;
      const ingestQueued = async (input: Input): Promise<string> =>
        keyOf(await runtime.producer.ingest({ data: input.data, displayName: input.name }));

      // Warm-up, not timed: JIT, pdf.js module load, sharp, tokenizer, connection pools, prepared statements.
      if (variant === 'in-process')
        await ingestInProcess(runtime.pipeline, { data: warmup.data, displayName: warmup.name });
      else await events.waitFor([await ingestQueued(warmup)], RUN_TIMEOUT_MS);

      const pids = workers.map((child) => child.pid ?? -1);
      const cpuBefore = await Promise.all(pids.map(processCpuSeconds));
      const simBefore = await processCpuSeconds(sim.pid);
      const ownBefore = process.cpuUsage();
      const started = performance.now();
      const keys: string[] = [];
      let finished: Map<string, Completion>;
      if (variant === 'in-process') {
        finished = new Map();
        for (const input of inputs) {
          const key = keyOf(
            await ingestInProcess(runtime.pipeline, { data: input.data, displayName: input.name }),
          );
          keys.push(key);
          finished.set(key, { status: 'completed', at: performance.now() });
        }
      } else if (variant === 'queued-1w-serial') {
        finished = new Map();
        for (const input of inputs) {
          const key = await ingestQueued(input);
          keys.push(key);
          for (const [k, v] of await events.waitFor([key], RUN_TIMEOUT_MS)) finished.set(k, v);
        }
      } else {
        for (const input of inputs) keys.push(await ingestQueued(input));
        finished = await events.waitFor(keys, RUN_TIMEOUT_MS);
      }
      const ended = Math.max(...[...finished.values()].map((completion) => completion.at));
      const seconds = (ended - started) / 1000;
      const own = process.cpuUsage(ownBefore);
      const ownSeconds = (own.user + own.system) / 1e6;
      const cpuAfter = await Promise.all(pids.map(processCpuSeconds));
      const simSeconds = (await processCpuSeconds(sim.pid)) - simBefore;
      const workerSeconds = cpuAfter.reduce(
        (total, value, index) => total + value - (cpuBefore[index] ?? 0),
        0,
      );

      const failed = keys.flatMap((key, index) => {
        const completion = finished.get(key);
        return completion?.status === 'completed'
          ? []
          : [{ file: inputs[index]?.name ?? key, errorCode: completion?.errorCode ?? completion?.status }];
      });
      const facts = await roundFacts(round, keys);
      return {
        variant,
        round: roundNumber,
        loadAverageAtStart,
        seconds: round3(seconds),
        documents: keys.length,
        completed: keys.length - failed.length,
        failed,
        ...facts,
        documentsPerMinute: round3((keys.length / seconds) * 60),
        pagesPerSecond: round3(facts.pages / seconds),
        pipelineCpuSeconds: round3(variant === 'in-process' ? ownSeconds : workerSeconds),
        producerCpuSeconds: round3(variant === 'in-process' ? 0 : ownSeconds),
        simulatorCpuSeconds: round3(simSeconds),
      };
    } finally {
      events.close();
      await runtime.close();
    }
  } finally {
    await round.close();
  }
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
const pct = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;

// --- run -------------------------------------------------------------------------------------------------

const sim = await startSimulator();
const measurements: Measurement[] = [];
let machine: MachineInfo | undefined;
cleanupOnSignal(() => sim.stop());
try {
  {
    const probe = await createRound(sim);
    try {
      machine = await machineInfo(probe.db, probe.redis);
    } finally {
      await probe.close();
    }
  }
  for (let round = 0; round < rounds; round++) {
    const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
    for (const variant of order) {
      const result = await measure(sim, variant, round + 1);
      measurements.push(result);
      console.error(
        `round ${round + 1}/${rounds} ${variant.padEnd(17)} ${result.seconds.toFixed(1)} s, ` +
          `${result.completed}/${result.documents} completed, load ${result.loadAverageAtStart}`,
      );
    }
  }
} finally {
  await sim.stop();
}

// --- report ----------------------------------------------------------------------------------------------

const summary = variants.map((variant) => {
  const rows = measurements.filter((m) => m.variant === variant);
  const seconds = summarise(rows.map((m) => m.seconds));
  const first = rows[0];
  return {
    variant,
    rounds: rows.length,
    documents: first?.documents ?? 0,
    pages: first?.pages ?? 0,
    seconds,
    documentsPerMinute: round3(((first?.documents ?? 0) / seconds.median) * 60),
    pagesPerSecond: round3((first?.pages ?? 0) / seconds.median),
    pipelineCpuSeconds: round3(summarise(rows.map((m) => m.pipelineCpuSeconds)).median),
    meanDocumentLatencySeconds: round3(summarise(rows.map((m) => m.meanDocumentLatencySeconds)).median),
    stageSeconds: Object.fromEntries(
      Object.keys(first?.stageSeconds ?? {}).map((stage) => [
        stage,
        round3(summarise(rows.map((m) => m.stageSeconds[stage] ?? 0)).median),
      ]),
    ),
  };
});
const baseline = summary.find((s) => s.variant === 'in-process');
const overhead = Object.fromEntries(
  summary
    .filter((s) => s.variant !== 'in-process' && baseline !== undefined)
    .map((s) => {
      const perRound = measurements
        .filter((m) => m.variant === s.variant)
        .map((m) => {
          const partner = measurements.find((p) => p.variant === 'in-process' && p.round === m.round);
          return partner ? round3(m.seconds / partner.seconds - 1) : Number.NaN;
        });
      return [
        s.variant,
        {
          /** Wall time relative to in-process (medians); negative = faster than in-process. */
          wallTime: round3(s.seconds.median / (baseline?.seconds.median ?? 1) - 1),
          wallTimePerRound: perRound,
          /** CPU seconds of the pipeline process(es) relative to in-process: the work the queue layer adds. */
          pipelineCpu: round3(s.pipelineCpuSeconds / (baseline?.pipelineCpuSeconds ?? 1) - 1),
        },
      ];
    }),
);

const result = {
  benchmark: 'pipeline-throughput',
  machine,
  config: {
    simulatorLatencyMs: 0,
    routingMode: 'local-first (default; every model answered by the simulator)',
    stores: 'postgres lite (vector + graph)',
    files,
    copies,
    excluded: flags['include-failing'] ? [] : KNOWN_FAILING,
    warmup: `${WARMUP_FILE} + trailer, not timed`,
    rounds,
    variants,
  },
  summary,
  overhead,
  measurements,
};

const out = flags.out ?? join(REPO_ROOT, 'bench', 'results', `pipeline-throughput-${isoDay()}.json`);
await mkdir(join(out, '..'), { recursive: true });
let runs: unknown[] = [];
if (existsSync(out)) {
  const previous = JSON.parse(await readFile(out, 'utf8')) as { benchmark?: string; runs?: unknown[] };
  if (previous.benchmark === 'pipeline-throughput' && Array.isArray(previous.runs)) runs = previous.runs;
}
await writeFile(
  out,
  `${JSON.stringify({ benchmark: 'pipeline-throughput', runs: [...runs, result] }, null, 2)}\n`,
);

console.log(
  `\npipeline throughput, ${summary[0]?.documents} documents / ${summary[0]?.pages} pages, simulator latency 0, ` +
    `${machine?.cores} cores, load ${machine?.loadAverageAtStart} at start`,
);
console.log(
  '| variant | rounds | median s | min–max s | spread | docs/min | pages/s | pipeline CPU s | wall vs in-process | CPU vs in-process |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const s of summary) {
  const o = overhead[s.variant];
  console.log(
    `| ${s.variant} | ${s.rounds} | ${s.seconds.median.toFixed(1)} | ${s.seconds.min.toFixed(1)}–${s.seconds.max.toFixed(1)} | ` +
      `${pct(s.seconds.spread).replace('+', '')} | ${s.documentsPerMinute.toFixed(1)} | ${s.pagesPerSecond.toFixed(2)} | ` +
      `${s.pipelineCpuSeconds.toFixed(1)} | ${o ? pct(o.wallTime) : '—'} | ${o ? pct(o.pipelineCpu) : '—'} |`,
  );
}
const stages = Object.keys(summary[0]?.stageSeconds ?? {});
console.log(`\nin-stage seconds, summed over documents (median of rounds)`);
console.log(`| variant | ${stages.join(' | ')} | mean doc latency s |`);
console.log(`| --- | ${stages.map(() => '---:').join(' | ')} | ---: |`);
for (const s of summary)
  console.log(
    `| ${s.variant} | ${stages.map((stage) => (s.stageSeconds[stage] ?? 0).toFixed(2)).join(' | ')} | ${s.meanDocumentLatencySeconds.toFixed(2)} |`,
  );
const failures = measurements.filter((m) => m.failed.length > 0);
for (const m of failures) console.log(`round ${m.round} ${m.variant}: failed ${JSON.stringify(m.failed)}`);
console.log(`\nresults: ${out}`);
// Exit explicitly in case a library keeps a timer alive after the runtimes closed.
process.exit(failures.length > 0 ? 1 : 0);
