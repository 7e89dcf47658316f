/**
 * bench/worker-rss: peak resident memory of ONE worker process (`node apps/worker/src/main.ts`, all stages)
 * ingesting a 300+ page PDF built with pdf-lib from corpus files, with the provider simulator at latency 0 and
 * Postgres lite stores. Parsing runs in the worker's sandbox processes (ADR 009), so the worker and its
 * sandboxes are measured apart and together (their sum sampled every 20 ms; the goal applies to the sum).
 * The worker's own RSS is read from /proc/<pid>/status: VmHWM (the kernel's high-water mark,
 * so no peak between samples is missed; PDF worker threads and sharp's native memory are in the same process)
 * and VmRSS every 100 ms, tagged with the stage running at that moment (from the progress events).
 *
 * Run: `npm run bench:rss` (or `npx node bench/worker-rss/run.ts`).
 * Flags: --pages-per-range 50,10 (EXTRACT_PAGES_PER_RANGE per measured run; default: the config default 50),
 * --min-pages N (default 300), --probe (log the worker's heap/external memory too, via memory-probe.ts),
 * --env KEY=VALUE (repeatable; extra env for the worker, e.g. MALLOC_ARENA_MAX=2), --out FILE.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { progressChannel } from '@aegis/queue';
import { sampleProcessTree } from '@aegis/testkit';
import { Redis } from 'ioredis';
import {
  CORPUS_DIR,
  cleanupOnSignal,
  createRound,
  isoDay,
  listenForCompletions,
  loadAverage,
  type MachineInfo,
  machineInfo,
  REPO_ROOT,
  spawnWorker,
  startProducerRuntime,
  startSimulator,
  stopProcess,
  waitForWorkers,
} from '../pipeline-throughput/environment.ts';
import type { ChildServer } from '../router-overhead/child-server.ts';
import { buildLongPdf } from './build-pdf.ts';

const { values: flags } = parseArgs({
  options: {
    'pages-per-range': { type: 'string', default: '50' },
    'min-pages': { type: 'string', default: '300' },
    probe: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    out: { type: 'string' },
  },
  strict: true,
});
const rangeSizes = (flags['pages-per-range'] ?? '50').split(',').map((value) => Number(value.trim()));
const minPages = Number(flags['min-pages']);
const extraEnv: Record<string, string> = Object.fromEntries(
  (flags.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
);
const PROBE = join(REPO_ROOT, 'bench', 'worker-rss', 'memory-probe.ts');
if (!existsSync(CORPUS_DIR)) {
  console.error(`corpus not found at ${CORPUS_DIR}; nothing to measure`);
  process.exit(1);
}

// standard_fonts.pdf is left out: its text carries U+0000, which Postgres refuses (see BENCHMARKS.md).
const SOURCES = ['tracemonkey.pdf', 'TAMReview.pdf'];
const GOAL_MIB = 600;
const SAMPLE_MS = 100;
const TIMEOUT_MS = 900_000;
const MIB = 1024 * 1024;

interface MemoryStatus {
  rssKiB: number;
  hwmKiB: number;
}

async function readStatus(pid: number): Promise<MemoryStatus> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM') };
}

const toMiB = (kib: number): number => Math.round((kib / 1024) * 10) / 10;

interface RssRun {
  pagesPerRange: number;
  loadAverageAtStart: number;
  status: string;
  errorCode?: string | undefined;
  seconds: number;
  pages: number;
  pagesPerSecond: number;
  idleRssMiB: number;
  /** The worker process alone (VmHWM): parsing runs in its sandbox processes, not in it. */
  peakRssMiB: number;
  peakRssMB: number;
  /** The worker and its parsing sandboxes together, the highest sum sampled (what the host must give it). */
  peakTreeRssMiB: number;
  /**
   * The same tree's proportional set sizes together, highest sum sampled: pages shared by several processes (the
   * Node binary, libraries) counted once, as the host's memory holds them; summed RSS counts them per process.
   */
  peakTreePssMiB: number;
  /** The largest single sandbox process sampled. */
  peakSandboxRssMiB: number;
  /** Highest VmRSS sample while each stage was running (stages overlap only at hand-off moments). */
  peakRssByStageMiB: Record<string, number>;
  stageSeconds: Record<string, number>;
  plan: unknown;
  chunks: number;
  imagesDescribed: number;
  imagesTotal: number;
  underGoal: boolean;
  workerEnv: Record<string, string>;
  /** With --probe: per stage, the main thread's largest memoryUsage() figures (MiB). */
  probeByStageMiB?: Record<
    string,
    { rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number }
  >;
  /** Every 10th sample: [seconds since ingest, VmRSS MiB, stage]. */
  timeline: Array<[number, number, string]>;
}

