import type { Stage, StageStatus, VersionStatus } from '@aegis/core';
import type { Chunk } from '../chunk/chunk.ts';
import type { BoundingBox, ExtractedPage, Paragraph, SourceKind } from '../extract/extracted-document.ts';

export interface RegisterRequest {
  sourceKey: string;
  displayName: string;
  sha256: string;
  byteSize: number;
  kind: SourceKind;
  mimeType: string;
  blobPath: string;
  createdBy?: string | undefined;
}

export interface Registration {
  documentId: string;
  version: number;
  /** False when the same bytes were already registered (nothing new to do). */
  created: boolean;
  status: VersionStatus;
}

export interface VersionRecord {
  documentId: string;
  version: number;
  sourceKey: string;
  displayName: string;
  sha256: string;
  byteSize: number;
  kind: SourceKind;
  mimeType: string;
  blobPath: string;
  pageCount: number | null;
  status: VersionStatus;
  errorCode: string | null;
  errorMessage: string | null;
  warnings: string[];
  plan: VersionPlan | null;
}

/** The memory check's estimate and plan for a version. */
export interface VersionPlan {
  estimatedBytes: number;
  pageCount: number;
  imageCount: number;
  /** 1-based inclusive page ranges the extract stage processes one after another. */
  pageRanges: Array<{ from: number; to: number }>;
}

export interface StageRunRecord {
  stage: Stage;
  status: StageStatus;
  run: number;
  attempts: number;
  itemsDone: number;
  itemsTotal: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  /** Last change (start, progress, transition): a running stage that stops updating is presumed dead. */
  updatedAt: Date;
}

export interface StoredPage {
  pageNumber: number;
  width: number;
  height: number;
  paragraphs: Paragraph[];
}

export interface StoredImage {
  id: string;
  pageNumber: number;
  imageIndex: number;
  bbox: BoundingBox | undefined;
  width: number;
  height: number;
  mimeType: string;
  blobPath: string | null;
  afterParagraph: number;
  status: 'pending' | 'described' | 'skipped' | 'failed';
  skipReason: string | null;
  duplicateOf: string | null;
  description: string | null;
}

export interface StoredChunk extends Chunk {
  pointId: string;
}

/** The embedding model a knowledge base is bound to; `dimensions` is null until its first vectors exist. */
export interface EmbeddingBinding {
  provider: string;
  model: string;
  dimensions: number | null;
}

export interface KnowledgeBaseRecord {
  name: string;
  /** Undefined until the base's first embedding (or an operator) binds it. */
  embedding: EmbeddingBinding | undefined;
  createdAt: Date;
}

/** The validated entity/relation extraction of one chunk, kept so a graph retry makes no model calls. */
export interface GraphExtractionRecord {
  chunkIndex: number;
  status: 'extracted' | 'invalid';
  result: unknown;
  errorCode: string | null;
}

/**
 * Everything the stages read and write about a document, in Postgres. Every write is idempotent: running a
 * stage twice leaves the same rows.
 */
export interface DocumentRepository {
  register(request: RegisterRequest): Promise<Registration>;
  getVersion(documentId: string, version: number): Promise<VersionRecord | undefined>;
  stageRuns(documentId: string, version: number): Promise<StageRunRecord[]>;
  /** Versions whose state says work is pending (queued, processing or cancelling), for the reconciler. */
  pendingVersions(): Promise<Array<{ documentId: string; version: number; status: VersionStatus }>>;

  setStage(
    documentId: string,
    version: number,
    stage: Stage,
    status: StageStatus,
    detail?: { errorCode?: string; errorMessage?: string },
  ): Promise<void>;
  /** Marks the stage running and counts the attempt; returns the run and attempt numbers. */
  startStage(documentId: string, version: number, stage: Stage): Promise<{ run: number; attempts: number }>;
  setProgress(documentId: string, version: number, stage: Stage, done: number, total: number): Promise<void>;
  /** Starts `stage` over: a new run for it, and later stages back to pending. Returns the new run. */
  resetFrom(documentId: string, version: number, stage: Stage): Promise<number>;

  setVersionStatus(
    documentId: string,
    version: number,
    status: VersionStatus,
    detail?: { errorCode?: string; errorMessage?: string },
  ): Promise<void>;
  setPlan(documentId: string, version: number, plan: VersionPlan): Promise<void>;
  /** Records the page count the memory check read, so a delayed or retried check never inspects again. */
  setPageCount(documentId: string, version: number, pageCount: number): Promise<void>;
  addWarnings(documentId: string, version: number, warnings: readonly string[]): Promise<void>;
  /** Marks the version completed and active; older versions become superseded. Returns the superseded ones. */
  activate(documentId: string, version: number): Promise<number[]>;
  /** Deletes the page, image, chunk and progress rows of other versions (after a replace). */
  deleteArtifactsExcept(documentId: string, keepVersion: number): Promise<void>;
  /** Deletes the page, image, chunk and progress rows of one version (cancel). */
  deleteArtifacts(documentId: string, version: number): Promise<void>;
  isCancelling(documentId: string, version: number): Promise<boolean>;

  /** Every version of the document with its status, oldest first (empty when the document does not exist). */
  versionsOf(documentId: string): Promise<Array<{ version: number; status: VersionStatus }>>;
  /** Deletes the document and everything registered for it; returns blob paths no other document uses any more. */
  deleteDocument(documentId: string): Promise<{ orphanBlobs: string[] }>;
  /** The active (newest completed) version of each of the documents that has one. */
  activeVersions(documentIds: readonly string[]): Promise<Map<string, number>>;
  /** A knowledge base and its embedding binding; undefined when no such base exists. */
  knowledgeBase(name: string): Promise<KnowledgeBaseRecord | undefined>;
  /**
   * Binds the knowledge base to an embedding model unless it already is (compare-and-set under a row lock),
   * and fills in the dimensions when the binding has none yet. Returns the binding in force afterwards,
   * which is another model's when a concurrent first embedding won: the caller then uses that one.
   *
   * @throws AegisError `VECTOR_DIM_MISMATCH` when the base is bound to the same model with another size.
   */
  bindEmbedding(name: string, binding: EmbeddingBinding & { dimensions: number }): Promise<EmbeddingBinding>;

  savePages(
    documentId: string,
    version: number,
    pages: readonly ExtractedPage[],
    blobPaths: ReadonlyMap<string, string>,
  ): Promise<void>;
  pageNumbersDone(documentId: string, version: number): Promise<Set<number>>;
  loadPages(documentId: string, version: number): Promise<StoredPage[]>;
  loadImages(documentId: string, version: number): Promise<StoredImage[]>;
  updateImage(
    imageId: string,
    update: {
      status: StoredImage['status'];
      description?: string;
      promptVersion?: string;
      skipReason?: string;
      duplicateOf?: string;
      errorCode?: string;
      errorMessage?: string;
    },
  ): Promise<void>;

  replaceChunks(documentId: string, version: number, chunks: readonly StoredChunk[]): Promise<void>;
  loadChunks(documentId: string, version: number): Promise<StoredChunk[]>;
  /** Finished embedding batches of the version: batch index -> `provider:model` that embedded it. */
  completedEmbedBatches(documentId: string, version: number): Promise<Map<number, string>>;
  completeEmbedBatch(
    documentId: string,
    version: number,
    batch: { index: number; firstChunk: number; lastChunk: number; model: string; dimensions: number },
  ): Promise<void>;
  graphExtractions(documentId: string, version: number): Promise<Map<number, GraphExtractionRecord>>;
  saveGraphExtraction(documentId: string, version: number, record: GraphExtractionRecord): Promise<void>;
}
