import { isAegisError } from '@aegis/core';
import { createPostgresVectorStore, uuidRanges } from '@aegis/stores';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { point, randomVector, space, uniqueDocument } from './vector-store.contract.ts';

/**
 * The lite store's two search paths beyond the shared contract: the exact scan reads id ranges at once in
 * keyset pages, so every page size and number of ranges must give the brute-force ranking; pgvector takes a
 * configurable ef_search.
 */
const S16 = space(16);
let db: TestDatabase | undefined;
let pgvector = false;
beforeAll(async () => {
  db = await createTestDatabase();
  const { rows } = await db.pool.query<{ has: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('vector_points') AND attname = 'embedding') AS has",
  );
  pgvector = rows[0]?.has === true;
  if (!pgvector) console.warn('pgvector is not installed on this Postgres: its ef_search test is skipped');
});
afterAll(async () => db?.drop());

function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);
  const norm = (v: number[]) => Math.sqrt(v.reduce((sum, value) => sum + value * value, 0));
  return dot / (norm(a) * norm(b));
}

describe('lite store, exact scan over several pages', () => {
  it('ranks like brute force for every page size, with and without a filter', async () => {
    if (!db) throw new Error('no database');
    const collection = `scan_${uniqueDocument().slice(0, 10)}`;
    const writer = createPostgresVectorStore({ pool: db.pool, collection, vectorMode: 'exact' });
    await writer.ensureSpace(S16);
    const documents = [uniqueDocument(), uniqueDocument()];
    const points = Array.from({ length: 37 }, (_, index) =>
      point(documents[index % 2] as string, 1, index, randomVector(16, index + 11)),
    );
    await writer.upsert(S16, points, { wait: true });
    const query = randomVector(16, 999);
    const ranked = (subset: typeof points) =>
      subset
        .map((p) => ({ id: p.id, score: cosine(p.vector, query) }))
        .sort((a, b) => b.score - a.score)
        .map((entry) => entry.id);
    for (const searchPageSize of [1, 3, 36, 37, 1000]) {
      const store = createPostgresVectorStore({
        pool: db.pool,
        collection,
        vectorMode: 'exact',
        searchPageSize,
      });
      const all = await store.search(S16, query, { limit: 12 });
      expect(
        all.map((hit) => hit.id),
        `page size ${searchPageSize}`,
      ).toEqual(ranked(points).slice(0, 12));
      expect(all[0]?.score).toBeCloseTo(
        cosine(points.find((p) => p.id === all[0]?.id)?.vector ?? [], query),
        5,
      );
      const paged = await store.search(S16, query, { limit: 5, offset: 10 });
      expect(paged.map((hit) => hit.id)).toEqual(ranked(points).slice(10, 15));
      const filtered = await store.search(S16, query, { limit: 30, filter: { documentId: documents[1] } });
      expect(filtered.map((hit) => hit.id)).toEqual(
        ranked(points.filter((p) => p.payload.documentId === documents[1])),
      );
    }
  });
});

describe('uuidRanges', () => {
  it('cuts the id space into contiguous ranges from nil to the largest uuid', () => {
    expect(uuidRanges(1)).toEqual([
      ['00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
    ]);
    const ranges = uuidRanges(3);
    expect(ranges.map(([from]) => from)).toEqual([
      '00000000-0000-0000-0000-000000000000',
      '55555555-0000-0000-0000-000000000000',
      'aaaaaaaa-0000-0000-0000-000000000000',
    ]);
    for (let index = 1; index < ranges.length; index += 1)
      expect(ranges[index]?.[0]).toBe(ranges[index - 1]?.[1]);
    expect(ranges.at(-1)?.[1]).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff');
  });
});

describe('lite store, pgvector ef_search', () => {
  it('refuses an ef_search outside 1..1000', () => {
    if (!db) throw new Error('no database');
    for (const hnswEfSearch of [0, 1001, Number.NaN]) {
      let error: unknown;
      try {
        createPostgresVectorStore({ pool: db.pool, collection: 'x', hnswEfSearch });
      } catch (caught) {
        error = caught;
      }
      expect(isAegisError(error) && error.code).toBe('CONFIG_INVALID');
    }
  });

  it('answers with a larger ef_search like the default on a small collection (skipped without pgvector)', async (context) => {
    if (!db) throw new Error('no database');
    if (!pgvector) return context.skip('pgvector is not installed on this Postgres');
    const collection = `ef_${uniqueDocument().slice(0, 10)}`;
    const writer = createPostgresVectorStore({ pool: db.pool, collection });
    await writer.ensureSpace(S16);
    const documentId = uniqueDocument();
    await writer.upsert(
      S16,
      Array.from({ length: 30 }, (_, index) => point(documentId, 1, index, randomVector(16, index + 5))),
      { wait: true },
    );
    expect((await writer.engine()).name).toContain('pgvector');
    const query = randomVector(16, 4242);
    const wide = createPostgresVectorStore({ pool: db.pool, collection, hnswEfSearch: 200 });
    const narrow = createPostgresVectorStore({ pool: db.pool, collection, hnswEfSearch: 1 });
    const expected = (await writer.search(S16, query, { limit: 10 })).map((hit) => hit.id);
    expect((await wide.search(S16, query, { limit: 10 })).map((hit) => hit.id)).toEqual(expected);
    // ef_search is raised to offset + limit: a tiny setting still returns the full page.
    expect(await narrow.search(S16, query, { limit: 10 })).toHaveLength(10);
  });
});
