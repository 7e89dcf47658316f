import { isAegisError } from '@aegis/core';
import { searchDocuments } from '@aegis/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const doc = (text: string) => new TextEncoder().encode(text);

describe('search and delete', { timeout: 120_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness();
  });
  afterAll(async () => harness.close());

  it('finds chunks of active versions with their pages and linked entities', async () => {
    const { producer, pipeline } = harness.runtime;
    const tracing = await producer.ingest({
      data: doc('# Tracing\n\nAndreas Gal built TraceMonkey, a tracing compiler for JavaScript at Mozilla.'),
      displayName: 'tracing.md',
    });
    const weather = await producer.ingest({
      data: doc('# Weather\n\nLisbon is sunny in July and rainy in November.'),
      displayName: 'weather.md',
    });
    for (const registration of [tracing, weather])
      expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('completed');

    const result = await searchDocuments(pipeline, {
      query: 'tracing compiler for JavaScript',
      limit: 5,
      attribution: { userId: 'tester' },
    });
    expect(result.embeddingModel).toBe('ollama:bge-m3');
    expect(result.hits[0]).toMatchObject({
      documentId: tracing.documentId,
      version: 1,
      source: 'tracing.md',
      pageStart: 1,
      pageEnd: 1,
    });
    expect(result.hits[0]?.entities.map((entity) => entity.name)).toEqual(
      expect.arrayContaining(['Andreas Gal']),
    );
    const { rows } = await harness.db.pool.query(
      "SELECT 1 FROM llm_ledger WHERE stage = 'search' AND user_id = 'tester'",
    );
    await harness.runtime.pipeline.router.flush();
    expect(
      (await harness.db.pool.query("SELECT 1 FROM llm_ledger WHERE stage = 'search' AND user_id = 'tester'"))
        .rowCount,
    ).toBeGreaterThanOrEqual(rows.length);
    await expect(searchDocuments(pipeline, { query: '   ' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });

  it('deletes a document from every store', async () => {
    const { producer, pipeline } = harness.runtime;
    const registration = await producer.ingest({
      data: doc('# Delete me\n\nGrace Hopper and COBOL.'),
      displayName: 'delete-me.md',
    });
    expect(await harness.waitForVersion(registration.documentId, registration.version)).toBe('completed');
    const blob = (await pipeline.repository.getVersion(registration.documentId, 1))?.blobPath as string;

    await producer.delete(registration.documentId);
    expect(await pipeline.vectors.count({ documentId: registration.documentId })).toBe(0);
    expect((await pipeline.graph.counts({ documentId: registration.documentId })).chunks).toBe(0);
    expect(await pipeline.repository.versionsOf(registration.documentId)).toEqual([]);
    await expect(pipeline.blobs.get(blob)).rejects.toMatchObject({ code: 'BLOB_MISSING' });
    const again = await producer.delete(registration.documentId).catch((error: unknown) => error);
    expect(isAegisError(again, 'DOCUMENT_NOT_FOUND')).toBe(true);
  });
});