async function measure(sim: ChildServer, pdf: Uint8Array, pagesPerRange: number): Promise<RssRun> {
  const loadAverageAtStart = await loadAverage();
  const round = await createRound(sim, { EXTRACT_PAGES_PER_RANGE: String(pagesPerRange) });
  const stageListener = new Redis(round.env.REDIS_URL as string);
  try {
    const runtime = await startProducerRuntime(round);
    const events = await listenForCompletions(round);
    try {
      const probeDir = flags.probe ? await mkdtemp(join(tmpdir(), 'aegis-bench-probe-')) : undefined;
      const probeLog = probeDir ? join(probeDir, 'memory.jsonl') : undefined;
      const worker = spawnWorker(round, {
        ...extraEnv,
        ...(probeLog ? { NODE_OPTIONS: `--import=${PROBE}`, AEGIS_BENCH_MEMORY_LOG: probeLog } : {}),
      });
      const pid = worker.pid ?? -1;
      await waitForWorkers(round, 1);
      // Let start-up settle (module loading, first capacity report) before reading the idle figure.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const idle = await readStatus(pid);

      let stage = 'idle';
      const stageChanges: Array<[number, string]> = [[0, 'idle']];
      stageListener.on('message', (_channel: string, message: string) => {
        const event = JSON.parse(message) as { type: string; stage?: string; status?: string };
        if (event.type === 'stage' && event.status === 'running' && event.stage && event.stage !== stage) {
          stage = event.stage;
          stageChanges.push([Date.now(), stage]);
        }
      });
      await stageListener.subscribe(progressChannel(round.prefix));

      const samples: Array<{ at: number; rssKiB: number; stage: string }> = [];
      const tree = sampleProcessTree(pid, 20);
      const started = performance.now();
      const timer = setInterval(() => {
        readStatus(pid).then(
          (status) =>
            samples.push({ at: (performance.now() - started) / 1000, rssKiB: status.rssKiB, stage }),
          () => {},
        );
      }, SAMPLE_MS);
      let completion: { status: string; at: number; errorCode?: string | undefined };
      let key: string;
      try {
        const registration = await runtime.producer.ingest({ data: pdf, displayName: 'long-book.pdf' });
        key = `${registration.documentId}/${registration.version}`;
        completion = (await events.waitFor([key], TIMEOUT_MS)).get(key) as typeof completion;
      } finally {
        clearInterval(timer);
        tree.sample();
        tree.stop();
      }
      const peak = await readStatus(pid);
      const treePeaks = tree.window();
      const seconds = (completion.at - started) / 1000;
      const [documentId, version] = key.split('/') as [string, string];
      const pool = round.db.pool;
      const [versionRow, stages, chunks, images] = await Promise.all([
        pool.query<{ plan: unknown; page_count: number | null }>(
          'SELECT plan, page_count FROM document_versions WHERE document_id = $1 AND version = $2',
          [documentId, Number(version)],
        ),
        pool.query<{ stage: string; ms: number | null }>(
          'SELECT stage, duration_ms AS ms FROM stage_runs WHERE document_id = $1 AND version = $2',
          [documentId, Number(version)],
        ),
        pool.query<{ n: number }>('SELECT count(*)::int AS n FROM document_chunks WHERE document_id = $1', [
          documentId,
        ]),
        pool.query<{ described: number; total: number }>(
          "SELECT count(*) FILTER (WHERE status = 'described')::int AS described, count(*)::int AS total FROM document_images WHERE document_id = $1",
          [documentId],
        ),
      ]);
      await stopProcess(worker);
      let probeByStageMiB: RssRun['probeByStageMiB'];
      if (probeLog && probeDir) {
        probeByStageMiB = {};
        const lines = (await readFile(probeLog, 'utf8')).trim().split('\n');
        for (const line of lines) {
          const usage = JSON.parse(line) as Record<
            'at' | 'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers',
            number
          >;
          const at = stageChanges.findLast(([since]) => since <= usage.at)?.[1] ?? 'idle';
          const row = probeByStageMiB[at] ?? {
            rss: 0,
            heapTotal: 0,
            heapUsed: 0,
            external: 0,
            arrayBuffers: 0,
          };
          probeByStageMiB[at] = row;
          for (const field of ['rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers'] as const)
            row[field] = Math.max(row[field], Math.round(usage[field] / MIB));
        }
        await rm(probeDir, { recursive: true, force: true });
      }
      const pages = versionRow.rows[0]?.page_count ?? 0;
      const peakByStage: Record<string, number> = {};
      for (const sample of samples)
        peakByStage[sample.stage] = Math.max(peakByStage[sample.stage] ?? 0, toMiB(sample.rssKiB));
      const peakRssMiB = toMiB(peak.hwmKiB);
      return {
        pagesPerRange,
        loadAverageAtStart,
        status: completion.status,
        errorCode: completion.errorCode,
        seconds: Math.round(seconds * 10) / 10,
        pages,
        pagesPerSecond: Math.round((pages / seconds) * 100) / 100,
        idleRssMiB: toMiB(idle.rssKiB),
        peakRssMiB,
        peakRssMB: Math.round((peak.hwmKiB * 1024) / 1e6),
        peakTreeRssMiB: Math.round(treePeaks.treeRssBytes / MIB),
        peakTreePssMiB: Math.round(treePeaks.treePssBytes / MIB),
        peakSandboxRssMiB: Math.round(treePeaks.childRssBytes / MIB),
        peakRssByStageMiB: peakByStage,
        stageSeconds: Object.fromEntries(stages.rows.map((row) => [row.stage, (row.ms ?? 0) / 1000])),
        plan: versionRow.rows[0]?.plan ?? null,
        chunks: chunks.rows[0]?.n ?? 0,
        imagesDescribed: images.rows[0]?.described ?? 0,
        imagesTotal: images.rows[0]?.total ?? 0,
        underGoal: Math.max(peak.hwmKiB * 1024, treePeaks.treeRssBytes) < GOAL_MIB * MIB,
        workerEnv: extraEnv,
        probeByStageMiB,
        timeline: samples
          .filter((_, index) => index % 10 === 0)
          .map((s) => [Math.round(s.at * 10) / 10, toMiB(s.rssKiB), s.stage]),
      };
    } finally {
      events.close();
      await runtime.close();
    }
  } finally {
    stageListener.disconnect();
    await round.close();
  }
}

