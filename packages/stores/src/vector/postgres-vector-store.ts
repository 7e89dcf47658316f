import type { ChunkPayload, VectorFilter, VectorHit, VectorPoint, VectorStore } from '@aegis/core';
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
  /** Collection name (a row of `vector_collections`); one embedding model's vectors per collection. */
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
 * The lite VectorStore: points in `vector_points`, exact cosine search without Qdrant.
 *
 * Vectors are L2-normalised on upsert, so a score is the dot product with the normalised query.
 * Search scans the candidate rows in keyset pages and scores them in JavaScript from the binary array
 * form (`array_send`): on 10k x 1024 this measured faster than computing `sum(a*b)` over `unnest` in SQL
 * (see the stores report / ADR), and it moves the CPU work from the shared database to the worker.
 * Every method is idempotent; `wait` is accepted and ignored because a committed row is already visible.
 */
export function createPostgresVectorStore(options: PostgresVectorStoreOptions): VectorStore {
  const { pool, collection } = options;
  const upsertBatchSize = options.upsertBatchSize ?? 256;
  const searchPageSize = options.searchPageSize ?? 1000;
  // A collection's size never changes once created, so one lookup per process is enough.
  let knownDimensions: number | undefined;

  async function run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStoreError(error, STORE, operation);
    }
  }

  async function readDimensions(): Promise<number | undefined> {
    if (knownDimensions !== undefined) return knownDimensions;
    const result = await pool.query<{ dimensions: number }>(
      'SELECT dimensions FROM vector_collections WHERE name = $1',
      [collection],
    );
    knownDimensions = result.rows[0]?.dimensions;
    return knownDimensions;
  }

  async function requireDimensions(): Promise<number> {
    const dimensions = await readDimensions();
    if (dimensions === undefined) throw collectionMissing(collection);
    return dimensions;
  }

  return {
    kind: 'postgres',

    ensureCollection(dimensions) {
      return run('ensureCollection', async () => {
        assertValidDimensions(dimensions);
        await pool.query(
          'INSERT INTO vector_collections (name, dimensions) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING',
          [collection, dimensions],
        );
        knownDimensions = undefined;
        const existing = await readDimensions();
        if (existing !== undefined && existing !== dimensions) {
          throw dimensionMismatch(collection, existing, dimensions);
        }
      });
    },

    dimensions() {
      return run('dimensions', readDimensions);
    },

    upsert(points) {
      return run('upsert', async () => {
        if (points.length === 0) return;
        const dimensions = await requireDimensions();
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
        await pool.query(
          'DELETE FROM vector_points WHERE collection = $1 AND document_id = $2 AND version = $3',
          [collection, documentId, version],
        );
      });
    },

    deleteOtherVersions(documentId, keepVersion) {
      return run('deleteOtherVersions', async () => {
        await pool.query(
          'DELETE FROM vector_points WHERE collection = $1 AND document_id = $2 AND version <> $3',
          [collection, documentId, keepVersion],
        );
      });
    },

    deleteDocument(documentId) {
      return run('deleteDocument', async () => {
        await pool.query('DELETE FROM vector_points WHERE collection = $1 AND document_id = $2', [
          collection,
          documentId,
        ]);
      });
    },

    count(filter) {
      return run('count', async () => {
        const where = filterClause(filter, 2);
        const result = await pool.query<{ count: string }>(
          `SELECT count(*) AS count FROM vector_points WHERE collection = $1${where.sql}`,
          [collection, ...where.values],
        );
        return Number(result.rows[0]?.count ?? 0);
      });
    },

    search(vector, { limit, filter }) {
      return run('search', async () => {
        if (limit <= 0) return [];
        const dimensions = await readDimensions();
        if (dimensions === undefined) return [];
        assertDimensions([vector], dimensions, collection);
        const query = l2Normalise(vector);
        const best = await scanTopK(query, limit, filter);
        return hydrate(best);
      });
    },

    async close() {
      // The pool belongs to the caller (it is shared with the registry and the ledger).
    },
  };

  /** Scores every candidate row, one keyset page at a time, keeping only the best `limit`. */
  async function scanTopK(
    query: readonly number[],
    limit: number,
    filter: VectorFilter | undefined,
  ): Promise<{ score: number; item: string }[]> {
    const top = new TopK<string>(limit);
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

  async function hydrate(best: { score: number; item: string }[]): Promise<VectorHit[]> {
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
    vectors.push(`{${l2Normalise(point.vector).join(',')}}`);
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
