import { DEFAULT_KNOWLEDGE_BASE, type EmbeddingSpace } from '@aegis/core';
import { searchDocuments } from '@aegis/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const doc = (text: string) => new TextEncoder().encode(text);
const BGE: EmbeddingSpace = { provider: 'ollama', model: 'bge-m3', dimensions: 1024, normalisation: 'l2' };

// Issue 7.4: one embedding space per collection. The simulator gives bge-m3 and text-embedding-3-small
// (both 1024-dimensional here) unrelated vector spaces, so a vector of the wrong model would be visible.
describe('one embedding space per collection', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  beforeAll(async () => {
    harness = await createPipelineHarness();
  });
  afterAll(async () => harness?.close());

  it('binds the knowledge base to its first model, and a fallback never writes into its collection', async () => {
    const { producer, pipeline } = harness.runtime;
    const first = await producer.ingest({
      data: doc('# Orchards\n\nApple orchards in Normandy press cider every autumn.'),
      displayName: 'orchards.md',
    });
    expect(await harness.waitForVersion(first.documentId, first.version)).toBe('completed');
    const kb = await pipeline.repository.knowledgeBase(DEFAULT_KNOWLEDGE_BASE);
    expect(kb?.embedding).toEqual({ provider: 'ollama', model: 'bge-m3', dimensions: 1024 });

    // Ollama's embeddings fail: before, the router fell back to OpenAI and wrote its vectors beside bge-m3's.
    const openaiEmbedsBefore = harness.sim.count('openai', 'embed');
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', status: 500, times: 3 });
    const second = await producer.ingest({
      data: doc('# Lighthouses\n\nThe keeper of the Fastnet lighthouse trimmed its lamp each night.'),
      displayName: 'lighthouses.md',
    });
    expect(await harness.waitForVersion(second.documentId, second.version)).toBe('completed');
    expect(harness.sim.count('openai', 'embed')).toBe(openaiEmbedsBefore);
    const failedOllama = harness.sim.requests.filter(
      (record) => record.provider === 'ollama' && record.route === 'embed' && record.status === 500,
    );
    expect(failedOllama.length).toBe(3);

    // Every point sits in the bge-m3 collection, and every batch was embedded by bge-m3.
    const collections = await pipeline.vectors.collections();
    expect(collections.map((entry) => entry.name)).toEqual([pipeline.vectors.collectionOf(BGE)]);
    const { rows } = await harness.db.pool.query<{ model: string }>(
      'SELECT DISTINCT model FROM embed_batches',
    );
    expect(rows).toEqual([{ model: 'ollama:bge-m3' }]);

    // The query is embedded by the bound model: the passage ranks first with a high cosine.
    const result = await searchDocuments(pipeline, {
      query: 'Fastnet lighthouse keeper lamp',
      limit: 3,
      mode: 'vector',
    });
    expect(result.embeddingModel).toBe('ollama:bge-m3');
    expect(result.hits[0]?.documentId).toBe(second.documentId);
    expect(result.hits[0]?.score).toBeGreaterThan(0.4);
    expect(result.hits[0]?.scores.vector?.score).toBe(result.hits[0]?.score);
  });

  it('makes a mix-up visible: the same query embedded by another model finds nothing related', async () => {
    const { pipeline } = harness.runtime;
    const query = 'Fastnet lighthouse keeper lamp';
    const wrong = await pipeline.router.embed({
      texts: [query],
      pin: { provider: 'openai', model: 'text-embedding-3-small' },
    });
    expect(wrong.dimensions).toBe(1024);
    const hits = await pipeline.vectors.search(BGE, wrong.vectors[0] as number[], { limit: 5 });
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(Math.abs(hit.score)).toBeLessThan(0.3);
  });
});
