import type {
  ChunkPayload,
  EmbeddingSpace,
  MetadataScalar,
  VectorFilter,
  VectorHit,
  VectorStore,
} from '@aegis/core';
import { AegisError, collectionNameFor, isAegisError } from '@aegis/core';
import type { QdrantClient, Schemas } from '@qdrant/js-client-rest';
import { documentSparseVector, querySparseVector } from './bm25-sparse.ts';
import { assertMetadataField } from './vector-filter-sql.ts';
import {
  assertDimensions,
  assertValidDimensions,
  collectionMissing,
  dimensionMismatch,
  l2Normalise,
} from './vector-math.ts';

/** The part of the Qdrant REST client the store uses; tests pass a recording fake. */
export type QdrantApi = Pick<
  QdrantClient,
  | 'collectionExists'
  | 'getCollection'
  | 'getCollections'
  | 'createCollection'
  | 'createPayloadIndex'
  | 'upsert'
  | 'delete'
  | 'count'
  | 'query'
>;

export interface QdrantVectorStoreOptions {
  /** REST URL, e.g. `http://127.0.0.1:6333`. Ignored when `client` is given. */
  url: string;
  /** Sent as the `api-key` header; empty or undefined for an unauthenticated Qdrant. */
  apiKey?: string | undefined;
  /** Prefix of the collection names (`<collection>__<space>`); one embedding space per collection. */
  collection: string;
  /** Points per upsert request, 64..256 (issue 3). Default 128. */
  batchSize?: number | undefined;
  /** Per-request timeout in ms. Default 60_000. */
  timeoutMs?: number | undefined;
  /** Replaces the client built from `url` / `apiKey` (tests). */
  client?: QdrantApi | undefined;
}

/**
 * Payload fields the store filters on; each gets a payload index so filtered search and delete stay fast.
 * `knowledgeBase` is a tenant index: Qdrant keeps each base's points together. Metadata fields get an index
 * of their value's type the first time a search filters on them.
 */
const PAYLOAD_INDEXES: ReadonlyArray<{ field: keyof ChunkPayload; schema: Schemas['PayloadFieldSchema'] }> = [
  { field: 'documentId', schema: 'keyword' },
  { field: 'version', schema: 'integer' },
  { field: 'knowledgeBase', schema: { type: 'keyword', is_tenant: true } },
  { field: 'kind', schema: 'keyword' },
  { field: 'createdAt', schema: 'datetime' },
  { field: 'pageStart', schema: 'integer' },
  { field: 'pageEnd', schema: 'integer' },
];

/** The dense vector's name in every collection (a named vector, so a sparse text vector can sit beside it). */
export const DENSE_VECTOR = 'dense';
/** The sparse BM25-style text vector (Qdrant applies the IDF side with `modifier: idf`). */
export const TEXT_VECTOR = 'text';

const STORE = 'qdrant vector store';

async function createQdrantClient(options: QdrantVectorStoreOptions): Promise<QdrantApi> {
  const { QdrantClient } = await import('@qdrant/js-client-rest');
  return new QdrantClient({
    url: options.url,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    timeout: options.timeoutMs ?? 60_000,
    // The check is a fire-and-forget request that only console.warns; readiness is checked by callers.
    checkCompatibility: false,
  });
}

/**
 * VectorStore on Qdrant. One collection per embedding space (`<prefix>__<space>`), each with a named dense
 * vector (cosine) and a sparse text vector, the ChunkPayload as the point payload. Upserts are split into
 * `batchSize` requests sent with `wait: false` (Qdrant acknowledges once the operation is in its
 * write-ahead log) and the last one with `wait: true`, so the call returns when its writes are searchable
 * without paying a round trip of indexing per batch. Deletes and counts go by payload filter
 * (`documentId`, `version`) over every collection of the prefix, counts with `exact: true`.
 * Async because the REST client is imported only when such a store is created: a process on the Postgres vector
 * store never loads it and its undici (about 24 MiB resident).
 */
