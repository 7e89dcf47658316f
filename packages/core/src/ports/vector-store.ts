/**
 * The identity of an embedding vector space: vectors are comparable only within one space. A collection
 * (Qdrant collection, lite-store namespace) holds the vectors of exactly one space, and a query is embedded
 * by the space's own model before it searches that collection (ADR 007).
 */
export interface EmbeddingSpace {
  /** Router provider name that serves the model, e.g. `ollama`, `openai`, `static`. */
  provider: string;
  /** The model name the provider uses, e.g. `bge-m3`. */
  model: string;
  /** Vector size. */
  dimensions: number;
  /** Vectors are L2-normalised before they are stored and before a query is compared (cosine). */
  normalisation: 'l2';
}

/** A user metadata value: JSON (validated for size and depth on ingest). */
export type MetadataValue =
  | string
  | number
  | boolean
  | null
  | MetadataValue[]
  | { [key: string]: MetadataValue };

/** What every vector point carries besides its vector (Qdrant payload, or columns of the Postgres lite store). */
export interface ChunkPayload {
  documentId: string;
  version: number;
  chunkIndex: number;
  /** The knowledge base the document belongs to. */
  knowledgeBase: string;
  /** The document's file kind (`pdf`, `markdown`, ...). */
  kind: string;
  /** When the document version was registered (ISO 8601, UTC). */
  createdAt: string;
  /** The user metadata given on ingest (a JSON object; `{}` when none). */
  metadata: Record<string, MetadataValue>;
  /** First and last page (1-based) the chunk's text comes from. */
  pageStart: number;
  pageEnd: number;
  /** Where the document came from: a file path, an upload name. */
  source: string;
  text: string;
  headingPath: string[];
  /** `provider:model` that produced the vector; a collection holds one model's vectors only. */
  embeddingModel: string;
}

export interface VectorPoint {
  /** UUIDv5 of (document, version, chunk index): re-upserting the same chunk overwrites, never duplicates. */
  id: string;
  vector: number[];
  payload: ChunkPayload;
}

export interface VectorHit {
  id: string;
  /** Cosine similarity in [-1, 1]; higher is closer. */
  score: number;
  payload: ChunkPayload;
}

/** A scalar a metadata filter compares with (equality; an array-valued field matches when it contains it). */
export type MetadataScalar = string | number | boolean;

/** Which points a search, count or delete concerns; all given conditions must hold. */
export interface VectorFilter {
  documentId?: string | undefined;
  version?: number | undefined;
  /** Any of these documents. */
  documentIds?: readonly string[] | undefined;
  /** Any of these knowledge bases. */
  knowledgeBases?: readonly string[] | undefined;
  /** Any of these file kinds. */
  kinds?: readonly string[] | undefined;
  /** Top-level metadata fields: the field equals the value, or any of the values of an array. */
  metadata?: Readonly<Record<string, MetadataScalar | readonly MetadataScalar[]>> | undefined;
  /** Documents registered at or after / before this instant (ISO 8601). */
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  /** Chunks overlapping these pages (1-based, inclusive; either bound may be open). */
  pages?: { from?: number | undefined; to?: number | undefined } | undefined;
}

/** A keyword hit: `score` is the store's full-text relevance (higher is better; not comparable to cosine). */
export type KeywordHit = VectorHit;

export interface VectorSearchOptions {
  /** Hits to return (at most). */
  limit: number;
  /** Best hits to skip first, for paging through candidates. Default 0. */
  offset?: number | undefined;
  filter?: VectorFilter | undefined;
}

/** One collection of the store, for readiness checks, `doctor` and metrics. */
export interface VectorCollectionInfo {
  name: string;
  dimensions: number;
  points: number;
}

/** How a store searches vectors, for logs and `doctor`. */
export interface VectorEngineInfo {
  /** e.g. `pgvector 0.8.0 (HNSW, cosine)`, `exact scan`, `qdrant`. */
  name: string;
  /** Why this engine, and what a query costs with it. */
  detail: string;
  /** Points over all collections. */
  points: number;
}

/**
 * Where chunk vectors live. Adapters: Postgres (lite) and Qdrant. Each embedding space has its own
 * collection, named from the space, so vectors of two models can never share one; deletes and counts span
 * every collection of the store. Every method is idempotent.
 */
export interface VectorStore {
  readonly kind: 'postgres' | 'qdrant';
  /** Creates the space's collection if missing (with its payload indexes). */
  ensureSpace(space: EmbeddingSpace): Promise<void>;
  /** The collection name the space's vectors live in. */
  collectionOf(space: EmbeddingSpace): string;
  /** Every collection of this store (of any space), with its size and point count. */
  collections(): Promise<VectorCollectionInfo[]>;
  /** The search engine in use and its cost, for logs and `doctor`. */
  engine(): Promise<VectorEngineInfo>;
  /**
   * Writes points of one space; `wait` makes the write visible to searches before returning (Qdrant
   * `wait=true`). A vector of another size fails with `VECTOR_DIM_MISMATCH`; a missing collection with
   * `VALIDATION_FAILED` (call ensureSpace first).
   */
  upsert(space: EmbeddingSpace, points: readonly VectorPoint[], options?: { wait?: boolean }): Promise<void>;
  /** Removes every point of the document version, in every collection. */
  deleteVersion(documentId: string, version: number): Promise<void>;
  /**
   * Removes the version's points whose chunk index is `fromChunkIndex` or more: a re-chunk (after a retry
   * described more images, say) produced fewer chunks, and the tail must not linger as orphans.
   */
  deleteChunksFrom(documentId: string, version: number, fromChunkIndex: number): Promise<void>;
  /**
   * Removes every point of the document's versions older than `version` (old versions after a replace). Newer
   * versions are never touched: one may have completed meanwhile, and its points are the active ones.
   */
  deleteOlderVersions(documentId: string, version: number): Promise<void>;
  deleteDocument(documentId: string): Promise<void>;
  /** Points over every collection matching the filter. */
  count(filter?: VectorFilter): Promise<number>;
  /**
   * Nearest points of the space's collection by cosine similarity, best first. A query of another size fails
   * with `VECTOR_DIM_MISMATCH`; a space without a collection yet has no hits.
   */
  search(
    space: EmbeddingSpace,
    vector: readonly number[],
    options: VectorSearchOptions,
  ): Promise<VectorHit[]>;
  /**
   * Full-text search of the chunk texts (and heading paths) of the space's collection, best first: Postgres
   * `tsvector` ranking in the lite store, a BM25-style sparse vector in Qdrant. Terms are OR-ed, so a chunk
   * matching some of the query's words is still found; a query without searchable words has no hits.
   */
  keywordSearch(space: EmbeddingSpace, query: string, options: VectorSearchOptions): Promise<KeywordHit[]>;
  close(): Promise<void>;
}
