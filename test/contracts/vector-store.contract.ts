import { randomBytes } from 'node:crypto';
import type { ChunkPayload, EmbeddingSpace, VectorFilter, VectorPoint, VectorStore } from '@aegis/core';
import { chunkPointId } from '@aegis/core';
import { afterEach, describe, expect, it } from 'vitest';

/** A store on a collection no other test uses; `cleanup` removes the collection's data. */
export interface VectorStoreUnderTest {
  store: VectorStore;
  cleanup(): Promise<void>;
}

export type VectorStoreFactory = (context: { collection: string }) => Promise<VectorStoreUnderTest>;

/** Registers the VectorStore contract for one adapter; every test gets a fresh collection. */
export function describeVectorStoreContract(
  name: string,
  factory: VectorStoreFactory,
  options: { skip?: string | undefined } = {},
): void {
  const describeOrSkip = options.skip === undefined ? describe : describe.skip;
  describeOrSkip(`VectorStore contract: ${name}`, () => {
    const opened: VectorStoreUnderTest[] = [];

    async function open(): Promise<VectorStore> {
      const under = await factory({ collection: `contract_${randomBytes(5).toString('hex')}` });
      opened.push(under);
      return under.store;
    }

    afterEach(async () => {
      for (const under of opened.splice(0)) {
        await under.cleanup();
        await under.store.close();
      }
    });

    it('creates one collection per embedding space, once', async () => {
      const store = await open();
      expect(await store.collections()).toEqual([]);
      await store.ensureSpace(S4);
      await store.ensureSpace(S4);
      const other = { ...S4, model: 'other-model' };
      await store.ensureSpace(other);
      expect(store.collectionOf(other)).not.toBe(store.collectionOf(S4));
      expect(
        (await store.collections()).map((entry) => [entry.name, entry.dimensions, entry.points]),
      ).toEqual(
        [
          [store.collectionOf(S4), 4, 0],
          [store.collectionOf(other), 4, 0],
        ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      );
      expect(await store.count()).toBe(0);
    });

    it('keeps two spaces of the same size apart: a search sees only its own space', async () => {
      const store = await open();
      const other = { ...S4, provider: 'openai', model: 'text-embedding-3-small' };
      await store.ensureSpace(S4);
      await store.ensureSpace(other);
      const [a, b] = [uniqueDocument(), uniqueDocument()];
      await store.upsert(S4, [point(a, 1, 0, [1, 0, 0, 0])]);
      await store.upsert(other, [point(b, 1, 0, [1, 0, 0, 0])]);
      expect(
        (await store.search(S4, [1, 0, 0, 0], { limit: 5 })).map((hit) => hit.payload.documentId),
      ).toEqual([a]);
      expect(
        (await store.search(other, [1, 0, 0, 0], { limit: 5 })).map((hit) => hit.payload.documentId),
      ).toEqual([b]);
      expect(await store.search({ ...S4, model: 'never-created' }, [1, 0, 0, 0], { limit: 5 })).toEqual([]);
      // Counts and deletes span every space.
      expect(await store.count()).toBe(2);
      await store.deleteDocument(b);
      await store.deleteVersion(a, 1);
      expect(await store.count()).toBe(0);
    });

    it('pages through the ranking with offset', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const doc = uniqueDocument();
      const points = Array.from({ length: 7 }, (_, index) => point(doc, 1, index, [1, index / 10, 0, 0]));
      await store.upsert(S4, points);
      const all = (await store.search(S4, [1, 0, 0, 0], { limit: 7 })).map((hit) => hit.id);
      expect(all).toEqual(points.map((p) => p.id));
      const pages = [
        ...(await store.search(S4, [1, 0, 0, 0], { limit: 3, offset: 0 })),
        ...(await store.search(S4, [1, 0, 0, 0], { limit: 3, offset: 3 })),
        ...(await store.search(S4, [1, 0, 0, 0], { limit: 3, offset: 6 })),
      ].map((hit) => hit.id);
      expect(pages).toEqual(all);
      expect(await store.search(S4, [1, 0, 0, 0], { limit: 3, offset: 7 })).toEqual([]);
    });

    it('refuses vectors and queries of the wrong size with VECTOR_DIM_MISMATCH', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const doc = uniqueDocument();
      await expect(store.upsert(S4, [point(doc, 1, 0, [1, 0, 0])])).rejects.toMatchObject({
        code: 'VECTOR_DIM_MISMATCH',
      });
      await expect(
        store.upsert({ ...S4, model: 'not-created' }, [point(doc, 1, 0, [1, 0, 0, 0])]),
      ).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      await expect(store.search(S4, [1, 0, 0, 0, 0], { limit: 3 })).rejects.toMatchObject({
        code: 'VECTOR_DIM_MISMATCH',
      });
      expect(await store.count()).toBe(0);
    });

    it('refuses a zero vector instead of storing NaNs', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      await expect(store.upsert(S4, [point(uniqueDocument(), 1, 0, [0, 0, 0, 0])])).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });

    it('upserts idempotently: the same ids twice give the same points, the last payload wins', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const doc = uniqueDocument();
      const points = [
        point(doc, 1, 0, [1, 0, 0, 0]),
        point(doc, 1, 1, [0, 1, 0, 0]),
        point(doc, 1, 2, [0, 0, 1, 0]),
      ];
      await store.upsert(S4, points, { wait: true });
      await store.upsert(S4, points, { wait: true });
      expect(await store.count()).toBe(3);

      const changed = point(doc, 1, 1, [0, 1, 0, 0], { text: 'rewritten' });
      await store.upsert(S4, [changed]);
      expect(await store.count()).toBe(3);
      const [hit] = await store.search(S4, [0, 1, 0, 0], { limit: 1 });
      expect(hit?.id).toBe(changed.id);
      expect(hit?.payload.text).toBe('rewritten');
    });

    it('writes more points than one batch holds', async () => {
      const store = await open();
      await store.ensureSpace(S8);
      const doc = uniqueDocument();
      const points = Array.from({ length: 300 }, (_, index) =>
        point(doc, 1, index, randomVector(8, index + 1)),
      );
      await store.upsert(S8, points);
      expect(await store.count({ documentId: doc })).toBe(300);
    });

    it('counts by document, by version and by both', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const [a, b] = [uniqueDocument(), uniqueDocument()];
      await store.upsert(S4, [
        point(a, 1, 0, [1, 0, 0, 0]),
        point(a, 1, 1, [0, 1, 0, 0]),
        point(a, 2, 0, [0, 0, 1, 0]),
        point(b, 1, 0, [0, 0, 0, 1]),
      ]);
      expect(await store.count()).toBe(4);
      expect(await store.count({ documentId: a })).toBe(3);
      expect(await store.count({ documentId: a, version: 1 })).toBe(2);
      expect(await store.count({ documentId: a, version: 2 })).toBe(1);
      expect(await store.count({ version: 1 })).toBe(3);
      expect(await store.count({ documentId: 'no-such-document' })).toBe(0);
    });

    it('ranks by cosine similarity with scores in [-1, 1] and returns the full payload', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const doc = uniqueDocument();
      const same = point(doc, 1, 0, [2, 0, 0, 0]);
      const close = point(doc, 1, 1, [1, 1, 0, 0]);
      const orthogonal = point(doc, 1, 2, [0, 0, 3, 0]);
      const opposite = point(doc, 1, 3, [-1, 0, 0, 0]);
      await store.upsert(S4, [opposite, orthogonal, close, same]);

      const hits = await store.search(S4, [5, 0, 0, 0], { limit: 10 });
      expect(hits.map((hit) => hit.id)).toEqual([same.id, close.id, orthogonal.id, opposite.id]);
      expect(hits[0]?.score).toBeCloseTo(1, 5);
      expect(hits[1]?.score).toBeCloseTo(Math.SQRT1_2, 5);
      expect(hits[2]?.score).toBeCloseTo(0, 5);
      expect(hits[3]?.score).toBeCloseTo(-1, 5);
      expect(hits[0]?.payload).toEqual(same.payload);

      const top2 = await store.search(S4, [5, 0, 0, 0], { limit: 2 });
      expect(top2.map((hit) => hit.id)).toEqual([same.id, close.id]);
    });

    it('searches within a document and version filter only', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const [a, b] = [uniqueDocument(), uniqueDocument()];
      const a1 = point(a, 1, 0, [1, 0.1, 0, 0]);
      const a2 = point(a, 2, 0, [1, 0.2, 0, 0]);
      const b1 = point(b, 1, 0, [1, 0, 0, 0]);
      await store.upsert(S4, [a1, a2, b1]);

      expect(
        (await store.search(S4, [1, 0, 0, 0], { limit: 5, filter: { documentId: a } })).map((hit) => hit.id),
      ).toEqual([a1.id, a2.id]);
      expect(
        (await store.search(S4, [1, 0, 0, 0], { limit: 5, filter: { documentId: a, version: 2 } })).map(
          (hit) => hit.id,
        ),
      ).toEqual([a2.id]);
      expect(await store.search(S4, [1, 0, 0, 0], { limit: 5, filter: { documentId: 'none' } })).toEqual([]);
    });

    it('deleteVersion removes exactly that version', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const [a, b] = [uniqueDocument(), uniqueDocument()];
      await store.upsert(S4, [
        point(a, 1, 0, [1, 0, 0, 0]),
        point(a, 1, 1, [0, 1, 0, 0]),
        point(a, 2, 0, [0, 0, 1, 0]),
        point(b, 1, 0, [0, 0, 0, 1]),
      ]);
      await store.deleteVersion(a, 1);
      await store.deleteVersion(a, 1);
      expect(await store.count({ documentId: a, version: 1 })).toBe(0);
      expect(
        await store.search(S4, [1, 0, 0, 0], { limit: 5, filter: { documentId: a, version: 1 } }),
      ).toEqual([]);
      expect(await store.count({ documentId: a, version: 2 })).toBe(1);
      expect(await store.count({ documentId: b })).toBe(1);
    });

    it('deleteChunksFrom removes the tail of one version only', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const [a, b] = [uniqueDocument(), uniqueDocument()];
      await store.upsert(S4, [
        point(a, 1, 0, [1, 0, 0, 0]),
        point(a, 1, 1, [0, 1, 0, 0]),
        point(a, 1, 2, [0, 0, 1, 0]),
        point(a, 2, 2, [0, 0, 1, 0]),
        point(b, 1, 2, [0, 0, 0, 1]),
      ]);
      await store.deleteChunksFrom(a, 1, 1);
      await store.deleteChunksFrom(a, 1, 1);
      expect(await store.count({ documentId: a, version: 1 })).toBe(1);
      expect(await store.count({ documentId: a, version: 2 })).toBe(1);
      expect(await store.count({ documentId: b })).toBe(1);
    });

    it('deleteOlderVersions removes the older versions only: the given one and newer ones stay', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const [a, b] = [uniqueDocument(), uniqueDocument()];
      await store.upsert(S4, [
        point(a, 1, 0, [1, 0, 0, 0]),
        point(a, 2, 0, [0, 1, 0, 0]),
        point(a, 3, 0, [0, 0, 1, 0]),
        point(a, 4, 0, [1, 1, 0, 0]),
        point(b, 1, 0, [0, 0, 0, 1]),
      ]);
      await store.deleteOlderVersions(a, 3);
      expect(await store.count({ documentId: a })).toBe(2);
      expect(await store.count({ documentId: a, version: 3 })).toBe(1);
      expect(await store.count({ documentId: a, version: 4 })).toBe(1);
      expect(await store.count({ documentId: b })).toBe(1);
    });

    it('round-trips knowledge base, kind, date, pages and user metadata', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const doc = uniqueDocument();
      const metadata = {
        team: 'search',
        tags: ['a', 'b'],
        nested: { depth: [1, { x: null }] },
        score: 2.5,
        ok: true,
      };
      const written = point(doc, 1, 0, [1, 0, 0, 0], {
        knowledgeBase: 'team-a',
        kind: 'markdown',
        createdAt: '2025-06-07T08:09:10.000Z',
        metadata,
        pageStart: 3,
        pageEnd: 5,
      });
      await store.upsert(S4, [written]);
      const [hit] = await store.search(S4, [1, 0, 0, 0], { limit: 1 });
      expect(hit?.payload).toEqual(written.payload);
      const [keyword] = await store.keywordSearch(S4, 'chunk', { limit: 1 });
      expect(keyword?.payload).toEqual(written.payload);
    });

    it('filters on knowledge bases, documents, kinds, metadata, dates and pages in vector, keyword and count', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const [a, b, c] = [uniqueDocument(), uniqueDocument(), uniqueDocument()];
      const points = [
        point(a, 1, 0, [1, 0, 0, 0], {
          knowledgeBase: 'kb1',
          kind: 'pdf',
          metadata: { team: 'red', tags: ['x', 'y'], year: 2024 },
          createdAt: '2024-01-01T00:00:00.000Z',
          pageStart: 1,
          pageEnd: 2,
        }),
        point(a, 1, 1, [1, 0.1, 0, 0], {
          knowledgeBase: 'kb1',
          kind: 'pdf',
          metadata: { team: 'red', tags: ['x', 'y'], year: 2024 },
          createdAt: '2024-01-01T00:00:00.000Z',
          pageStart: 3,
          pageEnd: 4,
        }),
        point(b, 1, 0, [1, 0.2, 0, 0], {
          knowledgeBase: 'kb2',
          kind: 'markdown',
          metadata: { team: 'blue', tags: ['y'], year: 2025 },
          createdAt: '2025-01-01T00:00:00.000Z',
          pageStart: 1,
          pageEnd: 1,
        }),
        point(c, 1, 0, [1, 0.3, 0, 0], {
          knowledgeBase: 'kb2',
          kind: 'html',
          metadata: {},
          createdAt: '2026-01-01T00:00:00.000Z',
          pageStart: 7,
          pageEnd: 9,
        }),
      ];
      await store.upsert(S4, points);
      const cases: Array<[VectorFilter, string[]]> = [
        [{ knowledgeBases: ['kb1'] }, [points[0], points[1]].map((p) => p?.id ?? '')],
        [{ knowledgeBases: ['kb1', 'kb2'] }, points.map((p) => p.id)],
        [{ knowledgeBases: ['none'] }, []],
        [{ documentIds: [b, c] }, [points[2], points[3]].map((p) => p?.id ?? '')],
        [{ kinds: ['markdown', 'html'] }, [points[2], points[3]].map((p) => p?.id ?? '')],
        [{ metadata: { team: 'red' } }, [points[0], points[1]].map((p) => p?.id ?? '')],
        [{ metadata: { team: ['red', 'blue'] } }, [points[0], points[1], points[2]].map((p) => p?.id ?? '')],
        [{ metadata: { tags: 'y' } }, [points[0], points[1], points[2]].map((p) => p?.id ?? '')],
        [{ metadata: { tags: 'x', year: 2024 } }, [points[0], points[1]].map((p) => p?.id ?? '')],
        [{ metadata: { year: 2025, team: 'red' } }, []],
        [{ createdAfter: '2025-01-01T00:00:00Z' }, [points[2], points[3]].map((p) => p?.id ?? '')],
        [{ createdBefore: '2025-01-01T00:00:00Z' }, [points[0], points[1]].map((p) => p?.id ?? '')],
        [{ pages: { from: 2, to: 3 } }, [points[0], points[1]].map((p) => p?.id ?? '')],
        [{ pages: { from: 8 } }, [points[3]].map((p) => p?.id ?? '')],
        [{ pages: { to: 1 } }, [points[0], points[2]].map((p) => p?.id ?? '')],
        [{ knowledgeBases: ['kb2'], kinds: ['html'] }, [points[3]].map((p) => p?.id ?? '')],
      ];
      for (const [filter, expected] of cases) {
        const label = JSON.stringify(filter);
        const vector = await store.search(S4, [1, 0, 0, 0], { limit: 10, filter });
        expect(vector.map((hit) => hit.id).sort(), label).toEqual([...expected].sort());
        const keyword = await store.keywordSearch(S4, 'chunk version', { limit: 10, filter });
        expect(keyword.map((hit) => hit.id).sort(), label).toEqual([...expected].sort());
        expect(await store.count(filter), label).toBe(expected.length);
      }
    });

    it('finds exact words by keyword that the vector ranking puts last, with IDF favouring rare words', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const doc = uniqueDocument();
      const filler = Array.from({ length: 12 }, (_, index) =>
        point(doc, 1, index, [1, index / 100, 0, 0], {
          text: `the compiler traces loops in program ${index}`,
        }),
      );
      const rare = point(doc, 1, 99, [-1, 0, 0, 0], {
        text: 'Daguerreotypes were made with the compiler in 1839',
      });
      await store.upsert(S4, [...filler, rare]);
      const vector = await store.search(S4, [1, 0, 0, 0], { limit: 13 });
      expect(vector.at(-1)?.id).toBe(rare.id);
      const keyword = await store.keywordSearch(S4, 'compiler daguerreotype', { limit: 3 });
      expect(keyword[0]?.id).toBe(rare.id);
      expect(keyword.length).toBe(3);
      expect(keyword[0]?.score).toBeGreaterThan(keyword[1]?.score ?? Number.POSITIVE_INFINITY);
      expect(await store.keywordSearch(S4, 'the and of', { limit: 3 })).toEqual([]);
      expect(await store.keywordSearch(S4, 'zeppelin', { limit: 3 })).toEqual([]);
      const paged = [
        ...(await store.keywordSearch(S4, 'compiler', { limit: 5, offset: 0 })),
        ...(await store.keywordSearch(S4, 'compiler', { limit: 5, offset: 5 })),
        ...(await store.keywordSearch(S4, 'compiler', { limit: 5, offset: 10 })),
      ];
      expect(new Set(paged.map((hit) => hit.id)).size).toBe(13);
    });

    it('says which search engine it uses and how many points it holds', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      await store.upsert(S4, [point(uniqueDocument(), 1, 0, [1, 0, 0, 0])]);
      const engine = await store.engine();
      expect(engine.points).toBe(1);
      expect(engine.name.length).toBeGreaterThan(0);
      expect(engine.detail.length).toBeGreaterThan(0);
    });

    it('deleteDocument removes every version of the document and nothing else', async () => {
      const store = await open();
      await store.ensureSpace(S4);
      const [a, b] = [uniqueDocument(), uniqueDocument()];
      await store.upsert(S4, [
        point(a, 1, 0, [1, 0, 0, 0]),
        point(a, 2, 0, [0, 1, 0, 0]),
        point(b, 1, 0, [0, 0, 0, 1]),
      ]);
      await store.deleteDocument(a);
      await store.deleteDocument(a);
      expect(await store.count({ documentId: a })).toBe(0);
      expect(
        (await store.search(S4, [1, 0, 0, 0], { limit: 10 })).map((hit) => hit.payload.documentId),
      ).toEqual([b]);
      expect(await store.count()).toBe(1);
    });
  });
}