export async function createQdrantVectorStore(options: QdrantVectorStoreOptions): Promise<VectorStore> {
  const base = options.collection;
  const batchSize = options.batchSize ?? 128;
  if (!Number.isInteger(batchSize) || batchSize < 64 || batchSize > 256) {
    throw new AegisError(
      'VALIDATION_FAILED',
      `Qdrant batchSize must be an integer in 64..256, got ${batchSize}`,
      {
        details: { batchSize },
      },
    );
  }
  const client = options.client ?? (await createQdrantClient(options));
  // A collection's vector size never changes, so one lookup per collection and process is enough.
  const knownDimensions = new Map<string, number>();
  const indexedMetadata = new Set<string>();

  async function run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toQdrantError(error, operation);
    }
  }

  function collectionOf(space: EmbeddingSpace): string {
    return collectionNameFor(base, space);
  }

  async function readDimensions(collection: string): Promise<number | undefined> {
    const known = knownDimensions.get(collection);
    if (known !== undefined) return known;
    const { exists } = await client.collectionExists(collection);
    if (!exists) return undefined;
    const size = vectorSizeOf(await client.getCollection(collection), collection);
    knownDimensions.set(collection, size);
    return size;
  }

  /** This store's collections (`<base>__...`); a new space's collection appears here once created. */
  async function ownCollections(): Promise<string[]> {
    const { collections } = await client.getCollections();
    return collections.map((entry) => entry.name).filter((name) => name.startsWith(`${base}__`));
  }

  async function deleteWhere(filter: Schemas['Filter']): Promise<void> {
    for (const collection of await ownCollections()) await client.delete(collection, { wait: true, filter });
  }

  return {
    kind: 'qdrant',
    collectionOf,

    ensureSpace(space) {
      return run('ensureSpace', async () => {
        assertValidDimensions(space.dimensions);
        const collection = collectionOf(space);
        const { exists } = await client.collectionExists(collection);
        if (!exists) {
          try {
            await client.createCollection(collection, {
              vectors: { [DENSE_VECTOR]: { size: space.dimensions, distance: 'Cosine' } },
              sparse_vectors: { [TEXT_VECTOR]: { modifier: 'idf' } },
            });
          } catch (error) {
            // Another worker may have created it between our check and our create: that is success.
            if (!(await client.collectionExists(collection)).exists) throw error;
          }
        }
        const info = await client.getCollection(collection);
        const size = vectorSizeOf(info, collection);
        if (size !== space.dimensions) throw dimensionMismatch(collection, size, space.dimensions);
        knownDimensions.set(collection, size);
        for (const { field, schema } of PAYLOAD_INDEXES) {
          if (info.payload_schema[field] !== undefined) continue;
          await client.createPayloadIndex(collection, {
            field_name: field,
            field_schema: schema,
            wait: true,
          });
        }
      });
    },

    collections() {
      return run('collections', async () => {
        const infos = [];
        for (const name of await ownCollections()) {
          const dimensions = await readDimensions(name);
          if (dimensions === undefined) continue;
          const { count } = await client.count(name, { exact: true });
          infos.push({ name, dimensions, points: count });
        }
        return infos;
      });
    },

    upsert(space, points, upsertOptions) {
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
        const waitForLast = upsertOptions?.wait ?? true;
        for (let start = 0; start < points.length; start += batchSize) {
          const batch = points.slice(start, start + batchSize);
          const isLast = start + batchSize >= points.length;
          await client.upsert(collection, {
            wait: isLast && waitForLast,
            points: batch.map((point) => ({
              id: point.id,
              // Qdrant normalises for cosine itself; doing it here too refuses zero vectors like the lite store.
              vector: {
                [DENSE_VECTOR]: l2Normalise(point.vector),
                [TEXT_VECTOR]: documentSparseVector(
                  `${point.payload.text}\n${point.payload.headingPath.join('\n')}`,
                ),
              },
              payload: { ...point.payload },
            })),
          });
        }
      });
    },

    deleteVersion(documentId, version) {
      return run('deleteVersion', () =>
        deleteWhere({ must: [matchDocument(documentId), matchVersion(version)] }),
      );
    },

    deleteChunksFrom(documentId, version, fromChunkIndex) {
      return run('deleteChunksFrom', () =>
        deleteWhere({
          must: [
            matchDocument(documentId),
            matchVersion(version),
            { key: 'chunkIndex', range: { gte: fromChunkIndex } },
          ],
        }),
      );
    },

    deleteOlderVersions(documentId, version) {
      return run('deleteOlderVersions', () =>
        deleteWhere({ must: [matchDocument(documentId), { key: 'version', range: { lt: version } }] }),
      );
    },

    deleteDocument(documentId) {
      return run('deleteDocument', () => deleteWhere({ must: [matchDocument(documentId)] }));
    },

    count(filter) {
      return run('count', async () => {
        const qdrantFilter = toQdrantFilter(filter);
        let total = 0;
        for (const collection of await ownCollections()) {
          const result = await client.count(collection, {
            exact: true,
            ...(qdrantFilter === undefined ? {} : { filter: qdrantFilter }),
          });
          total += result.count;
        }
        return total;
      });
    },

    search(space, vector, { limit, offset = 0, filter }) {
      return run('search', async () => {
        if (limit <= 0) return [];
        const collection = collectionOf(space);
        const dimensions = await readDimensions(collection);
        if (dimensions === undefined) return [];
        assertDimensions([vector], dimensions, collection);
        return queryPoints(collection, l2Normalise(vector), DENSE_VECTOR, { limit, offset, filter });
      });
    },

    keywordSearch(space, query, { limit, offset = 0, filter }) {
      return run('keywordSearch', async () => {
        if (limit <= 0) return [];
        const sparse = querySparseVector(query);
        if (sparse === undefined) return [];
        const collection = collectionOf(space);
        if ((await readDimensions(collection)) === undefined) return [];
        return queryPoints(collection, sparse, TEXT_VECTOR, { limit, offset, filter });
      });
    },

    engine() {
      return run('engine', async () => {
        const collections = await ownCollections();
        let points = 0;
        for (const name of collections) points += (await client.count(name, { exact: true })).count;
        return {
          name: 'qdrant (HNSW, cosine; BM25 sparse vectors)',
          detail: `${points} points in ${collections.length} collection(s)`,
          points,
        };
      });
    },

    async close() {
      // The REST client keeps no connection that needs closing (fetch with keep-alive).
    },
  };

  /** One ranked query of a named vector (dense or sparse) with the filter, payloads included. */
  async function queryPoints(
    collection: string,
    query: number[] | { indices: number[]; values: number[] },
    using: string,
    window: { limit: number; offset: number; filter: VectorFilter | undefined },
  ): Promise<VectorHit[]> {
    const qdrantFilter = toQdrantFilter(window.filter);
    await indexMetadataFields(collection, window.filter);
    const response = await client.query(collection, {
      query,
      using,
      limit: window.limit,
      ...(window.offset > 0 ? { offset: window.offset } : {}),
      with_payload: true,
      with_vector: false,
      ...(qdrantFilter === undefined ? {} : { filter: qdrantFilter }),
    });
    return response.points.map(toHit);
  }

  /** A payload index per filtered metadata field, of its value's type, created once per collection. */
  async function indexMetadataFields(collection: string, filter: VectorFilter | undefined): Promise<void> {
    for (const [field, wanted] of Object.entries(filter?.metadata ?? {})) {
      const sample = (Array.isArray(wanted) ? wanted[0] : wanted) as MetadataScalar | undefined;
      if (sample === undefined) continue;
      const schema: Schemas['PayloadSchemaType'] =
        typeof sample === 'string'
          ? 'keyword'
          : typeof sample === 'boolean'
            ? 'bool'
            : Number.isInteger(sample)
              ? 'integer'
              : 'float';
      const key = `${collection}\u0000metadata.${field}\u0000${schema}`;
      if (indexedMetadata.has(key)) continue;
      await client.createPayloadIndex(collection, {
        field_name: `metadata.${field}`,
        field_schema: schema,
        wait: true,
      });
      indexedMetadata.add(key);
    }
  }
}

