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

/** What every vector point carries besides its vector (Qdrant payload, or columns of the Postgres lite store). */
export interface ChunkPayload {
  documentId: string;
  version: number;
  chunkIndex: number;
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

export interface VectorFilter {
  documentId?: string | undefined;
  version?: number | undefined;
}

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
  /** Removes every point of every version of the document except `keepVersion` (old versions after a replace). */
  deleteOtherVersions(documentId: string, keepVersion: number): Promise<void>;
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
  close(): Promise<void>;
}
