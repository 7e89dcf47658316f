import { type PrivatePostgres, startPrivatePostgres } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const doc = (index: number) =>
  new TextEncoder().encode(
    `# Outage document ${index}\n\n${Array.from({ length: 12 }, (_, paragraph) => `Paragraph ${paragraph} of ${index}: Grace Hopper wrote COBOL compilers at Remington Rand, and Ada Lovelace described the Analytical Engine.`).join('\n\n')}\n`,
  );

describe('Postgres stopped in the middle of a run', { timeout: 300_000 }, () => {
  let postgres: PrivatePostgres;
  let harness: PipelineHarness;
  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    harness = await createPipelineHarness({
      databaseUrl: postgres.url,
      env: {
        LLM_EMBED_BATCH_SIZE: '2',
        CHUNK_TARGET_TOKENS: '48',
        CHUNK_MAX_TOKENS: '64',
        CHUNK_OVERLAP_TOKENS: '4',
        OUTAGE_RETRY_MAX_DELAY_MS: '2000',
      },
    });
  });
  afterAll(async () => {
    await postgres.start();
    await harness.close();
    await postgres.destroy();
  });

  it('consumes no attempts, bills no batch twice, and every document completes by itself once it returns', async () => {
    const { producer, pipeline } = harness.runtime;
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 120 });
    const registrations = [];
    for (let index = 0; index < 6; index += 1)
      registrations.push(await producer.ingest({ data: doc(index), displayName: `outage-${index}.md` }));
    await harness.sim.waitForRequest((request) => request.route === 'embed', 30_000);

    // Longer than every stage's attempts with their backoff: before, documents failed or stayed processing.
    await postgres.stop('immediate');
    const embedsDuringOutage = harness.sim.count('ollama', 'embed');
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    await postgres.start();

    for (const registration of registrations)
      expect(
        await harness.waitForVersion(registration.documentId, registration.version, undefined, 120_000),
      ).toBe('completed');
    expect(harness.sim.count('ollama', 'embed')).toBeGreaterThanOrEqual(embedsDuringOutage);
    for (const registration of registrations) {
      const chunks = await pipeline.repository.loadChunks(registration.documentId, registration.version);
      expect(await pipeline.vectors.count({ documentId: registration.documentId })).toBe(chunks.length);
      const runs = await pipeline.repository.stageRuns(registration.documentId, registration.version);
      expect(runs.every((run) => run.status === 'completed' && run.run === 1)).toBe(true);
      const { rows } = await harness.db.pool.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM llm_ledger WHERE document_id = $1 AND task = 'embedding' AND status = 'ok'",
        [registration.documentId],
      );
      // Each batch billed once: a batch embedded during the outage is recorded when Postgres returns.
      expect(rows[0]?.n).toBe(Math.ceil(chunks.length / 2));
    }
  });
});
