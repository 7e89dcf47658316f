import type { EmbeddingSpace, VectorFilter, VectorHit, VectorPoint, VectorStore } from '@aegis/core';
import { AegisError, collectionNameFor } from '@aegis/core';
import type pg from 'pg';
import {
  cosineOperator,
  detectVectorMode,
  ensureHnswIndex,
  literal,
  type VectorMode,
  vectorType,
} from './pgvector.ts';
import {
  dotWithEncoded,
  encodeVector,
  POINT_COLUMNS,
  type PointRow,
  payloadOf,
  vectorLiteral,
} from './point-codec.ts';
import { keywordSearch } from './postgres-keyword-search.ts';
import { SqlParams } from './sql-params.ts';
import { toStoreError } from './store-error.ts';
import { filterSql } from './vector-filter-sql.ts';
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
  /** Rows fetched per round trip by the exact scan. Default 1000. */
  searchPageSize?: number | undefined;
  /** Id ranges the exact scan reads at once, each on its own pool connection. Default 2. */
  scanParallelism?: number | undefined;
  /** Postgres text search configuration for keyword search (stemming, stop words). Default `english`. */
  textSearchConfig?: string | undefined;
  /** `auto` uses pgvector when the schema has it; `exact` always scans (benchmarks compare the two). Default `auto`. */
  vectorMode?: 'auto' | 'exact' | undefined;
  /**
   * pgvector's `hnsw.ef_search`: candidates the HNSW walk keeps (recall against latency). At least
   * `offset + limit`, at most 1000. Default 100: at 1M points of 384 dimensions recall@10 0.88 instead of 0.78
   * with pgvector's own 40, for about 1 ms more at the median (BENCHMARKS.md retrieval-latency).
   */
  hnswEfSearch?: number | undefined;
}

const STORE = 'postgres vector store';
/**
 * The exact scan's measured cost at 1024 dimensions (bench/retrieval/latency.ts: 10k x 1024 in 1.7 s p50 on the
 * shared 2-core VM at load 18), for `doctor`; at 384 dimensions 2.5 s per 100k was measured (BENCHMARKS.md).
 */
export const EXACT_SCAN_MS_PER_100K_POINTS = 17_000;

/**
 * The lite VectorStore: points in `vector_points`, one `vector_collections` row per embedding space.
 *
 * - **pgvector** (when the migration found the extension): vectors in an `embedding vector` column with one
 *   partial HNSW index (cosine) per collection, searched with iterative index scans so filters never shorten
 *   the answer; a filtered search that still comes back short is redone exactly inside Postgres.
 * - **exact** (otherwise): vectors as big-endian float32 bytes, scanned in keyset pages (filters applied in
 *   SQL) and scored in JavaScript from base64, keeping only the best `offset + limit`: memory stays bounded by
 *   one page, and the cost is linear in the points of the collection (stated by `engine()`).
 *
 * Keyword search is Postgres full text (`tsvector` + GIN) in both modes. Vectors are L2-normalised on upsert.
 * Every method is idempotent; `wait` is accepted and ignored because a committed row is already visible.
 */
