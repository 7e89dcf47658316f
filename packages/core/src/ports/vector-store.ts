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

/**
 * Where chunk vectors live. Adapters: Postgres (lite, exact cosine) and Qdrant. Every method is idempotent.
 */
export interface VectorStore {
  readonly kind: 'postgres' | 'qdrant';
  /**
   * Creates the collection for vectors of `dimensions` if missing (with payload indexes on document id and
   * version). An existing collection of another size fails with `VECTOR_DIM_MISMATCH`.
   */
  ensureCollection(dimensions: number): Promise<void>;
  /** Size of the collection's vectors, or undefined when it does not exist yet. */
  dimensions(): Promise<number | undefined>;
  /** Writes points; `wait` makes the write visible to searches before returning (Qdrant `wait=true`). */
  upsert(points: readonly VectorPoint[], options?: { wait?: boolean }): Promise<void>;
  /** Removes every point of the document version. */
  deleteVersion(documentId: string, version: number): Promise<void>;
  /** Removes every point of every version of the document except `keepVersion` (old versions after a replace). */
  deleteOtherVersions(documentId: string, keepVersion: number): Promise<void>;
  deleteDocument(documentId: string): Promise<void>;
  count(filter?: VectorFilter): Promise<number>;
  search(vector: readonly number[], options: { limit: number; filter?: VectorFilter }): Promise<VectorHit[]>;
  close(): Promise<void>;
}
