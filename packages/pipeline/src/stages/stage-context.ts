import type { GraphStore, VectorStore } from '@aegis/core';
import type { Logger, Router } from '@aegis/llm-router';
import type { ChunkOptions } from '../chunk/chunk.ts';
import type { ExtractionLimits } from '../extract/extracted-document.ts';
import type { OcrSettings } from '../extract/pdf-ocr.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { DocumentRepository } from '../ports/document-repository.ts';
import type { SandboxPool } from '../sandbox/sandbox-pool.ts';

/** What workers report about themselves, for the memory check. */
export interface WorkerCapacity {
  /**
   * Most memory any live worker could give a job right now, in bytes: its limit minus what it and its sandbox
   * processes hold (memory a recycled sandbox returned counts as free again), never more than its host has.
   */
  bestHeadroomBytes: number;
  /** The largest memory limit of any live worker, in bytes: a job needing more can never run. */
  largestLimitBytes: number;
  /**
   * The largest parsing-sandbox limit of any live worker, in bytes: parsing that needs more can never run.
   * Absent when workers do not report one (then only `largestLimitBytes` bounds).
   */
  largestSandboxLimitBytes?: number | undefined;
  /** Live workers seen (0 = none reported; the check then assumes this process's own figures). */
  workers: number;
}

export interface PipelineOptions {
  chunk: ChunkOptions;
  extractionLimits: ExtractionLimits;
  /** How PDF pages without usable text are read (OCR engine, languages, per-page limit, DPI); default no OCR. */
  ocr?: OcrSettings | undefined;
  /** Chunks per embedding request and per persisted batch. Default 64. */
  embedBatchSize: number;
  /** Concurrent model calls per document in enrich-images and graph. Default 2. */
  modelConcurrency: number;
  /** Version of the vision prompt (recorded on every described image). */
  visionPromptVersion: string;
  visionPrompt: string;
  /** Version of the entity extraction prompt. */
  graphPromptVersion: string;
  /** Pages per extraction range for big PDFs (an upper bound; the memory check may choose fewer). Default 50. */
  maxPagesPerRange: number;
  /** How long a job waits for memory before it is tried again, in ms. Default 15000. */
  memoryRetryDelayMs: number;
  /** Hybrid search: weights of the keyword and vector rankings (default 1, 1) and the fusion's k (default 5). */
  search: { keywordWeight: number; vectorWeight: number; rrfK: number };
}

/** The ports every stage works through. No BullMQ, no config: the queue layer and apps wire these. */
export interface PipelineDeps {
  repository: DocumentRepository;
  blobs: BlobStore;
  router: Router;
  vectors: VectorStore;
  graph: GraphStore;
  logger: Logger;
  options: PipelineOptions;
  /** The parsing sandbox every parser of document bytes runs in (the worker owns and closes it); default: a shared one. */
  sandbox?: SandboxPool | undefined;
  capacity(): Promise<WorkerCapacity>;
}

/** One stage run of one document version. */
export interface StageRun {
  documentId: string;
  version: number;
  /** Fires when the job must stop (worker shutting down, lock lost). */
  signal?: AbortSignal | undefined;
  /**
   * The stage run this job executes (ADR 004). Writes that mark paid work finished carry it, so a run that a
   * retry superseded cannot mark the newer run's work done. Undefined: unfenced (tools, tests).
   */
  run?: number | undefined;
  /** False once a retry started the stage over under a newer run: the older run stops at its next unit. */
  isCurrent?: (() => Promise<boolean>) | undefined;
  /**
   * True when the stage has waited for a model provider as long as PROVIDER_OUTAGE_MAX_WAIT_MS allows: a stage
   * that can finish without what is missing (image descriptions) then does so, with warnings.
   */
  providerWaitOver?: boolean | undefined;
  /** Reports progress of the stage's items (pages, images, chunks, batches). */
  progress(done: number, total: number): Promise<void>;
}