export function createPostgresVectorStore(options: PostgresVectorStoreOptions): VectorStore {
  const { pool } = options;
  const base = options.collection;
  const upsertBatchSize = options.upsertBatchSize ?? 256;
  const searchPageSize = options.searchPageSize ?? 1000;
  const scanParallelism = Math.max(1, Math.min(16, Math.trunc(options.scanParallelism ?? 2)));
  const efSearch = Math.trunc(options.hnswEfSearch ?? 100);
  if (!(efSearch >= 1 && efSearch <= 1000))
    throw new AegisError('CONFIG_INVALID', `hnsw ef_search must be 1..1000, got ${options.hnswEfSearch}`);
  const textConfig = options.textSearchConfig ?? 'english';
  if (!/^[a-z_]{1,63}$/.test(textConfig))
    throw new AegisError('CONFIG_INVALID', `text search configuration "${textConfig}" is not a plain name`);
  // A collection's size never changes once created, so one lookup per collection and process is enough.
  const knownDimensions = new Map<string, number>();
  let mode: Promise<VectorMode> | undefined;

  async function run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStoreError(error, STORE, operation);
    }
  }

  function vectorMode(): Promise<VectorMode> {
    if (options.vectorMode === 'exact')
      return Promise.resolve({ kind: 'exact', reason: 'the exact scan was chosen (vectorMode: exact)' });
    mode ??= detectVectorMode(pool).catch((error: unknown) => {
      mode = undefined;
      throw error;
    });
    return mode;
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

  async function deleteWhere(condition: string, values: unknown[]): Promise<void> {
    await pool.query(`DELETE FROM vector_points WHERE collection = ANY($1::text[]) AND ${condition}`, [
      await ownCollections(),
      ...values,
    ]);
  }

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
        const current = await vectorMode();
        if (current.kind === 'pgvector')
          await ensureHnswIndex(pool, current.schema, collection, space.dimensions);
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

    engine() {
      return run('engine', async () => {
        const current = await vectorMode();
        const { rows } = await pool.query<{ points: string }>(
          'SELECT count(*) AS points FROM vector_points WHERE collection = ANY($1::text[])',
          [await ownCollections()],
        );
        const points = Number(rows[0]?.points ?? 0);
        if (current.kind === 'pgvector')
          return {
            name: `pgvector ${current.version} (HNSW, cosine)`,
            detail: `${points} points; one HNSW index per collection, iterative scans under filters`,
            points,
          };
        const estimate = Math.round((points / 100_000) * EXACT_SCAN_MS_PER_100K_POINTS);
        return {
          name: 'exact scan',
          detail:
            `${current.reason}; ${points} points, so a vector query reads them all: about ${estimate} ms ` +
            `(${EXACT_SCAN_MS_PER_100K_POINTS} ms per 100k points of 1024 dimensions measured); install pgvector to index them`,
          points,
        };
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
        const current = await vectorMode();
        // Last write wins within a call, as in Qdrant; one statement may not update the same row twice.
        const unique = [...new Map(points.map((point) => [point.id, point])).values()];
        for (let start = 0; start < unique.length; start += upsertBatchSize) {
          await upsertBatch(
            pool,
            collection,
            textConfig,
            current,
            unique.slice(start, start + upsertBatchSize),
          );
        }
      });
    },

    deleteVersion(documentId, version) {
      return run('deleteVersion', () =>
        deleteWhere('document_id = $2 AND version = $3', [documentId, version]),
      );
    },

    deleteChunksFrom(documentId, version, fromChunkIndex) {
      return run('deleteChunksFrom', () =>
        deleteWhere('document_id = $2 AND version = $3 AND chunk_index >= $4', [
          documentId,
          version,
          fromChunkIndex,
        ]),
      );
    },

    deleteOlderVersions(documentId, version) {
      return run('deleteOlderVersions', () =>
        deleteWhere('document_id = $2 AND version < $3', [documentId, version]),
      );
    },

    deleteDocument(documentId) {
      return run('deleteDocument', () => deleteWhere('document_id = $2', [documentId]));
    },

    count(filter) {
      return run('count', async () => {
        const params = new SqlParams();
        const collections = params.add(await ownCollections());
        const where = filterSql(filter, params);
        const result = await pool.query<{ count: string }>(
          `SELECT count(*) AS count FROM vector_points p WHERE p.collection = ANY(${collections}::text[])${where}`,
          params.values,
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
        const current = await vectorMode();
        if (current.kind === 'pgvector')
          return pgvectorSearch(current, collection, dimensions, vector, limit, offset, filter);
        const best = await scanTopK(collection, l2Normalise(vector), offset + limit, filter);
        return hydrate(collection, best.slice(offset));
      });
    },

    keywordSearch(space, query, { limit, offset = 0, filter }) {
      return run('keywordSearch', async () => {
        if (limit <= 0 || query.trim() === '') return [];
        const collection = collectionOf(space);
        if ((await readDimensions(collection)) === undefined) return [];
        const rows = await keywordSearch(pool, { collection, textConfig, query, limit, offset, filter });
        return rows.map((row) => ({ id: row.id, score: row.score, payload: payloadOf(row) }));
      });
    },

    async close() {
      // The pool belongs to the caller (it is shared with the registry and the ledger).
    },
  };

  /**
   * Scores every candidate row, one keyset page at a time, keeping only the best `keep`. The id space is cut
   * into `scanParallelism` ranges scanned at once on as many connections: Postgres' base64 encoding of the
   * vectors is most of the cost (BENCHMARKS.md retrieval-latency), and each range's backend does its share.
   */
  async function scanTopK(
    collection: string,
    query: readonly number[],
    keep: number,
    filter: VectorFilter | undefined,
  ): Promise<{ score: number; item: string }[]> {
    const top = new TopK<string>(keep);
    const queryVector = Float64Array.from(query);
    const scanRange = async (from: string, to: string): Promise<void> => {
      let after = from;
      for (;;) {
        const params = new SqlParams();
        const where = `p.collection = ${params.add(collection)} AND p.id > ${params.add(after)} AND p.id <= ${params.add(to)}`;
        const filters = filterSql(filter, params);
        const page = await pool.query<{ id: string; vector: string }>(
          `SELECT p.id, encode(p.vector_f32, 'base64') AS vector FROM vector_points p
            WHERE ${where} AND p.vector_f32 IS NOT NULL${filters}
            ORDER BY p.id LIMIT ${params.add(searchPageSize)}`,
          params.values,
        );
        // One JavaScript thread: offers from the ranges interleave between pages, never within one.
        for (const row of page.rows) top.offer(dotWithEncoded(row.vector, queryVector), row.id);
        const last = page.rows.at(-1);
        if (last === undefined || page.rows.length < searchPageSize) return;
        after = last.id;
      }
    };
    await Promise.all(uuidRanges(scanParallelism).map(([from, to]) => scanRange(from, to)));
    return top.results();
  }

  async function hydrate(collection: string, best: { score: number; item: string }[]): Promise<VectorHit[]> {
    if (best.length === 0) return [];
    const result = await pool.query<PointRow>(
      `SELECT ${POINT_COLUMNS} FROM vector_points p WHERE p.collection = $1 AND p.id = ANY($2::uuid[])`,
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

  /**
   * Nearest points through the collection's HNSW index. pgvector 0.8's iterative scan keeps walking the graph
   * while filters reject candidates (`relaxed_order`, so the rows are re-sorted here). A short answer is
   * redone by an exact scan inside Postgres (index scans off), so neither a filter nor the approximate graph
   * makes the answer shorter than the matching points allow.
   */
  async function pgvectorSearch(
    current: Extract<VectorMode, { kind: 'pgvector' }>,
    collection: string,
    dimensions: number,
    vector: readonly number[],
    limit: number,
    offset: number,
    filter: VectorFilter | undefined,
  ): Promise<VectorHit[]> {
    const type = vectorType(current.schema, dimensions);
    const operator = cosineOperator(current.schema);
    const params = new SqlParams();
    const query = params.add(vectorLiteral(vector));
    const filters = filterSql(filter, params);
    const statement = `WITH nearest AS MATERIALIZED (
        SELECT p.id, (p.embedding::${type}) ${operator} ${query}::${type} AS distance FROM vector_points p
         WHERE p.collection = ${literal(collection)} AND p.embedding IS NOT NULL${filters}
         ORDER BY (p.embedding::${type}) ${operator} ${query}::${type}
         LIMIT ${params.add(limit)} OFFSET ${params.add(offset)})
      SELECT ${POINT_COLUMNS}, 1 - n.distance AS score FROM nearest n
        JOIN vector_points p ON p.collection = ${literal(collection)} AND p.id = n.id
       ORDER BY n.distance, p.id`;
    const iterative = versionAtLeast(current.version, 0, 8);
    const attempt = async (exact: boolean) => {
      const client = await pool.connect();
      try {
        // One round trip for the transaction's settings (numbers built here, no parameters).
        await client.query(
          [
            'BEGIN',
            `SET LOCAL hnsw.ef_search = ${Math.min(1000, Math.max(efSearch, offset + limit))}`,
            ...(iterative ? ["SET LOCAL hnsw.iterative_scan = 'relaxed_order'"] : []),
            ...(exact ? ['SET LOCAL enable_indexscan = off'] : []),
          ].join('; '),
        );
        const result = await client.query<PointRow & { score: number }>(statement, params.values);
        await client.query('COMMIT');
        return result.rows;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    };
    let rows = await attempt(false);
    // Short: the ranking really ends here (few or filtered-out points), or the graph walk missed live points
    // (filters beyond what iterative scanning covers, or nodes cut off by deleted neighbours until VACUUM).
    // Either way the exact answer is one scan of the matching rows inside Postgres.
    if (rows.length < limit) rows = await attempt(true);
    return rows.map((row) => ({ id: row.id, score: Number(row.score), payload: payloadOf(row) }));
  }
}

async function upsertBatch(
  pool: pg.Pool,
  collection: string,
  textConfig: string,
  mode: VectorMode,
  points: readonly VectorPoint[],
): Promise<void> {
  const columns = {
    id: [] as string[],
    documentId: [] as string[],
    version: [] as number[],
    chunkIndex: [] as number[],
    knowledgeBase: [] as string[],
    kind: [] as string[],
    createdAt: [] as string[],
    pageStart: [] as number[],
    pageEnd: [] as number[],
    metadata: [] as string[],
    payload: [] as string[],
    vector: [] as string[],
  };
  for (const point of points) {
    const p = point.payload;
    columns.id.push(point.id);
    columns.documentId.push(p.documentId);
    columns.version.push(p.version);
    columns.chunkIndex.push(p.chunkIndex);
    columns.knowledgeBase.push(p.knowledgeBase);
    columns.kind.push(p.kind);
    columns.createdAt.push(p.createdAt);
    columns.pageStart.push(p.pageStart);
    columns.pageEnd.push(p.pageEnd);
    columns.metadata.push(JSON.stringify(p.metadata));
    columns.payload.push(
      JSON.stringify({
        source: p.source,
        text: p.text,
        headingPath: p.headingPath,
        embeddingModel: p.embeddingModel,
      }),
    );
    columns.vector.push(
      mode.kind === 'pgvector' ? vectorLiteral(point.vector) : encodeVector(point.vector).toString('base64'),
    );
  }
  const vectorColumn = mode.kind === 'pgvector' ? 'embedding' : 'vector_f32';
  const vectorValue =
    mode.kind === 'pgvector'
      ? `t.vector::"${mode.schema.replaceAll('"', '""')}".vector`
      : "decode(t.vector, 'base64')";
  await pool.query(
    `INSERT INTO vector_points (collection, id, document_id, version, chunk_index, knowledge_base, kind, created_at,
                                page_start, page_end, metadata, text_config, payload, ${vectorColumn})
     SELECT $1, t.id, t.document_id, t.version, t.chunk_index, t.knowledge_base, t.kind, t.created_at,
            t.page_start, t.page_end, t.metadata::jsonb, $2::regconfig, t.payload::jsonb, ${vectorValue}
       FROM unnest($3::uuid[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[], $9::timestamptz[],
                   $10::int[], $11::int[], $12::text[], $13::text[], $14::text[])
         AS t(id, document_id, version, chunk_index, knowledge_base, kind, created_at, page_start, page_end,
              metadata, payload, vector)
     ON CONFLICT (collection, id) DO UPDATE SET
       document_id = EXCLUDED.document_id, version = EXCLUDED.version, chunk_index = EXCLUDED.chunk_index,
       knowledge_base = EXCLUDED.knowledge_base, kind = EXCLUDED.kind, created_at = EXCLUDED.created_at,
       page_start = EXCLUDED.page_start, page_end = EXCLUDED.page_end, metadata = EXCLUDED.metadata,
       text_config = EXCLUDED.text_config, payload = EXCLUDED.payload, ${vectorColumn} = EXCLUDED.${vectorColumn}`,
    [
      collection,
      textConfig,
      columns.id,
      columns.documentId,
      columns.version,
      columns.chunkIndex,
      columns.knowledgeBase,
      columns.kind,
      columns.createdAt,
      columns.pageStart,
      columns.pageEnd,
      columns.metadata,
      columns.payload,
      columns.vector,
    ],
  );
}

/**
 * `parts` ranges `(from, to]` covering every UUID but the nil one (never a point id), cut evenly on the first
 * 32 bits: point ids are UUIDv5, so each range holds about the same number of points.
 */
export function uuidRanges(parts: number): Array<[string, string]> {
  const bound = (index: number) =>
    index >= parts
      ? 'ffffffff-ffff-ffff-ffff-ffffffffffff'
      : `${Math.floor((index * 2 ** 32) / parts)
          .toString(16)
          .padStart(8, '0')}-0000-0000-0000-000000000000`;
  return Array.from({ length: parts }, (_, index) => [bound(index), bound(index + 1)]);
}

function versionAtLeast(version: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}