const built = await buildLongPdf(CORPUS_DIR, SOURCES, minPages);
console.error(
  `built ${built.pages} pages (${SOURCES.join(' + ')} x${built.repetitions}), ${(built.data.byteLength / MIB).toFixed(1)} MiB`,
);
const sim = await startSimulator();
cleanupOnSignal(() => sim.stop());
const runs: RssRun[] = [];
let machine: MachineInfo | undefined;
try {
  const probe = await createRound(sim);
  try {
    machine = await machineInfo(probe.db, probe.redis);
  } finally {
    await probe.close();
  }
  for (const size of rangeSizes) {
    const result = await measure(sim, built.data, size);
    runs.push(result);
    console.error(
      `pages per range ${size}${Object.keys(extraEnv).length > 0 ? ` ${JSON.stringify(extraEnv)}` : ''}: ${result.status}, worker peak ${result.peakRssMiB} MiB, tree ${result.peakTreeRssMiB} MiB RSS / ${result.peakTreePssMiB} MiB PSS, ${result.seconds} s`,
    );
  }
} finally {
  await sim.stop();
}

const result = {
  benchmark: 'worker-rss',
  machine,
  input: {
    sources: SOURCES,
    repetitions: built.repetitions,
    pages: built.pages,
    bytes: built.data.byteLength,
  },
  config: { simulatorLatencyMs: 0, stores: 'postgres lite', goalMiB: GOAL_MIB, sampleMs: SAMPLE_MS },
  runs,
};
const out = flags.out ?? join(REPO_ROOT, 'bench', 'results', `worker-rss-${isoDay()}.json`);
await mkdir(join(out, '..'), { recursive: true });
let previous: unknown[] = [];
if (existsSync(out)) {
  const file = JSON.parse(await readFile(out, 'utf8')) as { benchmark?: string; runs?: unknown[] };
  if (file.benchmark === 'worker-rss' && Array.isArray(file.runs)) previous = file.runs;
}
await writeFile(
  out,
  `${JSON.stringify({ benchmark: 'worker-rss', runs: [...previous, result] }, null, 2)}\n`,
);

