/**
 * bench/hostile-inputs: every hostile input of the suite (built on the fly: zip bombs, lying archive headers,
 * deep and huge XML, a 1 GB FlateDecode PDF, giant images declared and real), each ingested together with a
 * small canary PDF into ONE worker process (`node apps/worker/src/main.ts`, all stages, the provider simulator
 * at latency 0, Postgres lite stores), as a user runs it. Per input: the outcome (code) and the time from
 * ingestion to it, the peak resident memory of the worker process, of the largest sandbox process and of the
 * whole process tree during that case (sampled every 20 ms from /proc), and the canary's delay: its time to
 * completion minus its median time alone (measured first, 3 runs).
 *
 * Run: `npm run bench:hostile` (or `npx node bench/hostile-inputs/run.ts`). Flags: --out FILE,
 * --env KEY=VALUE (repeatable; worker settings, e.g. SANDBOX_MEMORY_LIMIT_MB=1024).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { VersionStatus } from '@aegis/core';
import {
  HOSTILE_INPUTS,
  type HostileRunPorts,
  runHostileCase,
  sampleProcessTree,
  textPdf,
} from '@aegis/testkit';
import {
  cleanupOnSignal,
  createRound,
  isoDay,
  machineInfo,
  REPO_ROOT,
  spawnWorker,
  startProducerRuntime,
  startSimulator,
  waitForWorkers,
} from '../pipeline-throughput/environment.ts';

const { values: flags } = parseArgs({
  options: { out: { type: 'string' }, env: { type: 'string', multiple: true, default: [] } },
  strict: true,
});
const MIB = 1024 * 1024;
/** The defaults of .env.example, stated so the table says what it was measured with. */
const WORKER_ENV: Record<string, string> = {
  WORKER_MEMORY_LIMIT_MB: '2048',
  SANDBOX_PROCESSES: '2',
  SANDBOX_MEMORY_LIMIT_MB: '768',
  SANDBOX_HEAP_LIMIT_MB: '512',
  SANDBOX_IDLE_MS: '5000',
  EXTRACT_PAGE_TIMEOUT_MS: '30000',
  ...Object.fromEntries(
    (flags.env ?? []).map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  ),
};

const sim = await startSimulator();
cleanupOnSignal(() => sim.stop());
const round = await createRound(sim, WORKER_ENV);
const runtime = await startProducerRuntime(round);
const worker = spawnWorker(round);
await waitForWorkers(round, 1, 60_000);
const sampler = sampleProcessTree(worker.pid as number);

const ports: HostileRunPorts = {
  ingest: (data, displayName) => runtime.producer.ingest({ data, displayName }),
  async final(documentId, version) {
    for (;;) {
      const record = await runtime.pipeline.repository.getVersion(documentId, version);
      const status = record?.status as VersionStatus | undefined;
      if (status === 'completed' || status === 'failed' || status === 'cancelled') {
        // What the document was told, for outcomes that differ from the expected code.
        if (status === 'failed')
          console.error(`  ${record?.errorCode}: ${record?.errorMessage?.slice(0, 300)}`);
        return { status, errorCode: record?.errorCode ?? null };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  },
};
let canaries = 0;
const canary = () => {
  canaries += 1;
  return { data: textPdf(`Canary ${canaries} ${Date.now()}`), displayName: `canary-${canaries}.pdf` };
};

// The canary alone, three times after one warm-up: its delay in each case is measured against the median.
const alone: number[] = [];
for (let i = 0; i < 4; i++) {
  const { data, displayName } = canary();
  const started = performance.now();
  const registration = await ports.ingest(data, displayName);
  await ports.final(registration.documentId, registration.version);
  if (i > 0) alone.push(performance.now() - started);
}
alone.sort((a, b) => a - b);
const canaryAloneMs = alone[1] ?? 0;
const workerRestingRss = sampler.root().lastRssBytes;

interface Row {
  name: string;
  bytes: number;
  outcome: string;
  expected: string;
  msToOutcome: number;
  workerPeakMiB: number;
  sandboxPeakMiB: number;
  treePeakMiB: number;
  canaryMs: number;
  canaryDelayMs: number;
  canaryStatus: string;
  workerPid: number | undefined;
}
const rows: Row[] = [];
for (const input of HOSTILE_INPUTS) {
  sampler.resetWindow();
  const result = await runHostileCase(input, ports, canary());
  sampler.sample();
  const peaks = sampler.window();
  const row: Row = {
    name: result.name,
    bytes: result.bytes,
    outcome: result.outcome,
    expected: result.expected,
    msToOutcome: Math.round(result.msToOutcome),
    workerPeakMiB: Math.round(peaks.rootRssBytes / MIB),
    sandboxPeakMiB: Math.round(peaks.childRssBytes / MIB),
    treePeakMiB: Math.round(peaks.treeRssBytes / MIB),
    canaryMs: Math.round(result.canaryMs),
    canaryDelayMs: Math.round(Math.max(0, result.canaryMs - canaryAloneMs)),
    canaryStatus: result.canaryStatus,
    workerPid: worker.exitCode === null ? worker.pid : undefined,
  };
  rows.push(row);
  console.error(`${row.name}: ${row.outcome} in ${row.msToOutcome} ms, canary +${row.canaryDelayMs} ms`);
}

const size = (bytes: number): string =>
  bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`;
const table = [
  '| hostile input | file | outcome | time to outcome | worker peak RSS | largest sandbox peak RSS | process tree peak | canary delay |',
  '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.name} | ${size(r.bytes)} | ${r.outcome}${r.outcome === r.expected ? '' : ` (expected ${r.expected})`} | ${(r.msToOutcome / 1000).toFixed(1)} s | ${r.workerPeakMiB} MiB | ${r.sandboxPeakMiB} MiB | ${r.treePeakMiB} MiB | ${(r.canaryDelayMs / 1000).toFixed(1)} s |`,
  ),
].join('\n');
const report = {
  benchmark: 'hostile-inputs',
  machine: await machineInfo(round.db, round.redis),
  workerEnv: WORKER_ENV,
  canaryAloneMs: Math.round(canaryAloneMs),
  workerRestingRssMiB: Math.round(workerRestingRss / MIB),
  workerLifetimePeakRssMiB: Math.round(sampler.root().peakRssBytes / MIB),
  sandboxLifetimePeaksMiB: sampler.children().map((child) => Math.round(child.peakRssBytes / MIB)),
  sameWorkerPidThroughout: rows.every((r) => r.workerPid === worker.pid),
  rows,
};
console.log(table);
console.log(
  `\ncanary alone: ${report.canaryAloneMs} ms; worker resting ${report.workerRestingRssMiB} MiB, lifetime peak ${report.workerLifetimePeakRssMiB} MiB; sandbox lifetime peaks ${report.sandboxLifetimePeaksMiB.join(', ')} MiB`,
);
const out = flags.out ?? join(REPO_ROOT, 'bench', 'results', `hostile-inputs-${isoDay()}.json`);
await mkdir(join(out, '..'), { recursive: true });
await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
console.error(`written to ${out}`);

sampler.stop();
await runtime.close();
await round.close();
await sim.stop();
