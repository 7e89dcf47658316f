import { searchDocuments } from '@aegis/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

const doc = (text: string) => new TextEncoder().encode(text);

const FILLER = [
  'Lisbon has trams that climb the hills of Alfama every morning.',
  'The orchestra rehearsed the second movement twice before the concert.',
  'Glaciers in Patagonia retreat a little further each summer.',
  'A sourdough starter needs flour, water and patience.',
  'The lighthouse keeper logged the passing ships by hand.',
  'Beekeepers smoke the hive gently before opening it.',
];

describe('hybrid search', { timeout: 180_000 }, () => {
  let harness: PipelineHarness;
  const ids: string[] = [];
  let target = '';
  beforeAll(async () => {
    harness = await createPipelineHarness();
    const { producer } = harness.runtime;
    for (const [index, text] of FILLER.entries()) {
      const registration = await producer.ingest({
        data: doc(`# Note ${index}\n\n${text}`),
        displayName: `note-${index}.md`,
      });
      ids.push(registration.documentId);
    }
    const special = await producer.ingest({
      data: doc('# Parts\n\nThe replacement valve is catalogued as part QX-7731 in the maintenance manual.'),
      displayName: 'parts.txt',
    });
    target = special.documentId;
    for (const [documentId, version] of [...ids.map((id) => [id, 1] as const), [target, 1] as const])
      expect(await harness.waitForVersion(documentId, version)).toBe('completed');
  });
  afterAll(async () => harness?.close());

  it('finds an exact code by keyword and hybrid, with the score parts shown', async () => {
    const { pipeline } = harness.runtime;
    const query = 'which valve is QX-7731';
    const keyword = await searchDocuments(pipeline, { query, mode: 'keyword', limit: 3 });
    expect(keyword.hits[0]?.documentId).toBe(target);
    expect(keyword.embeddingModels).toEqual([]);
    expect(keyword.hits[0]?.scores.keyword?.rank).toBe(1);
    expect(keyword.hits[0]?.scores.vector).toBeUndefined();

    const hybrid = await searchDocuments(pipeline, { query, limit: 3 });
    expect(hybrid.mode).toBe('hybrid');
    expect(hybrid.hits[0]?.documentId).toBe(target);
    expect(hybrid.hits[0]?.scores.keyword?.rank).toBe(1);
    expect(hybrid.hits[0]?.scores.fused).toBeGreaterThan(0);
    expect(hybrid.hits[0]?.score).toBe(hybrid.hits[0]?.scores.fused);
    expect(hybrid.hits[0]).toMatchObject({
      kind: 'text',
      knowledgeBase: 'default',
      pageStart: 1,
      metadata: {},
    });

    const vector = await searchDocuments(pipeline, { query, mode: 'vector', limit: 7 });
    expect(vector.hits.every((hit) => hit.scores.keyword === undefined)).toBe(true);
  });

  it('returns exactly limit hits, grouped per document on request, and filters by kind', async () => {
    const { pipeline } = harness.runtime;
    for (const mode of ['hybrid', 'keyword', 'vector'] as const) {
      const all = await searchDocuments(pipeline, { query: 'the morning hive ships flour', mode, limit: 5 });
      if (mode !== 'keyword') expect(all.hits.length).toBe(5);
      const grouped = await searchDocuments(pipeline, {
        query: 'the morning hive ships flour',
        mode,
        limit: 4,
        groupByDocument: true,
      });
      expect(new Set(grouped.hits.map((hit) => hit.documentId)).size).toBe(grouped.hits.length);
    }
    const onlyText = await searchDocuments(pipeline, {
      query: 'valve part manual',
      limit: 10,
      filter: { kinds: ['text'] },
    });
    expect(onlyText.hits.map((hit) => hit.documentId)).toEqual([target]);
    await expect(searchDocuments(pipeline, { query: 'x', mode: 'fuzzy' as 'hybrid' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(
      searchDocuments(pipeline, { query: 'x', knowledgeBases: ['Bad Name'] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      searchDocuments(pipeline, { query: 'x', weights: { keyword: 0, vector: 0 } }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