console.log(
  `\nworker RSS, ${built.pages}-page PDF (${(built.data.byteLength / MIB).toFixed(1)} MiB), one worker process, ` +
    `goal < ${GOAL_MIB} MiB; load ${machine?.loadAverageAtStart} at start`,
);
console.log(
  '| pages/range | status | worker peak RSS MiB (VmHWM) | largest sandbox MiB | worker + sandboxes MiB | idle RSS MiB | seconds | pages/s | ranges | under goal |',
);
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const run of runs) {
  const ranges = (run.plan as { pageRanges?: unknown[] } | null)?.pageRanges?.length ?? 0;
  console.log(
    `| ${run.pagesPerRange} | ${run.status}${run.errorCode ? ` (${run.errorCode})` : ''} | ${run.peakRssMiB} | ${run.peakSandboxRssMiB} | ${run.peakTreeRssMiB} | ${run.idleRssMiB} | ` +
      `${run.seconds} | ${run.pagesPerSecond} | ${ranges} | ${run.underGoal ? 'yes' : 'NO'} |`,
  );
}
for (const run of runs) {
  console.log(`\npages/range ${run.pagesPerRange}: peak VmRSS sample per stage (MiB), in-stage seconds`);
  console.log('| stage | peak VmRSS MiB | seconds |');
  console.log('| --- | ---: | ---: |');
  for (const [stage, mib] of Object.entries(run.peakRssByStageMiB))
    console.log(`| ${stage} | ${mib} | ${run.stageSeconds[stage]?.toFixed(1) ?? '—'} |`);
  console.log(`plan: ${JSON.stringify(run.plan)}`);
  if (run.probeByStageMiB) {
    console.log('main-thread memoryUsage() maxima per stage (MiB; worker threads are in RSS only)');
    console.log('| stage | rss | heapTotal | heapUsed | external | arrayBuffers |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const [stage, m] of Object.entries(run.probeByStageMiB))
      console.log(
        `| ${stage} | ${m.rss} | ${m.heapTotal} | ${m.heapUsed} | ${m.external} | ${m.arrayBuffers} |`,
      );
  }
}
console.log(`\nresults: ${out}`);
process.exit(runs.every((run) => run.status === 'completed') ? 0 : 1);
