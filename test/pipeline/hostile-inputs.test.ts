import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isAegisError } from '@aegis/core';
import { readCapacity } from '@aegis/queue';
import {
  childPids,
  HOSTILE_INPUTS,
  type HostileRunPorts,
  PLAIN_ZIP_BOMB,
  type ProcessTreeSampler,
  runHostileCase,
  sampleProcessTree,
  textPdf,
} from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const MIB = 1024 * 1024;
const WORKER_MAIN = fileURLToPath(new URL('../../apps/worker/src/main.ts', import.meta.url));
/** The caps under test: two sandboxes of 512 MiB and a worker limit leaving 512 MiB for the worker itself. */
const LIMITS = {
  SANDBOX_PROCESSES: 2,
  SANDBOX_MEMORY_LIMIT_MB: 512,
  SANDBOX_HEAP_LIMIT_MB: 384,
  SANDBOX_RECYCLE_RSS_MB: 384,
  WORKER_MEMORY_LIMIT_MB: 1536,
};
const WORKER_SHARE_BYTES =
  (LIMITS.WORKER_MEMORY_LIMIT_MB - LIMITS.SANDBOX_PROCESSES * LIMITS.SANDBOX_MEMORY_LIMIT_MB) * MIB;
/**
 * How much later than the hostile document's own outcome the canary may complete: its own trip through the
 * six stages on a loaded machine. A canary that waited for memory (15 s per wait) or behind a crashed worker
 * would blow it.
 */
const CANARY_SLACK_MS = 45_000;

describe('built hostile inputs against a real worker process', { timeout: 900_000 }, () => {
  let harness: PipelineHarness;
  let worker: ChildProcess;
  let sampler: ProcessTreeSampler;
  let workerPid: number;
  let rssAtStart = 0;
  const stderr: string[] = [];
  let ports: HostileRunPorts;
  let canaries = 0;
  const canary = () => {
    canaries += 1;
    return { data: textPdf(`Canary ${canaries} ${Date.now()}`), displayName: `canary-${canaries}.pdf` };
  };

  beforeAll(async () => {
    harness = await createPipelineHarness({
      startWorkers: false,
      env: {
        MIGRATE_ON_START: 'false',
        SANDBOX_IDLE_MS: '1000',
        // Every sandbox must end when idle (the memory comes back), the warm one included.
        SANDBOX_WARM_PROCESSES: '0',
        // The machine is shared by several test runs: mammoth's conversions may take several seconds.
        EXTRACT_PAGE_TIMEOUT_MS: '30000',
        ...Object.fromEntries(Object.entries(LIMITS).map(([key, value]) => [key, String(value)])),
      },
    });
    worker = spawn(process.execPath, [WORKER_MAIN], {
      env: { ...process.env, ...harness.env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    worker.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    workerPid = worker.pid as number;
    sampler = sampleProcessTree(workerPid);
    // The worker is up once it reports its capacity.
    for (let tries = 0; ; tries++) {
      const { workers } = await readCapacity(harness.runtime.redis, harness.config.redis.queuePrefix);
      if (workers === 1) break;
      if (tries > 600 || worker.exitCode !== null)
        throw new Error(`worker did not start: ${stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const { producer, pipeline } = harness.runtime;
    ports = {
      ingest: (data, displayName) => producer.ingest({ data, displayName }),
      async final(documentId, version) {
        const status = await harness.waitForVersion(documentId, version, undefined, 300_000);
        const record = await pipeline.repository.getVersion(documentId, version);
        return { status, errorCode: record?.errorCode ?? null };
      },
    };
    // A first canary alone: it warms the sandbox, and the worker's resting size is measured after it.
    const warm = canary();
    const registration = await ports.ingest(warm.data, warm.displayName);
    expect((await ports.final(registration.documentId, registration.version)).status).toBe('completed');
    sampler.sample();
    rssAtStart = sampler.root().lastRssBytes;
  });

  afterAll(async () => {
    sampler?.stop();
    if (worker && worker.exitCode === null) worker.kill('SIGKILL');
    await harness?.close();
  });

  it.each(HOSTILE_INPUTS.map((input) => [input.name, input] as const))(
    '%s: ends as expected, the worker survives, a canary completes',
    async (_name, input) => {
      const result = await runHostileCase(input, ports, canary());
      console.log(
        `${result.name}: ${result.outcome} after ${Math.round(result.msToOutcome)} ms; canary ${result.canaryStatus} after ${Math.round(result.canaryMs)} ms`,
      );
      expect(result.outcome, stderr.slice(-5).join('')).toBe(result.expected);
      expect(result.canaryStatus).toBe('completed');
      expect(result.canaryMs).toBeLessThanOrEqual(result.msToOutcome + CANARY_SLACK_MS);
      // Same worker process, still running: no stage of it died with the bomb.
      expect(worker.exitCode).toBeNull();
      expect(worker.pid).toBe(workerPid);
      if (result.documentId !== undefined && result.outcome !== 'completed') {
        // A refused document leaves nothing behind in the stores.
        const { repository } = harness.runtime.pipeline;
        expect(await repository.loadPages(result.documentId, 1)).toEqual([]);
        expect(await repository.loadChunks(result.documentId, 1)).toEqual([]);
      }
    },
  );

  it('a ZIP that is no document is refused at ingestion, never unpacked', async () => {
    const refused = await harness.runtime.producer
      .ingest({ data: PLAIN_ZIP_BOMB(), displayName: 'bomb.zip' })
      .catch((error: unknown) => error);
    expect(isAegisError(refused, 'UNSUPPORTED_TYPE')).toBe(true);
  });

  it('every process stayed under its cap, the sandboxes went away and the worker gave its memory back', async () => {
    sampler.sample();
    const children = sampler.children();
    // The suite made the worker start (and kill) several sandboxes; each stayed under its cap.
    expect(children.length).toBeGreaterThan(1);
    for (const child of children) {
      expect(child.peakRssBytes, `sandbox ${child.pid}`).toBeLessThanOrEqual(
        LIMITS.SANDBOX_MEMORY_LIMIT_MB * MIB,
      );
    }
    expect(sampler.root().peakRssBytes).toBeLessThanOrEqual(WORKER_SHARE_BYTES);
    // Idle sandboxes end (SANDBOX_IDLE_MS); none is left behind, and the worker is back to its resting size.
    await expect.poll(() => childPids(workerPid).length, { timeout: 30_000 }).toBe(0);
    sampler.sample();
    expect(sampler.root().lastRssBytes).toBeLessThanOrEqual(rssAtStart + 128 * MIB);
    // And the headroom it reports says so (the report is refreshed as each sandbox exits): its limit minus what
    // the worker itself holds, nothing held for sandboxes that are gone.
    const capacity = await readCapacity(harness.runtime.redis, harness.config.redis.queuePrefix);
    expect(capacity.bestHeadroomBytes).toBeGreaterThanOrEqual(
      LIMITS.WORKER_MEMORY_LIMIT_MB * MIB - sampler.root().lastRssBytes - 64 * MIB,
    );
    expect(worker.exitCode).toBeNull();
  });
});
