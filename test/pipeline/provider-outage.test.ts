import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getDocumentStatus } from '@aegis/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfWithImages } from '../support/pdf-with-images.ts';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** Vision served only by `openai`, everything else by `ollama`: a vision outage leaves text work alone. */
async function routingFile(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'aegis-routing-'));
  const file = path.join(dir, 'routing.json');
  await writeFile(
    file,
    JSON.stringify({
      tasks: {
        embedding: [{ provider: 'ollama', model: 'bge-m3' }],
        extraction: [{ provider: 'ollama', model: 'llama3.1:8b' }],
        generation: [{ provider: 'ollama', model: 'llama3.1:8b' }],
        vision: [{ provider: 'openai', model: 'gpt-4o' }],
      },
    }),
  );
  return file;
}

describe('a model provider that is down for a while', { timeout: 240_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness({
      env: {
        LLM_ROUTING_FILE: await routingFile(),
        PROVIDER_OUTAGE_MAX_WAIT_MS: '4000',
        BREAKER_BASE_COOLDOWN_MS: '200',
        BREAKER_MAX_COOLDOWN_MS: '400',
      },
    });
  });
  afterAll(async () => harness.close());

  it('an embedding outage shorter than the wait: the document waits without spending attempts and completes', async () => {
    const { producer, pipeline } = harness.runtime;
    harness.sim.faults.clear();
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', status: 503 });
    const registration = await producer.ingest({
      data: await pdfWithImages({ topic: 'Outage one' }),
      displayName: 'one.pdf',
    });
    // Many refused requests: more than the stage's attempts would allow if each counted.
    await harness.sim.waitForRequest((request) => request.route === 'embed' && request.id > 0, 30_000);
    const waiting = await harness.sim.waitForRequest(
      (request) => request.route === 'embed' && harness.sim.count('ollama', 'embed') >= 6,
      60_000,
    );
    expect(waiting.status).toBe(503);
    const runs = await pipeline.repository.stageRuns(registration.documentId, registration.version);
    expect(runs.find((run) => run.stage === 'embed')?.attempts).toBeLessThanOrEqual(6);
    harness.sim.faults.clear();
    expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('completed');
    const { rows } = await harness.db.pool.query<{ attempts: number }>(
      `SELECT attempts FROM stage_runs WHERE document_id = $1 AND stage = 'embed'`,
      [registration.documentId],
    );
    expect(rows[0]?.attempts).toBeGreaterThan(0);
  });

  it('an embedding outage longer than the wait fails the document with NO_PROVIDER_AVAILABLE', async () => {
    const { producer } = harness.runtime;
    harness.sim.faults.clear();
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', status: 503 });
    const registration = await producer.ingest({
      data: await pdfWithImages({ topic: 'Outage two' }),
      displayName: 'two.pdf',
    });
    expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('failed');
    const status = await getDocumentStatus(harness.db.pool, registration.documentId);
    expect(status?.versions[0]?.errorCode).toBe('NO_PROVIDER_AVAILABLE');
    harness.sim.faults.clear();
  });

  it('a vision outage: completed with warnings and counts, and a later retry describes the images', async () => {
    const { producer, pipeline } = harness.runtime;
    harness.sim.faults.clear();
    harness.sim.faults.add({ provider: 'openai', route: 'chat', status: 503 });
    const registration = await producer.ingest({
      data: await pdfWithImages({ topic: 'Vision outage', imagesPerPage: 2 }),
      displayName: 'figures.pdf',
    });
    expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe(
      'completed_with_warnings',
    );
    const images = await pipeline.repository.loadImages(registration.documentId, registration.version);
    const failed = images.filter((image) => image.status === 'failed');
    expect(failed.length).toBe(4);
    expect(failed.every((image) => image.errorCode === 'NO_PROVIDER_AVAILABLE')).toBe(true);
    const before = await getDocumentStatus(harness.db.pool, registration.documentId);
    expect(before?.versions[0]).toMatchObject({
      status: 'completed_with_warnings',
      missing: { imagesNotDescribed: 4, chunksWithoutGraph: 0 },
    });

    harness.sim.faults.clear();
    await producer.retry(registration.documentId, registration.version, 'enrich-images');
    expect(
      await harness.waitForVersion(registration.documentId, registration.version, [
        'completed',
        'failed',
        'completed_with_warnings',
      ]),
    ).toBe('completed');
    const after = await pipeline.repository.loadImages(registration.documentId, registration.version);
    expect(after.filter((image) => image.status === 'described')).toHaveLength(4);
    const chunks = await pipeline.repository.loadChunks(registration.documentId, registration.version);
    expect(chunks.some((chunk) => chunk.imageIds.length > 0)).toBe(true);
    expect(await pipeline.vectors.count({ documentId: registration.documentId })).toBe(chunks.length);
    expect((await pipeline.graph.counts({ documentId: registration.documentId })).chunks).toBe(chunks.length);
  });
});
