import type {
  ChunkPayload,
  EmbeddingSpace,
  VectorFilter,
  VectorHit,
  VectorPoint,
  VectorStore,
} from '@aegis/core';
import { collectionNameFor } from '@aegis/core';
import type pg from 'pg';
import { toStoreError } from './store-error.ts';
import {
  assertDimensions,
  assertValidDimensions,
  collectionMissing,
  dimensionMismatch,
  l2Normalise,
  TopK,
} from './vector-math.ts';

export interface PostgresVectorStoreOptions {
  /** Owned by the caller: `close()` does not end it. Its search_path must reach the migrated tables. */
  pool: pg.Pool;
  /** Prefix of the collection names (`<collection>__<space>`); one embedding space per collection. */
  collection: string;
  /** Rows per multi-row upsert statement. Default 256. */
  upsertBatchSize?: number | undefined;
  /** Rows fetched per round trip while scanning for a search. Default 1000. */
  searchPageSize?: number | undefined;
}

const STORE = 'postgres vector store';
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** `array_send(real[])`: ndim, flags, element type, then (size, lower bound) per dimension = 20 bytes for 1-D. */
const ARRAY_HEADER_BYTES = 20;

interface PointRow {
  id: string;
  document_id: string;
  version: number;
  chunk_index: number;
  payload: Omit<ChunkPayload, 'documentId' | 'version' | 'chunkIndex'>;
}

/**
 * The lite VectorStore: points in `vector_points`, one `vector_collections` row per embedding space.
 *
 * Vectors are L2-normalised on upsert, so a score is the dot product with the normalised query.
 * Search scans the candidate rows in keyset pages and scores them in JavaScript from the binary array
 * form (`array_send`), keeping only the best `offset + limit`: memory stays bounded by one page.
 * Every method is idempotent; `wait` is accepted and ignored because a committed row is already visible.
 */
