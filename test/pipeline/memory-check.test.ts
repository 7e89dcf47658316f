import { isAegisError } from '@aegis/core';
import { createSandboxPool, type PipelineDeps } from '@aegis/pipeline';
import {
  assertNoEviction,
  createProgressPublisher,
  startStageWorkers,
  wakeMemoryWaiters,
} from '@aegis/queue';
import { flateBombPdf, type PrivateRedis, startPrivateRedis, textPdf } from '@aegis/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const GIB = 1024 ** 3;

/** A memory-check worker over `pipeline` that publishes progress events (waitForVersion listens to them). */
function startMemoryCheck(harness: PipelineHarness, pipeline: PipelineDeps): { close(): Promise<void> } {
  const publisher = new Redis(harness.env.REDIS_URL as string);
  const workers = startStageWorkers({
    stages: ['memory-check'],
    connection: new Redis(harness.env.REDIS_URL as string, { maxRetriesPerRequest: null }),
    prefix: harness.config.redis.queuePrefix,
    processor: {
      pipeline,
      queues: harness.runtime.queues,
      publish: createProgressPublisher(publisher, harness.config.redis.queuePrefix),
    },
  });
  return {
    async close() {
      await workers.close();
      publisher.disconnect();
    },
  };
}

describe('memory check through the queue', { timeout: 120_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness({ startWorkers: false });
  });
  afterAll(async () => harness.close());

  it('delays a document no worker has room for now, without consuming an attempt', async () => {
    const { runtime } = harness;
    // Workers report no headroom right now, though a big enough limit: the job must wait, not fail.
    const pipeline = {
      ...runtime.pipeline,
      capacity: async () => ({ workers: 1, bestHeadroomBytes: 0, largestLimitBytes: 8 * GIB }),
    };
    const workers = startStageWorkers({
      stages: ['memory-check'],
      connection: new Redis(harness.env.REDIS_URL as string, { maxRetriesPerRequest: null }),
      prefix: harness.config.redis.queuePrefix,
      processor: { pipeline, queues: runtime.queues, publish: () => {} },
    });
    try {
      const registration = await runtime.producer.ingest({
        data: new TextEncoder().encode('# Wait\n\nFor memory.'),
        displayName: 'wait.md',
      });
      const job = { documentId: registration.documentId, version: registration.version, run: 1 };
      let state = 'waiting';
      for (let attempt = 0; attempt < 200 && state !== 'delayed'; attempt += 1) {
        state = await runtime.queues.state(job, 'memory-check');
        if (state !== 'delayed') await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(state).toBe('delayed');
      const stored = await runtime.queues
        .queue('memory-check')
        .getJob(`${job.documentId}-v1-memory-check-r1`);
      expect(stored?.attemptsMade).toBe(0);
      const runs = await runtime.pipeline.repository.stageRuns(job.documentId, job.version);
      expect(runs.find((run) => run.stage === 'memory-check')).toMatchObject({
        status: 'waiting',
        errorMessage: expect.stringContaining('headroom'),
      });
    } finally {
      await workers.close();
    }
  });

  it('a document delayed for memory is woken when memory frees, not at the end of its delay', async () => {
    const { runtime } = harness;
    let room = 0;
    const pipeline = {
      ...runtime.pipeline,
      // Ten minutes: far longer than the test may take, so completing proves the wake-up.
      options: { ...runtime.pipeline.options, memoryRetryDelayMs: 600_000 },
      capacity: async () => ({ workers: 1, bestHeadroomBytes: room, largestLimitBytes: 8 * GIB }),
    };
    const workers = startMemoryCheck(harness, pipeline);
    try {
      const waiting = await runtime.producer.ingest({
        data: new TextEncoder().encode('# Woken\n\nWhen memory frees.'),
        displayName: 'woken.md',
      });
      const job = { documentId: waiting.documentId, version: waiting.version, run: 1 };
      await expect.poll(() => runtime.queues.state(job, 'memory-check'), { timeout: 30_000 }).toBe('delayed');
      // Nothing freed yet: a wake-up promotes the job (and the first test's, still waiting in this queue),
      // which checks again and is delayed again.
      expect(await wakeMemoryWaiters(runtime.queues)).toBeGreaterThanOrEqual(1);
      await expect.poll(() => runtime.queues.state(job, 'memory-check'), { timeout: 30_000 }).toBe('delayed');
      // A job delayed for another reason (an outage's backoff) is left alone.
      const other = { documentId: 'not-a-memory-wait', version: 1, run: 1 };
      await runtime.queues
        .queue('memory-check')
        .add('memory-check', other, { delay: 600_000, jobId: 'outage-wait' });
      // Memory frees: the next wake-up lets the document through at once.
      room = 8 * GIB;
      expect(await wakeMemoryWaiters(runtime.queues)).toBeGreaterThanOrEqual(1);
      await expect
        .poll(
          async () => (await runtime.pipeline.repository.getVersion(job.documentId, 1))?.plan?.pageCount,
          {
            timeout: 30_000,
          },
        )
        .toBe(1);
      await expect
        .poll(() => runtime.queues.state(job, 'memory-check'), { timeout: 30_000 })
        .toBe('completed');
      const stored = await runtime.queues
        .queue('memory-check')
        .getJob(`${job.documentId}-v1-memory-check-r1`);
      // No attempt was spent on the waits: the job never failed (completion itself may count as its attempt).
      expect(stored?.failedReason ?? '').toBe('');
      expect(stored?.stacktrace ?? []).toEqual([]);
      expect(stored?.attemptsMade ?? 0).toBeLessThanOrEqual(1);
      expect(
        await runtime.queues
          .queue('memory-check')
          .getJob('outage-wait')
          .then((j) => j?.getState()),
      ).toBe('delayed');
      await runtime.queues.queue('memory-check').remove('outage-wait');
    } finally {
      await workers.close();
    }
  });

  it('fails a document that no worker could ever fit with DOCUMENT_TOO_LARGE', async () => {
    const { runtime } = harness;
    const pipeline = {
      ...runtime.pipeline,
      capacity: async () => ({
        workers: 2,
        bestHeadroomBytes: 64 * 1024 ** 2,
        largestLimitBytes: 128 * 1024 ** 2,
      }),
    };
    const workers = startMemoryCheck(harness, pipeline);
    try {
      const registration = await runtime.producer.ingest({
        data: new TextEncoder().encode('# Too big\n\nFor any worker.'),
        displayName: 'too-big.md',
      });
      expect(
        await harness.waitForVersion(registration.documentId, registration.version, ['failed'], 30_000),
      ).toBe('failed');
      const record = await runtime.pipeline.repository.getVersion(
        registration.documentId,
        registration.version,
      );
      expect(record?.errorCode).toBe('DOCUMENT_TOO_LARGE');
    } finally {
      await workers.close();
    }
  });
});

