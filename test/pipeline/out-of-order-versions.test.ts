import { chunkPointId } from '@aegis/core';
import { finalizeVersion } from '@aegis/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

describe('two versions of one document finishing out of order', () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness({ startWorkers: false });
  });
  afterAll(async () => harness.close());

  it('an older version that completes after the newer one is superseded and removes only its own outputs', async () => {
    const { producer, pipeline } = harness.runtime;
    const sourceKey = '/inbox/race.md';
    const v1 = await producer.ingest({
      data: new TextEncoder().encode('# One\n\nfirst'),
      displayName: 'race.md',
      sourceKey,
    });
    const v2 = await producer.ingest({
      data: new TextEncoder().encode('# Two\n\nsecond'),
      displayName: 'race.md',
      sourceKey,
    });
    const space = { provider: 'ollama', model: 'bge-m3', dimensions: 4, normalisation: 'l2' as const };
    await pipeline.vectors.ensureSpace(space);
    const point = (version: number) => ({
      id: chunkPointId(v1.documentId, version, 0),
      vector: [1, 0, 0, 0],
      payload: {
        documentId: v1.documentId,
        version,
        chunkIndex: 0,
        pageStart: 1,
        pageEnd: 1,
        source: 'race.md',
        text: `v${version}`,
        headingPath: [],
        embeddingModel: 'ollama:bge-m3',
        knowledgeBase: 'default',
        kind: 'markdown',
        createdAt: new Date().toISOString(),
        metadata: {},
      },
    });
    await pipeline.vectors.upsert(space, [point(1), point(2)]);

    expect(await finalizeVersion(pipeline, v2.documentId, v2.version)).toBe('completed');
    expect(await finalizeVersion(pipeline, v1.documentId, v1.version)).toBe('superseded');
    expect(await pipeline.vectors.count({ documentId: v1.documentId, version: 2 })).toBe(1);
    expect(await pipeline.vectors.count({ documentId: v1.documentId, version: 1 })).toBe(0);
    expect((await pipeline.repository.getVersion(v1.documentId, 1))?.status).toBe('superseded');
    expect((await pipeline.repository.activeVersions([v1.documentId])).get(v1.documentId)).toBe(2);
  });

  it("an older version whose cleanup runs after a newer one was activated leaves the newer one's outputs alone", async () => {
    const { producer, pipeline } = harness.runtime;
    const sourceKey = '/inbox/interleaved.md';
    const v1 = await producer.ingest({
      data: new TextEncoder().encode('# One\n\nfirst'),
      displayName: 'interleaved.md',
      sourceKey,
    });
    const v2 = await producer.ingest({
      data: new TextEncoder().encode('# Two\n\nsecond'),
      displayName: 'interleaved.md',
      sourceKey,
    });
    const id = v1.documentId;
    const space = { provider: 'ollama', model: 'bge-m3', dimensions: 4, normalisation: 'l2' as const };
    await pipeline.vectors.ensureSpace(space);
    for (const version of [1, 2]) {
      const text = `v${version}`;
      await pipeline.vectors.upsert(space, [
        {
          id: chunkPointId(id, version, 0),
          vector: [1, 0, 0, 0],
          payload: {
            documentId: id,
            version,
            chunkIndex: 0,
            pageStart: 1,
            pageEnd: 1,
            source: 'interleaved.md',
            text,
            headingPath: [],
            embeddingModel: 'ollama:bge-m3',
            knowledgeBase: 'default',
            kind: 'markdown',
            createdAt: new Date().toISOString(),
            metadata: {},
          },
        },
      ]);
    }
    // v1 is activated first; before its cleanup runs, v2 completes (activated, v1's outputs removed)...
    expect((await pipeline.repository.activate(id, v1.version)).status).toBe('completed');
    expect(await finalizeVersion(pipeline, id, v2.version)).toBe('completed');
    // ...then v1's cleanup runs, as finalizeVersion does it after its activation.
    await pipeline.vectors.deleteOlderVersions(id, v1.version);
    await pipeline.graph.deleteOlderVersions(id, v1.version);
    await pipeline.repository.deleteArtifactsBefore(id, v1.version);
    expect((await pipeline.repository.activeVersions([id])).get(id)).toBe(2);
    expect(await pipeline.vectors.count({ documentId: id, version: 2 })).toBe(1);
    expect(await pipeline.vectors.count({ documentId: id })).toBe(1);
  });
});
