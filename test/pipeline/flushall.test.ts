import { type PrivateRedis, startPrivateRedis } from '@aegis/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const doc = (index: number) =>
  new TextEncoder().encode(
    `# Document ${index}\n\n${`Paragraph about Grace Hopper and COBOL number ${index}. `.repeat(60)}\n\n## More\n\nAda Lovelace, Charles Babbage.\n`,
  );

describe('Redis FLUSHALL in the middle of a run', { timeout: 180_000 }, () => {
  let redis: PrivateRedis;
  let harness: PipelineHarness;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    harness = await createPipelineHarness({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await harness.close();
    await redis.stop();
  });

  it('every document still completes, once', async () => {
    const { producer, pipeline } = harness.runtime;
    // Slow the embedding model so the run is still going when Redis loses everything.
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 150 });
    const registrations = [];
    for (let index = 0; index < 6; index += 1)
      registrations.push(await producer.ingest({ data: doc(index), displayName: `doc-${index}.md` }));

    const admin = new Redis(redis.url);
    await harness.sim.waitForRequest((request) => request.route === 'embed', 30_000);
    await admin.flushall();
    admin.disconnect();

    for (const registration of registrations) {
      expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('completed');
    }
    for (const registration of registrations) {
      const chunks = await pipeline.repository.loadChunks(registration.documentId, registration.version);
      expect(await pipeline.vectors.count({ documentId: registration.documentId })).toBe(chunks.length);
      expect((await pipeline.graph.counts({ documentId: registration.documentId })).chunks).toBe(
        chunks.length,
      );
      const runs = await pipeline.repository.stageRuns(registration.documentId, registration.version);
      expect(runs.every((run) => run.status === 'completed' && run.run === 1)).toBe(true);
    }
  });
});