describe('memory check inspects in the sandbox, once per version', { timeout: 120_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness({ startWorkers: false });
  });
  afterAll(async () => harness.close());

  it('a PDF waiting for memory is inspected once however often it waits, then planned from the stored count', async () => {
    const { runtime } = harness;
    const sandbox = createSandboxPool({ size: 1 });
    let room = 0;
    let waits = 0;
    let sawEnoughWaits: () => void = () => {};
    const enoughWaits = new Promise<void>((resolve) => {
      sawEnoughWaits = resolve;
    });
    const pipeline = {
      ...runtime.pipeline,
      sandbox,
      options: { ...runtime.pipeline.options, memoryRetryDelayMs: 20 },
      capacity: async () => ({ workers: 1, bestHeadroomBytes: room, largestLimitBytes: 8 * GIB }),
    };
    const workers = startStageWorkers({
      stages: ['memory-check'],
      connection: new Redis(harness.env.REDIS_URL as string, { maxRetriesPerRequest: null }),
      prefix: harness.config.redis.queuePrefix,
      processor: {
        pipeline,
        queues: runtime.queues,
        publish: (event) => {
          if (event.type === 'stage' && event.status === 'waiting' && ++waits >= 4) sawEnoughWaits();
        },
      },
    });
    try {
      const registration = await runtime.producer.ingest({
        data: textPdf('Waits for memory'),
        displayName: 'wait.pdf',
      });
      await enoughWaits;
      expect(sandbox.stats().tasksRun).toBe(1);
      const waiting = await runtime.pipeline.repository.getVersion(
        registration.documentId,
        registration.version,
      );
      expect(waiting?.pageCount).toBe(1);
      room = 8 * GIB;
      await expect
        .poll(
          async () =>
            (await runtime.pipeline.repository.getVersion(registration.documentId, 1))?.plan?.pageCount,
          {
            timeout: 30_000,
          },
        )
        .toBe(1);
      expect(sandbox.stats().tasksRun).toBe(1);
    } finally {
      await workers.close();
      await sandbox.close();
    }
  });

  it('a PDF bomb fails at the memory check on its first attempt (RESOURCE_LIMIT_EXCEEDED), the sandbox replaced', async () => {
    const { runtime } = harness;
    const sandbox = createSandboxPool({ size: 1, memoryLimitMb: 384, heapLimitMb: 256 });
    const pipeline = { ...runtime.pipeline, sandbox };
    const workers = startMemoryCheck(harness, pipeline);
    try {
      const registration = await runtime.producer.ingest({
        data: flateBombPdf(1024),
        displayName: 'flate-bomb.pdf',
      });
      expect(await harness.waitForVersion(registration.documentId, 1, ['failed'], 60_000)).toBe('failed');
      const record = await runtime.pipeline.repository.getVersion(registration.documentId, 1);
      expect(record?.errorCode).toBe('RESOURCE_LIMIT_EXCEEDED');
      const job = await runtime.queues
        .queue('memory-check')
        .getJob(`${registration.documentId}-v1-memory-check-r1`);
      expect(job?.attemptsMade).toBe(1);
      expect(sandbox.stats()).toMatchObject({ processesKilled: 1 });
      expect(sandbox.stats().peakRssBytes).toBeLessThanOrEqual(384 * 1024 * 1024);
    } finally {
      await workers.close();
      await sandbox.close();
    }
  });
});

describe('Redis eviction policy', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis();
  });
  afterAll(async () => redis.stop());

  it('refuses a Redis that may evict keys, and accepts noeviction', async () => {
    const client = new Redis(redis.url);
    try {
      await expect(assertNoEviction(client)).resolves.toBeUndefined();
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const error = await assertNoEviction(client).catch((caught: unknown) => caught);
      expect(isAegisError(error, 'REDIS_EVICTION_POLICY')).toBe(true);
      expect((error as Error).message).toContain('allkeys-lru');
    } finally {
      client.disconnect();
    }
  });
});