function matchDocument(documentId: string): Schemas['FieldCondition'] {
  return { key: 'documentId', match: { value: documentId } };
}

function matchVersion(version: number): Schemas['FieldCondition'] {
  return { key: 'version', match: { value: version } };
}

function toQdrantFilter(filter: VectorFilter | undefined): Schemas['Filter'] | undefined {
  if (filter === undefined) return undefined;
  const must: Array<Schemas['FieldCondition'] | Schemas['Filter']> = [];
  if (filter.documentId !== undefined) must.push(matchDocument(filter.documentId));
  if (filter.version !== undefined) must.push(matchVersion(filter.version));
  const any = (key: string, values: readonly string[] | undefined) => {
    if (values !== undefined) must.push({ key, match: { any: [...values] } });
  };
  any('documentId', filter.documentIds);
  any('knowledgeBase', filter.knowledgeBases);
  any('kind', filter.kinds);
  if (filter.createdAfter !== undefined || filter.createdBefore !== undefined)
    must.push({
      key: 'createdAt',
      range: {
        ...(filter.createdAfter === undefined ? {} : { gte: filter.createdAfter }),
        ...(filter.createdBefore === undefined ? {} : { lt: filter.createdBefore }),
      },
    });
  if (filter.pages?.from !== undefined) must.push({ key: 'pageEnd', range: { gte: filter.pages.from } });
  if (filter.pages?.to !== undefined) must.push({ key: 'pageStart', range: { lte: filter.pages.to } });
  for (const [field, wanted] of Object.entries(filter.metadata ?? {})) {
    assertMetadataField(field);
    const values = (Array.isArray(wanted) ? wanted : [wanted]) as MetadataScalar[];
    // An array-valued payload field matches when any element matches, as in the lite store.
    const key = `metadata.${field}`;
    must.push({ should: values.map((value) => metadataCondition(key, value)) });
  }
  return must.length === 0 ? undefined : { must };
}

