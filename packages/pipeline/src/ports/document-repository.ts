import type { MetadataValue, Stage, StageStatus, VersionStatus } from '@aegis/core';
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
  /** The knowledge base the document belongs to; created when new. Default `default`. */
  knowledgeBase?: string | undefined;
  /** User metadata (already validated), stored with the version and on every chunk. Default `{}`. */
  metadata?: Record<string, MetadataValue> | undefined;
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
  knowledgeBase: string;
  metadata: Record<string, MetadataValue>;
  createdAt: Date;
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
  /** Times BullMQ gave this run up because the workers running it died; the reconciler bounds it. */
  crashes: number;
  /** Since when the run waits for a model provider (every provider of its chain unavailable), or null. */
  providerWaitSince: Date | null;
  /** Last change (start, progress, transition): a running stage that stops updating is presumed dead. */
  updatedAt: Date;
}

/**
 * Stage writes may carry the run they belong to: the write then only applies while that run is the stage's
 * current one, so a run superseded by a retry can never overwrite the newer run's state (a fence).
 */
export interface StageWriteDetail {
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  run?: number | undefined;
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
  /** `page-text`: a page rendered for the vision model to transcribe (OCR_ENGINE=vision); else a figure. */
  purpose?: 'figure' | 'page-text' | undefined;
  /** `failed` with a retryable `errorCode` is described again by the next enrich-images run. */
  status: 'pending' | 'described' | 'skipped' | 'failed';
  errorCode: string | null;
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

/** One finished embedding batch: which chunks it covered and which `provider:model` embedded them. */
export interface EmbedBatchRecord {
  firstChunk: number;
  lastChunk: number;
  model: string;
  dimensions: number;
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

  /** Sets the stage's status; false when `detail.run` is given and is no longer the stage's run (nothing written). */
  setStage(
    documentId: string,
    version: number,
    stage: Stage,
    status: StageStatus,
    detail?: StageWriteDetail,
  ): Promise<boolean>;
  /**
   * Marks the stage running and counts the attempt; returns the run and attempt numbers, or undefined when
   * `run` is given and is no longer the stage's run.
   */
  startStage(
    documentId: string,
    version: number,
    stage: Stage,
    run?: number,
  ): Promise<{ run: number; attempts: number } | undefined>;
  setProgress(
    documentId: string,
    version: number,
    stage: Stage,
    done: number,
    total: number,
    run?: number,
  ): Promise<void>;
  /**
   * Starts `stage` and every later stage over under new runs (so none of their old job ids is reused): the
   * stage queued, later stages pending, the version processing. Returns the stage's new run.
   */
  resetFrom(documentId: string, version: number, stage: Stage): Promise<number>;
  /** The stage's current run number (undefined when the version is gone). */
  currentRun(documentId: string, version: number, stage: Stage): Promise<number | undefined>;
  /** Counts one more crash-abandonment of the run; returns the new count (0 when the run is no longer current). */
  recordCrash(documentId: string, version: number, stage: Stage, run: number): Promise<number>;
  /** Starts (or keeps) the run's provider wait clock; returns when the wait began. */
  startProviderWait(
    documentId: string,
    version: number,
    stage: Stage,
    run: number,
  ): Promise<Date | undefined>;

  setVersionStatus(
    documentId: string,
    version: number,
    status: VersionStatus,
    detail?: { errorCode?: string | undefined; errorMessage?: string | undefined },
  ): Promise<void>;
  setPlan(documentId: string, version: number, plan: VersionPlan): Promise<void>;
  /** Records the page count the memory check read, so a delayed or retried check never inspects again. */
  setPageCount(documentId: string, version: number, pageCount: number): Promise<void>;
  addWarnings(documentId: string, version: number, warnings: readonly string[]): Promise<void>;
  /**
   * Marks the version completed and active; older versions become superseded. The status is
   * `completed_with_warnings` when images could not be described or chunks have no graph extraction. A version
   * that completes after a newer one already did (they ran side by side) becomes `superseded` at once instead.
   */
  activate(
    documentId: string,
    version: number,
  ): Promise<{ status: 'completed' | 'completed_with_warnings' | 'superseded'; superseded: number[] }>;
  /**
   * Deletes the page, image, chunk and progress rows of versions older than `version` (after a replace); newer
   * versions, which may have completed meanwhile, are kept.
   */
  deleteArtifactsBefore(documentId: string, version: number): Promise<void>;
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
  /** Finished embedding batches of the version: batch index -> the model and chunk range it embedded. */
  completedEmbedBatches(documentId: string, version: number): Promise<Map<number, EmbedBatchRecord>>;
  /** Records a finished batch; with `run`, only while that run is the embed stage's current one. */
  completeEmbedBatch(
    documentId: string,
    version: number,
    batch: EmbedBatchRecord & { index: number },
    run?: number,
  ): Promise<void>;
  graphExtractions(documentId: string, version: number): Promise<Map<number, GraphExtractionRecord>>;
  /** Stores a chunk's extraction; with `run`, only while that run is the graph stage's current one. */
  saveGraphExtraction(
    documentId: string,
    version: number,
    record: GraphExtractionRecord,
    run?: number,
  ): Promise<void>;
}