export function createPostgresVectorStore(options: PostgresVectorStoreOptions): VectorStore {
  const { pool } = options;
  const base = options.collection;
  const upsertBatchSize = options.upsertBatchSize ?? 256;
  const searchPageSize = options.searchPageSize ?? 1000;
  // A collection's size never changes once created, so one lookup per collection and process is enough.
  const knownDimensions = new Map<string, number>();

  async function run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStoreError(error, STORE, operation);
    }
  }

  function collectionOf(space: EmbeddingSpace): string {
    return collectionNameFor(base, space);
  }

  async function readDimensions(collection: string): Promise<number | undefined> {
    const known = knownDimensions.get(collection);
    if (known !== undefined) return known;
    const result = await pool.query<{ dimensions: number }>(
      'SELECT dimensions FROM vector_collections WHERE name = $1',
      [collection],
    );
    const dimensions = result.rows[0]?.dimensions;
    if (dimensions !== undefined) knownDimensions.set(collection, dimensions);
    return dimensions;
  }

  /**
   * Names of this store's collections (`<base>__<space>`). Deletes and counts name them with `= ANY`, so
   * the `(collection, document_id, version)` index serves them; the list is a handful of rows.
   */
  async function ownCollections(): Promise<string[]> {
    const result = await pool.query<{ name: string }>(
      'SELECT name FROM vector_collections WHERE left(name, length($1) + 2) = $1 || $2',
      [base, '__'],
    );
    return result.rows.map((row) => row.name);
  }
  const inOwn = 'collection = ANY($1::text[])';

  return {
    kind: 'postgres',
    collectionOf,

    ensureSpace(space) {
      return run('ensureSpace', async () => {
        assertValidDimensions(space.dimensions);
        const collection = collectionOf(space);
        await pool.query(
          `INSERT INTO vector_collections (name, dimensions, provider, model, normalisation)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
          [collection, space.dimensions, space.provider, space.model, space.normalisation],
        );
        knownDimensions.delete(collection);
        const existing = await readDimensions(collection);
        if (existing !== undefined && existing !== space.dimensions) {
          throw dimensionMismatch(collection, existing, space.dimensions);
        }
      });
    },

    collections() {
      return run('collections', async () => {
        const result = await pool.query<{ name: string; dimensions: number; points: string }>(
          `SELECT c.name, c.dimensions, (SELECT count(*) FROM vector_points p WHERE p.collection = c.name) AS points
             FROM vector_collections c WHERE c.name = ANY($1::text[]) ORDER BY c.name`,
          [await ownCollections()],
        );
        return result.rows.map((row) => ({
          name: row.name,
          dimensions: row.dimensions,
          points: Number(row.points),
        }));
      });
    },

    upsert(space, points) {
      return run('upsert', async () => {
        if (points.length === 0) return;
        const collection = collectionOf(space);
        const dimensions = await readDimensions(collection);
        if (dimensions === undefined) throw collectionMissing(collection);
        assertDimensions(
          points.map((point) => point.vector),
          dimensions,
          collection,
        );
        // Last write wins within a call, as in Qdrant; one statement may not update the same row twice.
        const unique = [...new Map(points.map((point) => [point.id, point])).values()];
        for (let start = 0; start < unique.length; start += upsertBatchSize) {
          await upsertBatch(pool, collection, unique.slice(start, start + upsertBatchSize));
        }
      });
    },

    deleteVersion(documentId, version) {
      return run('deleteVersion', async () => {
        await pool.query(`DELETE FROM vector_points WHERE ${inOwn} AND document_id = $2 AND version = $3`, [
          await ownCollections(),
          documentId,
          version,
        ]);
      });
    },

    deleteChunksFrom(documentId, version, fromChunkIndex) {
      return run('deleteChunksFrom', async () => {
        await pool.query(
          `DELETE FROM vector_points WHERE ${inOwn} AND document_id = $2 AND version = $3 AND chunk_index >= $4`,
          [await ownCollections(), documentId, version, fromChunkIndex],
        );
      });
    },

    deleteOtherVersions(documentId, keepVersion) {
      return run('deleteOtherVersions', async () => {
        await pool.query(`DELETE FROM vector_points WHERE ${inOwn} AND document_id = $2 AND version <> $3`, [
          await ownCollections(),
          documentId,
          keepVersion,
        ]);
      });
    },

    deleteDocument(documentId) {
      return run('deleteDocument', async () => {
        await pool.query(`DELETE FROM vector_points WHERE ${inOwn} AND document_id = $2`, [
          await ownCollections(),
          documentId,
        ]);
      });
    },

    count(filter) {
      return run('count', async () => {
        const where = filterClause(filter, 2);
        const result = await pool.query<{ count: string }>(
          `SELECT count(*) AS count FROM vector_points WHERE ${inOwn}${where.sql}`,
          [await ownCollections(), ...where.values],
        );
        return Number(result.rows[0]?.count ?? 0);
      });
    },

    search(space, vector, { limit, offset = 0, filter }) {
      return run('search', async () => {
        if (limit <= 0) return [];
        const collection = collectionOf(space);
        const dimensions = await readDimensions(collection);
        if (dimensions === undefined) return [];
        assertDimensions([vector], dimensions, collection);
        const query = l2Normalise(vector);
        const best = await scanTopK(collection, query, offset + limit, filter);
        return hydrate(collection, best.slice(offset));
      });
    },

    async close() {
      // The pool belongs to the caller (it is shared with the registry and the ledger).
    },
  };

  /** Scores every candidate row, one keyset page at a time, keeping only the best `keep`. */
  async function scanTopK(
    collection: string,
    query: readonly number[],
    keep: number,
    filter: VectorFilter | undefined,
  ): Promise<{ score: number; item: string }[]> {
    const top = new TopK<string>(keep);
    const where = filterClause(filter, 4);
    let after = NIL_UUID;
    for (;;) {
      const page = await pool.query<{ id: string; vector: Buffer }>(
        `SELECT id, array_send(vector) AS vector FROM vector_points
          WHERE collection = $1 AND id > $2${where.sql}
          ORDER BY id LIMIT $3`,
        [collection, after, searchPageSize, ...where.values],
      );
      for (const row of page.rows) top.offer(dotWithBinaryArray(row.vector, query), row.id);
      const last = page.rows.at(-1);
      if (last === undefined || page.rows.length < searchPageSize) break;
      after = last.id;
    }
    return top.results();
  }

  async function hydrate(collection: string, best: { score: number; item: string }[]): Promise<VectorHit[]> {
    if (best.length === 0) return [];
    const result = await pool.query<PointRow>(
      `SELECT id, document_id, version, chunk_index, payload FROM vector_points
        WHERE collection = $1 AND id = ANY($2::uuid[])`,
      [collection, best.map((entry) => entry.item)],
    );
    const rows = new Map(result.rows.map((row) => [row.id, row]));
    const hits: VectorHit[] = [];
    for (const { score, item } of best) {
      const row = rows.get(item);
      // A point deleted between the scan and this read is simply not a hit any more.
      if (row !== undefined) hits.push({ id: row.id, score, payload: payloadOf(row) });
    }
    return hits;
  }
}

async function upsertBatch(pool: pg.Pool, collection: string, points: readonly VectorPoint[]): Promise<void> {
  const ids: string[] = [];
  const documentIds: string[] = [];
  const versions: number[] = [];
  const chunkIndexes: number[] = [];
  const vectors: string[] = [];
  const payloads: string[] = [];
  for (const point of points) {
    const { documentId, version, chunkIndex, ...rest } = point.payload;
    ids.push(point.id);
    documentIds.push(documentId);
    versions.push(version);
    chunkIndexes.push(chunkIndex);
    // Array literal text: node-postgres has no binary parameters, and one text[] keeps it one statement.
    vectors.push(`{${l2Normalise(point.vector).map(toFloat32).join(',')}}`);
    payloads.push(JSON.stringify(rest));
  }
  await pool.query(
    `INSERT INTO vector_points (collection, id, document_id, version, chunk_index, vector, payload)
     SELECT $1, id, document_id, version, chunk_index, vector::real[], payload::jsonb
       FROM unnest($2::uuid[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[])
         AS t(id, document_id, version, chunk_index, vector, payload)
     ON CONFLICT (collection, id) DO UPDATE SET
       document_id = EXCLUDED.document_id,
       version = EXCLUDED.version,
       chunk_index = EXCLUDED.chunk_index,
       vector = EXCLUDED.vector,
       payload = EXCLUDED.payload`,
    [collection, ids, documentIds, versions, chunkIndexes, vectors, payloads],
  );
}

/** Smallest positive normal float32; Postgres refuses smaller magnitudes for `real` as out of range. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** The float32 a component is stored as; magnitudes below float32's normal range become 0. */
function toFloat32(value: number): number {
  return Math.abs(value) < FLOAT32_MIN_NORMAL ? 0 : Math.fround(value);
}

/** Dot product of the query with `array_send(real[])` output: a header, then (length int4, float4) per element, big-endian. */
function dotWithBinaryArray(bytes: Buffer, query: readonly number[]): number {
  let sum = 0;
  let offset = ARRAY_HEADER_BYTES + 4;
  for (let index = 0; index < query.length; index += 1) {
    sum += bytes.readFloatBE(offset) * (query[index] ?? 0);
    offset += 8;
  }
  return sum;
}

function filterClause(
  filter: VectorFilter | undefined,
  firstParameter: number,
): { sql: string; values: (string | number)[] } {
  let sql = '';
  const values: (string | number)[] = [];
  if (filter?.documentId !== undefined) {
    values.push(filter.documentId);
    sql += ` AND document_id = $${firstParameter + values.length - 1}`;
  }
  if (filter?.version !== undefined) {
    values.push(filter.version);
    sql += ` AND version = $${firstParameter + values.length - 1}`;
  }
  return { sql, values };
}

function payloadOf(row: PointRow): ChunkPayload {
  return { ...row.payload, documentId: row.document_id, version: row.version, chunkIndex: row.chunk_index };
}