function metadataCondition(key: string, value: MetadataScalar): Schemas['FieldCondition'] {
  if (typeof value === 'number' && !Number.isInteger(value))
    return { key, range: { gte: value, lte: value } };
  return { key, match: { value } };
}

function vectorSizeOf(info: Schemas['CollectionInfo'], collection: string): number {
  const vectors = info.config.params.vectors as Record<string, unknown> | undefined | null;
  const dense = vectors?.[DENSE_VECTOR];
  if (dense !== undefined && dense !== null && typeof dense === 'object' && 'size' in dense) {
    return Number((dense as { size: unknown }).size);
  }
  // A collection without our named dense vector was not made by this store; writing to it would fail.
  throw new AegisError(
    'VALIDATION_FAILED',
    `Qdrant collection "${collection}" has no "${DENSE_VECTOR}" vector; this store needs a named cosine vector`,
    { details: { collection } },
  );
}

function toHit(point: Schemas['ScoredPoint']): VectorHit {
  const payload = (point.payload ?? {}) as Record<string, unknown>;
  const metadata = payload.metadata;
  return {
    id: String(point.id),
    score: point.score,
    payload: {
      documentId: String(payload.documentId ?? ''),
      version: Number(payload.version ?? 0),
      chunkIndex: Number(payload.chunkIndex ?? 0),
      knowledgeBase: String(payload.knowledgeBase ?? 'default'),
      kind: String(payload.kind ?? ''),
      createdAt: String(payload.createdAt ?? ''),
      metadata:
        typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
          ? (metadata as ChunkPayload['metadata'])
          : {},
      pageStart: Number(payload.pageStart ?? 0),
      pageEnd: Number(payload.pageEnd ?? 0),
      source: String(payload.source ?? ''),
      text: String(payload.text ?? ''),
      headingPath: Array.isArray(payload.headingPath) ? payload.headingPath.map(String) : [],
      embeddingModel: String(payload.embeddingModel ?? ''),
    },
  };
}

/**
 * Qdrant answers a caller mistake with 400/404/422 (wrong vector size, bad filter); those are permanent.
 * Anything else (connection refused, 5xx, timeouts, 429) is an outage to retry.
 */
function toQdrantError(error: unknown, operation: string): AegisError {
  if (isAegisError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = statusOf(error) ?? /Unexpected Response: (\d{3})/.exec(message)?.[1];
  const permanent = status === '400' || status === '404' || status === '422';
  return new AegisError(
    permanent ? 'VALIDATION_FAILED' : 'STORE_UNAVAILABLE',
    `${STORE} ${operation} failed: ${message}`,
    { cause: error, details: { store: STORE, operation, ...(status === undefined ? {} : { status }) } },
  );
}

/** The HTTP status of the client's errors: `ApiError.status` (openapi-typescript-fetch) for non-2xx answers. */
function statusOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const status = (error as { status: unknown }).status;
  return typeof status === 'number' ? String(status) : undefined;
}