export function space(dimensions: number): EmbeddingSpace {
  return { provider: 'simulator', model: `embed-${dimensions}`, dimensions, normalisation: 'l2' };
}
const S4 = space(4);
const S8 = space(8);

export function uniqueDocument(): string {
  return randomBytes(32).toString('hex');
}

export function point(
  documentId: string,
  version: number,
  chunkIndex: number,
  vector: number[],
  overrides: Partial<ChunkPayload> = {},
): VectorPoint {
  return {
    id: chunkPointId(documentId, version, chunkIndex),
    vector,
    payload: {
      documentId,
      version,
      chunkIndex,
      pageStart: chunkIndex + 1,
      pageEnd: chunkIndex + 2,
      source: `/docs/${documentId.slice(0, 8)}.pdf`,
      text: `chunk ${chunkIndex} of version ${version}`,
      headingPath: ['Intro', `Part ${chunkIndex}`],
      embeddingModel: 'simulator:embed-4',
      knowledgeBase: 'default',
      kind: 'pdf',
      createdAt: '2026-01-02T03:04:05.000Z',
      metadata: {},
      ...overrides,
    },
  };
}

/** Deterministic pseudo-random vector (no zero vectors). */
export function randomVector(dimensions: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: dimensions }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648 - 0.5 + 1e-3;
  });
}
