import { progressChannel } from '@aegis/queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('cancel', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness({
      env: {
        LLM_EMBED_BATCH_SIZE: '2',
        CHUNK_TARGET_TOKENS: '48',
        CHUNK_MAX_TOKENS: '96',
        CHUNK_OVERLAP_TOKENS: '0',
      },
    });
  });
  afterAll(async () => harness.close());

  it('stops within one batch and removes the in-flight version’s partial writes', async () => {
    const { producer, pipeline } = harness.runtime;
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 200 });
    const text = `# Cancel me\n\n${Array.from({ length: 30 }, (_, index) => `Paragraph ${index} mentions Margaret Hamilton and Apollo guidance software.`).join('\n\n')}`;
    const registration = await producer.ingest({
      data: new TextEncoder().encode(text),
      displayName: 'cancel-me.md',
    });
    const { documentId, version } = registration;

    const listener = new Redis(harness.env.REDIS_URL as string);
    await listener.subscribe(progressChannel(harness.config.redis.queuePrefix));
    await new Promise<void>((resolve) => {
      listener.on('message', (_channel: string, message: string) => {
        const event = JSON.parse(message) as { documentId: string; stage?: string; done?: number };
        if (event.documentId === documentId && event.stage === 'embed' && (event.done ?? 0) >= 2) resolve();
      });
    });
    listener.disconnect();
    expect(await pipeline.vectors.count({ documentId, version })).toBeGreaterThan(0);

    const embedsAtCancel = harness.sim.count('ollama', 'embed');
    await producer.cancel(documentId, version);
    expect(await harness.waitForVersion(documentId, version)).toBe('cancelled');

    // At most the batch in flight when the cancel arrived was still sent.
    expect(harness.sim.count('ollama', 'embed') - embedsAtCancel).toBeLessThanOrEqual(1);
    expect(await pipeline.vectors.count({ documentId, version })).toBe(0);
    expect((await pipeline.graph.counts({ documentId, version })).chunks).toBe(0);
    expect(await pipeline.repository.loadChunks(documentId, version)).toEqual([]);
    expect(await pipeline.repository.loadPages(documentId, version)).toEqual([]);
    const runs = await pipeline.repository.stageRuns(documentId, version);
    expect(runs.find((run) => run.stage === 'embed')?.status).toBe('cancelled');
    expect(runs.find((run) => run.stage === 'graph')?.status).toBe('cancelled');
  });

  it('cancels a queued version that never started, at once', async () => {
    const { producer, pipeline } = harness.runtime;
    await harness.runtime.queues.queue('memory-check').pause();
    try {
      const registration = await producer.ingest({
        data: new TextEncoder().encode('# Never started\n\nHello.'),
        displayName: 'queued.md',
      });
      await producer.cancel(registration.documentId, registration.version);
      expect(
        (await pipeline.repository.getVersion(registration.documentId, registration.version))?.status,
      ).toBe('cancelled');
      expect(await harness.runtime.queues.state({ ...registration, run: 1 }, 'memory-check')).toBe('missing');
      // A final version refuses a second cancel with a code instead of pretending to cancel it.
      await expect(producer.cancel(registration.documentId, registration.version)).rejects.toMatchObject({
        code: 'DOCUMENT_FINAL',
      });
    } finally {
      await harness.runtime.queues.queue('memory-check').resume();
    }
  });
});
