import type { EmbeddingSpace, VectorPoint } from '@aegis/core';
import { describe, expect, it } from 'vitest';
import { createQdrantVectorStore, type QdrantApi } from './qdrant-vector-store.ts';

// No Qdrant runs here: this pins the requests the store sends (shapes from @qdrant/js-client-rest's
// types); the shared contract (test/contracts) runs against a real Qdrant when QDRANT_URL is set.

interface Call {
  method: string;
  args: unknown[];
}

function fakeClient(
  state: { exists: boolean; size?: number; indexed?: string[] },
  overrides: Partial<Record<keyof QdrantApi, (...args: unknown[]) => unknown>> = {},
) {
  const calls: Call[] = [];
  const record =
    (method: keyof QdrantApi, answer: (...args: unknown[]) => unknown) =>
    async (...args: unknown[]) => {
      calls.push({ method, args });
      return (overrides[method] ?? answer)(...args);
    };
  const client = {
    collectionExists: record('collectionExists', () => ({ exists: state.exists })),
    getCollection: record('getCollection', () => ({
      config: { params: { vectors: { dense: { size: state.size ?? 4, distance: 'Cosine' } } } },
      payload_schema: Object.fromEntries(
        (state.indexed ?? []).map((field) => [field, { data_type: 'keyword' }]),
      ),
    })),
    createCollection: record('createCollection', (_name, config) => {
      state.exists = true;
      state.size = (config as { vectors: { dense: { size: number } } }).vectors.dense.size;
      return true;
    }),
    getCollections: record('getCollections', () => ({
      collections: state.exists ? [{ name: COLLECTION }, { name: 'unrelated' }] : [],
    })),
    createPayloadIndex: record('createPayloadIndex', () => ({ status: 'completed' })),
    upsert: record('upsert', () => ({ status: 'acknowledged' })),
    delete: record('delete', () => ({ status: 'completed' })),
    count: record('count', () => ({ count: 7 })),
    query: record('query', () => ({
      points: [
        {
          id: 'p1',
          version: 1,
          score: 0.5,
          payload: {
            documentId: 'd',
            version: 2,
            chunkIndex: 3,
            pageStart: 4,
            pageEnd: 5,
            source: 's',
            text: 't',
            headingPath: ['h'],
            embeddingModel: 'm',
          },
        },
      ],
    })),
  };
  return { client: client as unknown as QdrantApi, calls };
}

function points(count: number): VectorPoint[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
    vector: [1, 0, 0, index + 1],
    payload: {
      documentId: 'd',
      version: 1,
      chunkIndex: index,
      pageStart: 1,
      pageEnd: 1,
      source: 's',
      text: 't',
      headingPath: [],
      embeddingModel: 'm',
      knowledgeBase: 'default',
      kind: 'pdf',
      createdAt: '2026-01-01T00:00:00.000Z',
      metadata: {},
    },
  }));
}

const base = { url: 'http://qdrant.invalid:6333', collection: 'docs' };
const S4: EmbeddingSpace = { provider: 'sim', model: 'm', dimensions: 4, normalisation: 'l2' };
const COLLECTION = (await createQdrantVectorStore(base)).collectionOf(S4);

