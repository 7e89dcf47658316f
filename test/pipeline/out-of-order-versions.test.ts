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

  const space = { provider: 'ollama', model: 'bge-m3', dimensions: 4, normalisation: 'l2' as const };

  /** Two versions of one watched file, each with one stored vector point; returns the document id and versions. */
  async function twoVersionsWithPoints(name: string) {
    const { producer, pipeline } = harness.runtime;
    const sourceKey = `/inbox/${name}`;
    const ingest = (text: string) =>
      producer.ingest({ data: new TextEncoder().encode(text), displayName: name, sourceKey });
    const v1 = await ingest('# One\n\nfirst');
    const v2 = await ingest('# Two\n\nsecond');
    const id = v1.documentId;
    await pipeline.vectors.ensureSpace(space);
    await pipeline.vectors.upsert(
      space,
      [1, 2].map((version) => ({
        id: chunkPointId(id, version, 0),
        vector: [1, 0, 0, 0],
        payload: {
          documentId: id,
          version,
          chunkIndex: 0,
          pageStart: 1,
          pageEnd: 1,
          source: name,
          text: `v${version}`,
          headingPath: [],
          embeddingModel: 'ollama:bge-m3',
          knowledgeBase: 'default',
          kind: 'markdown',
          createdAt: new Date().toISOString(),
          metadata: {},
        },
      })),
    );
    return { id, v1: v1.version, v2: v2.version };
  }

  it('an older version that completes after the newer one is superseded and removes only its own outputs', async () => {
    const { pipeline } = harness.runtime;
    const { id, v1, v2 } = await twoVersionsWithPoints('race.md');
    expect(await finalizeVersion(pipeline, id, v2)).toBe('completed');
    expect(await finalizeVersion(pipeline, id, v1)).toBe('superseded');
    expect(await pipeline.vectors.count({ documentId: id, version: 2 })).toBe(1);
    expect(await pipeline.vectors.count({ documentId: id, version: 1 })).toBe(0);
    expect((await pipeline.repository.getVersion(id, 1))?.status).toBe('superseded');
    expect((await pipeline.repository.activeVersions([id])).get(id)).toBe(2);
  });

  it("an older version whose cleanup runs after a newer one was activated leaves the newer one's outputs alone", async () => {
    const { pipeline } = harness.runtime;
    const { id, v1, v2 } = await twoVersionsWithPoints('interleaved.md');
    // v1 is activated first; before its cleanup runs, v2 completes (activated, v1's outputs removed)...
    expect((await pipeline.repository.activate(id, v1)).status).toBe('completed');
    expect(await finalizeVersion(pipeline, id, v2)).toBe('completed');
    // ...then v1's cleanup runs, as finalizeVersion does it after its activation.
    await pipeline.vectors.deleteOlderVersions(id, v1);
    await pipeline.graph.deleteOlderVersions(id, v1);
    await pipeline.repository.deleteArtifactsBefore(id, v1);
    expect((await pipeline.repository.activeVersions([id])).get(id)).toBe(2);
    expect(await pipeline.vectors.count({ documentId: id, version: 2 })).toBe(1);
    expect(await pipeline.vectors.count({ documentId: id })).toBe(1);
  });
});
