import { stageJobId } from '@aegis/core';
import { reconcile } from '@aegis/queue';
import { UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/**
 * What BullMQ decides on its own, reproduced exactly: a worker of the test takes the memory-check job and fails
 * it with the reason BullMQ (or our processor) would give; the reconciler must bring it into Postgres.
 */
describe('the reconciler and failures BullMQ decided', { timeout: 120_000 }, () => {
  let harness: PipelineHarness;
  let connection: Redis;
  beforeAll(async () => {
    // No stage workers and no periodic reconciler: the test drives both.
    harness = await createPipelineHarness({ startWorkers: false });
    connection = new Redis(harness.env.REDIS_URL as string, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    connection.disconnect();
    await harness.close();
  });

  let documents = 0;
  async function failWith(reason: string) {
    documents += 1;
    const registration = await harness.runtime.producer.ingest({
      data: new TextEncoder().encode(`# Reconcile ${documents}\n\nGrace Hopper.`),
      displayName: `reconcile-${documents}.md`,
    });
    await failNext(reason);
    return registration;
  }

  async function failNext(reason: string): Promise<void> {
    const failed = new Promise<void>((resolve) => {
      const worker = new Worker(
        'memory-check',
        async () => {
          throw new UnrecoverableError(reason);
        },
        { connection, prefix: harness.config.redis.queuePrefix, autorun: false },
      );
      worker.on('failed', () => {
        void worker.close().then(resolve);
      });
      void worker.run();
    });
    await failed;
  }

  const reconcileNow = () =>
    reconcile({
      pipeline: harness.runtime.pipeline,
      queues: harness.runtime.queues,
      redis: harness.runtime.redis,
      publish: () => {},
      maxCrashes: 2,
    });

  it('a job given up because its workers kept dying goes back to work, and fails WORKER_CRASHED past the limit', async () => {
    const { documentId, version } = await failWith('job stalled more than allowable limit');
    const jobId = stageJobId(documentId, version, 'memory-check', 1);
    for (let crash = 1; crash <= 2; crash += 1) {
      const report = await reconcileNow();
      expect(report.requeued).toContainEqual(expect.objectContaining({ documentId, stage: 'memory-check' }));
      expect(await (await harness.runtime.queues.queue('memory-check').getJob(jobId))?.getState()).toBe(
        'waiting',
      );
      const runs = await harness.runtime.pipeline.repository.stageRuns(documentId, version);
      expect(runs[0]).toMatchObject({ status: 'queued', crashes: crash });
      await failNext('job stalled more than allowable limit');
    }
    const report = await reconcileNow();
    expect(report.failed).toContainEqual({
      documentId,
      version,
      stage: 'memory-check',
      code: 'WORKER_CRASHED',
    });
    expect(await harness.runtime.pipeline.repository.getVersion(documentId, version)).toMatchObject({
      status: 'failed',
      errorCode: 'WORKER_CRASHED',
    });
  });

  it('a failure the processor could not write (Postgres down) is recorded with its code', async () => {
    const { documentId, version } = await failWith('PDF_INVALID: the file is not a PDF');
    const report = await reconcileNow();
    expect(report.failed).toContainEqual({ documentId, version, stage: 'memory-check', code: 'PDF_INVALID' });
    const record = await harness.runtime.pipeline.repository.getVersion(documentId, version);
    expect(record).toMatchObject({
      status: 'failed',
      errorCode: 'PDF_INVALID',
      errorMessage: 'the file is not a PDF',
    });
  });

  it('a job failed for our infrastructure (lost lock, an outage code) goes back to work without a crash counted', async () => {
    for (const reason of [
      'Missing lock for job x. moveToFinished',
      'DATABASE_UNAVAILABLE: Postgres is down',
    ]) {
      const { documentId, version } = await failWith(reason);
      const report = await reconcileNow();
      expect(report.requeued).toContainEqual(expect.objectContaining({ documentId, stage: 'memory-check' }));
      const runs = await harness.runtime.pipeline.repository.stageRuns(documentId, version);
      expect(runs[0]).toMatchObject({ status: 'queued', crashes: 0 });
      // Drain it again, so the next case's worker takes the next document's job.
      await failNext('DATABASE_UNAVAILABLE: drained by the test');
      await harness.runtime.pipeline.repository.setVersionStatus(documentId, version, 'cancelled');
    }
  });
});