describe('createQdrantVectorStore', () => {
  it('creates a missing collection with cosine distance and both payload indexes', async () => {
    const { client, calls } = fakeClient({ exists: false });
    const store = await createQdrantVectorStore({ ...base, client });
    await store.ensureSpace(S4);
    expect(calls.find((call) => call.method === 'createCollection')?.args).toEqual([
      COLLECTION,
      {
        vectors: { dense: { size: 4, distance: 'Cosine' } },
        sparse_vectors: { text: { modifier: 'idf' } },
      },
    ]);
    expect(calls.filter((call) => call.method === 'createPayloadIndex').map((call) => call.args[1])).toEqual([
      { field_name: 'documentId', field_schema: 'keyword', wait: true },
      { field_name: 'version', field_schema: 'integer', wait: true },
      { field_name: 'knowledgeBase', field_schema: { type: 'keyword', is_tenant: true }, wait: true },
      { field_name: 'kind', field_schema: 'keyword', wait: true },
      { field_name: 'createdAt', field_schema: 'datetime', wait: true },
      { field_name: 'pageStart', field_schema: 'integer', wait: true },
      { field_name: 'pageEnd', field_schema: 'integer', wait: true },
    ]);
  });

  it('leaves an existing collection and its indexes alone', async () => {
    const { client, calls } = fakeClient({
      exists: true,
      size: 4,
      indexed: ['documentId', 'version', 'knowledgeBase', 'kind', 'createdAt', 'pageStart', 'pageEnd'],
    });
    const store = await createQdrantVectorStore({ ...base, client });
    await store.ensureSpace(S4);
    expect(calls.map((call) => call.method)).toEqual(['collectionExists', 'getCollection']);
  });

  it('takes a collection another worker created first as success', async () => {
    const state = { exists: false };
    const { client } = fakeClient(state, {
      createCollection: () => {
        state.exists = true;
        throw Object.assign(new Error('Conflict'), { status: 409 });
      },
    });
    const store = await createQdrantVectorStore({ ...base, client });
    await expect(store.ensureSpace(S4)).resolves.toBeUndefined();
  });

  it('fails with VECTOR_DIM_MISMATCH on an existing collection of another size', async () => {
    const { client, calls } = fakeClient({ exists: true, size: 1024 });
    const store = await createQdrantVectorStore({ ...base, client });
    await expect(store.ensureSpace({ ...S4, dimensions: 768 })).rejects.toMatchObject({
      code: 'VECTOR_DIM_MISMATCH',
      details: { expected: 1024, actual: 768 },
    });
    expect(calls.some((call) => call.method === 'createCollection')).toBe(false);
  });

  it('upserts in batches with wait only on the last one', async () => {
    const { client, calls } = fakeClient({ exists: true, size: 4 });
    const store = await createQdrantVectorStore({ ...base, client, batchSize: 128 });
    await store.upsert(S4, points(300));
    const upserts = calls.filter((call) => call.method === 'upsert').map((call) => call.args[1]);
    expect(upserts.map((args) => (args as { wait: boolean }).wait)).toEqual([false, false, true]);
    expect(upserts.map((args) => (args as { points: unknown[] }).points.length)).toEqual([128, 128, 44]);
    const [first] = (upserts[0] as { points: { id: string; vector: unknown; payload: unknown }[] }).points;
    expect(first?.id).toBe('00000000-0000-0000-0000-000000000000');
    expect(first?.payload).toMatchObject({ documentId: 'd', version: 1, chunkIndex: 0 });
    const vector = first?.vector as { dense: number[]; text: { indices: number[]; values: number[] } };
    expect(vector.dense).toEqual([1, 0, 0, 1].map((value) => value / Math.SQRT2));
    // The BM25 side: the terms of the text (stop words out, stems in), each with a saturated tf weight.
    const sparse = vector.text;
    expect(sparse.indices.length).toBe(1);
    expect(sparse.values[0]).toBeGreaterThan(0);

    calls.length = 0;
    await store.upsert(S4, points(10), { wait: false });
    expect(
      calls
        .filter((call) => call.method === 'upsert')
        .map((call) => (call.args[1] as { wait: boolean }).wait),
    ).toEqual([false]);
  });

  it('refuses a batch size outside 64..256', async () => {
    await expect(createQdrantVectorStore({ ...base, batchSize: 32 })).rejects.toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('deletes, counts and searches by payload filter', async () => {
    const { client, calls } = fakeClient({ exists: true, size: 4 });
    const store = await createQdrantVectorStore({ ...base, client });
    await store.deleteOlderVersions('d', 3);
    expect(calls.find((call) => call.method === 'delete')?.args[1]).toEqual({
      wait: true,
      filter: {
        must: [
          { key: 'documentId', match: { value: 'd' } },
          { key: 'version', range: { lt: 3 } },
        ],
      },
    });
    expect(await store.count({ documentId: 'd', version: 2 })).toBe(7);
    expect(calls.find((call) => call.method === 'count')?.args[1]).toEqual({
      exact: true,
      filter: {
        must: [
          { key: 'documentId', match: { value: 'd' } },
          { key: 'version', match: { value: 2 } },
        ],
      },
    });
    // Deletes and counts go to every collection of the prefix, and to nothing else.
    expect(
      calls.filter((call) => call.method === 'delete' || call.method === 'count').map((call) => call.args[0]),
    ).toEqual([COLLECTION, COLLECTION]);
    const hits = await store.search(S4, [1, 0, 0, 0], { limit: 3, offset: 6, filter: { documentId: 'd' } });
    expect(calls.find((call) => call.method === 'query')?.args).toEqual([
      COLLECTION,
      {
        query: [1, 0, 0, 0],
        using: 'dense',
        limit: 3,
        offset: 6,
        with_payload: true,
        with_vector: false,
        filter: { must: [{ key: 'documentId', match: { value: 'd' } }] },
      },
    ]);
    expect(hits).toEqual([
      {
        id: 'p1',
        score: 0.5,
        payload: {
          documentId: 'd',
          version: 2,
          chunkIndex: 3,
          pageStart: 4,
          pageEnd: 5,
          source: 's',
          text: 't',
          headingPath: ['h'],
          embeddingModel: 'm',
          knowledgeBase: 'default',
          kind: '',
          createdAt: '',
          metadata: {},
        },
      },
    ]);
  });

  it('translates every filter to payload conditions, indexes filtered metadata, and searches keywords by BM25', async () => {
    const { client, calls } = fakeClient({ exists: true, size: 4 });
    const store = await createQdrantVectorStore({ ...base, client });
    await store.keywordSearch(S4, 'The compilers compiled', {
      limit: 5,
      filter: {
        knowledgeBases: ['kb1', 'kb2'],
        documentIds: ['d1'],
        kinds: ['pdf'],
        metadata: { team: ['red', 'blue'], year: 2024, ok: true, ratio: 0.5 },
        createdAfter: '2025-01-01T00:00:00Z',
        createdBefore: '2026-01-01T00:00:00Z',
        pages: { from: 2, to: 9 },
      },
    });
    const request = calls.find((call) => call.method === 'query')?.args[1] as {
      query: { indices: number[]; values: number[] };
      using: string;
      filter: unknown;
    };
    expect(request.using).toBe('text');
    // "the" is a stop word; "compilers" and "compiled" share the stem "compil".
    expect(request.query.indices.length).toBe(1);
    expect(request.query.values).toEqual([1]);
    expect(request.filter).toEqual({
      must: [
        { key: 'documentId', match: { any: ['d1'] } },
        { key: 'knowledgeBase', match: { any: ['kb1', 'kb2'] } },
        { key: 'kind', match: { any: ['pdf'] } },
        { key: 'createdAt', range: { gte: '2025-01-01T00:00:00Z', lt: '2026-01-01T00:00:00Z' } },
        { key: 'pageEnd', range: { gte: 2 } },
        { key: 'pageStart', range: { lte: 9 } },
        {
          should: [
            { key: 'metadata.team', match: { value: 'red' } },
            { key: 'metadata.team', match: { value: 'blue' } },
          ],
        },
        { should: [{ key: 'metadata.year', match: { value: 2024 } }] },
        { should: [{ key: 'metadata.ok', match: { value: true } }] },
        { should: [{ key: 'metadata.ratio', range: { gte: 0.5, lte: 0.5 } }] },
      ],
    });
    expect(calls.filter((call) => call.method === 'createPayloadIndex').map((call) => call.args[1])).toEqual([
      { field_name: 'metadata.team', field_schema: 'keyword', wait: true },
      { field_name: 'metadata.year', field_schema: 'integer', wait: true },
      { field_name: 'metadata.ok', field_schema: 'bool', wait: true },
      { field_name: 'metadata.ratio', field_schema: 'float', wait: true },
    ]);
    expect(await store.keywordSearch(S4, 'the and of', { limit: 5 })).toEqual([]);
    await expect(
      store.search(S4, [1, 0, 0, 0], { limit: 1, filter: { metadata: { 'bad field': 'x' } } }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('treats a missing collection as empty for reads and deletes', async () => {
    const { client, calls } = fakeClient({ exists: false });
    const store = await createQdrantVectorStore({ ...base, client });
    expect(await store.collections()).toEqual([]);
    expect(await store.count()).toBe(0);
    expect(await store.search(S4, [1, 0, 0, 0], { limit: 3 })).toEqual([]);
    await store.deleteDocument('d');
    expect(calls.every((call) => ['collectionExists', 'getCollections'].includes(call.method))).toBe(true);
    await expect(store.upsert(S4, points(1))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('maps a 400 answer to VALIDATION_FAILED and a network failure to STORE_UNAVAILABLE', async () => {
    const bad = fakeClient(
      { exists: true, size: 4 },
      {
        count: () => {
          throw Object.assign(new Error('Bad Request'), { status: 400 });
        },
      },
    );
    const badStore = await createQdrantVectorStore({ ...base, client: bad.client });
    await expect(badStore.count()).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    const down = fakeClient(
      { exists: true },
      {
        getCollections: () => {
          throw new TypeError('fetch failed');
        },
      },
    );
    const downStore = await createQdrantVectorStore({ ...base, client: down.client });
    await expect(downStore.count()).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
  });
});
