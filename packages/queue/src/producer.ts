import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import {
  AegisError,
  DEFAULT_KNOWLEDGE_BASE,
  KNOWLEDGE_BASE_NAME,
  STAGES,
  type Stage,
  validateMetadata,
} from '@aegis/core';
import {
  cleanupCancelled,
  createKindSniffer,
  detectKindOfSample,
  type PipelineDeps,
  type Registration,
  type SourceKind,
} from '@aegis/pipeline';
import type { ProgressEvent } from './progress-events.ts';
import type { StageQueues } from './stage-queues.ts';

/**
 * The document's bytes: exactly one of these. Every source is streamed into the blob store while it is hashed
 * and its type sniffed, so memory stays flat whatever the size.
 */
export type IngestSource =
  /** Bytes already in memory (tests, generated documents). */
  | { data: Uint8Array; path?: never; handle?: never; stream?: never }
  /** A file the caller owns, e.g. an upload's temp file. */
  | { path: string; data?: never; handle?: never; stream?: never }
  /**
   * An opened descriptor (the watcher's and the CLI's checked opens): read from offset 0 through it and never
   * reopened by path, so a file swapped after the checks is not the one read. The caller closes it.
   */
  | { handle: FileHandle; data?: never; path?: never; stream?: never }
  | { stream: AsyncIterable<Uint8Array>; data?: never; path?: never; handle?: never };

export type IngestInput = IngestSource & {
  /** File name shown to people; also used to tell text formats apart. */
  displayName: string;
  /** The real path of a watched or server file; a changed file at the same source becomes a new version. */
  sourceKey?: string | undefined;
  mimeType?: string | undefined;
  createdBy?: string | undefined;
  /** The knowledge base (created when new). Default `default`. */
  knowledgeBase?: string | undefined;
  /** User metadata: a JSON object, validated (size, depth, keys) here. */
  metadata?: unknown;
};

export interface Producer {
  /** Registers the bytes and enqueues the first stage. The same bytes again return the existing version and do nothing. */
  ingest(input: IngestInput): Promise<Registration & { kind: string }>;
  /** Re-runs `stage` and the stages after it, reusing the outputs of earlier stages. */
  retry(documentId: string, version: number, stage: Stage): Promise<{ run: number }>;
  /** Stops the version within one batch and removes what it wrote so far. */
  cancel(documentId: string, version: number): Promise<void>;
  /** Removes the document from every store: vectors, graph, registry rows, and blobs nothing else uses. */
  delete(documentId: string): Promise<void>;
}

const MIME_BY_KIND: Record<string, string> = {
  pdf: 'application/pdf',
  text: 'text/plain',
  markdown: 'text/markdown',
  html: 'text/html',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

function sourceStream(input: IngestSource): AsyncIterable<Uint8Array> {
  if (input.data !== undefined) return Readable.from([input.data]);
  if (input.path !== undefined) return createReadStream(input.path);
  if (input.handle !== undefined) return input.handle.createReadStream({ start: 0, autoClose: false });
  if (input.stream !== undefined) return input.stream;
  throw new AegisError('VALIDATION_FAILED', 'ingest needs data, a path, a file handle or a stream');
}

/** The one producer every surface (HTTP, watched folder, CLI) uses. */
export function createProducer(deps: {
  pipeline: PipelineDeps;
  queues: StageQueues;
  publish: (event: ProgressEvent) => void;
  /** Largest document accepted from any surface, in bytes (UPLOAD_MAX_BYTES). */
  maxBytes: number;
}): Producer {
  const { repository, blobs } = deps.pipeline;
  return {
    async ingest(input) {
      const knowledgeBase = input.knowledgeBase ?? DEFAULT_KNOWLEDGE_BASE;
      if (!KNOWLEDGE_BASE_NAME.test(knowledgeBase))
        throw new AegisError('VALIDATION_FAILED', `knowledge base names must match ${KNOWLEDGE_BASE_NAME}`, {
          details: { knowledgeBase },
        });
      const metadata = validateMetadata(input.metadata);
      // One pass over the bytes: hashed and written to the blob store's incoming area, type sniffed on the way;
      // an unsupported type or an oversized file is refused before anything is stored or registered.
      const sniffer = createKindSniffer();
      let kind: SourceKind | undefined;
      const stored = await blobs.putStream(sourceStream(input), {
        maxBytes: deps.maxBytes,
        observe: (chunk) => sniffer.update(chunk),
        accept: () => {
          kind = detectKindOfSample(sniffer.sample(), {
            filename: input.displayName,
            mimeType: input.mimeType,
          }).kind;
        },
      });
      if (kind === undefined) throw new AegisError('INTERNAL', 'the blob store skipped the type check');
      const { sha256 } = stored;
      const registration = await repository.register({
        sourceKey: input.sourceKey ?? `upload:${sha256}`,
        displayName: input.displayName,
        sha256,
        byteSize: stored.size,
        kind,
        mimeType: MIME_BY_KIND[kind] ?? input.mimeType ?? 'application/octet-stream',
        blobPath: stored.path,
        createdBy: input.createdBy,
        knowledgeBase,
        metadata,
      });
      if (registration.created) {
        // If Redis is down here the version stays queued in Postgres and the reconciler enqueues it later.
        await deps.queues.enqueue(
          { documentId: registration.documentId, version: registration.version, run: 1 },
          'memory-check',
        );
        deps.publish({
          type: 'version',
          documentId: registration.documentId,
          version: registration.version,
          status: 'queued',
        });
      }
      return { ...registration, kind };
    },

    async retry(documentId, version, stage) {
      const record = await repository.getVersion(documentId, version);
      if (!record)
        throw new AegisError(
          'DOCUMENT_NOT_FOUND',
          `document ${documentId} version ${version} does not exist`,
        );
      if (record.status === 'cancelled' || record.status === 'cancelling') {
        throw new AegisError(
          'VALIDATION_FAILED',
          `version ${version} is ${record.status} and its outputs were removed; ingest the file again to process it`,
        );
      }
      const versions = await repository.versionsOf(documentId);
      const latest = versions.at(-1)?.version ?? version;
      if (record.status === 'superseded' || version !== latest) {
        // Completing an older version would make it replace the newer one's points and graph.
        throw new AegisError(
          'VALIDATION_FAILED',
          `version ${version} is not the document's latest (${latest}); only the latest version can be retried`,
        );
      }
      const runs = await repository.stageRuns(documentId, version);
      const earlier = STAGES.slice(0, STAGES.indexOf(stage));
      const unfinished = earlier.filter(
        (name) => runs.find((run) => run.stage === name)?.status !== 'completed',
      );
      if (unfinished.length > 0) {
        throw new AegisError(
          'VALIDATION_FAILED',
          `cannot retry ${stage} before ${unfinished.join(', ')} completed; retry ${unfinished[0]} instead`,
        );
      }
      // New runs for this stage and every later one: a job of an older run (running, or kept as completed by
      // BullMQ) does nothing, and the hand-offs enqueue fresh job ids.
      const run = await repository.resetFrom(documentId, version, stage);
      await deps.queues.enqueue({ documentId, version, run }, stage);
      deps.publish({ type: 'stage', documentId, version, stage, status: 'queued' });
      deps.publish({ type: 'version', documentId, version, status: 'processing' });
      return { run };
    },

    async delete(documentId) {
      const versions = await repository.versionsOf(documentId);
      if (versions.length === 0)
        throw new AegisError('DOCUMENT_NOT_FOUND', `document ${documentId} does not exist`);
      for (const { version, status } of versions) {
        if (status !== 'queued' && status !== 'processing') continue;
        // A running stage sees the version gone at its next check and cleans up what it wrote since.
        await repository.setVersionStatus(documentId, version, 'cancelling');
        const runs = await repository.stageRuns(documentId, version);
        await deps.queues.removeVersion(
          documentId,
          version,
          new Map(runs.map((run) => [run.stage, run.run])),
        );
      }
      await deps.pipeline.vectors.deleteDocument(documentId);
      await deps.pipeline.graph.deleteDocument(documentId);
      const { orphanBlobs } = await repository.deleteDocument(documentId);
      for (const blob of orphanBlobs) await blobs.delete(blob);
      deps.publish({ type: 'deleted', documentId });
    },

    async cancel(documentId, version) {
      const record = await repository.getVersion(documentId, version);
      if (!record)
        throw new AegisError(
          'DOCUMENT_NOT_FOUND',
          `document ${documentId} version ${version} does not exist`,
        );
      // Cancelling twice is fine; cancelling what already ended is a mistake the caller should hear about.
      if (record.status === 'cancelling') return;
      if (record.status !== 'queued' && record.status !== 'processing')
        throw new AegisError(
          'DOCUMENT_FINAL',
          `document ${documentId} version ${version} is already ${record.status}; there is nothing to cancel`,
          { details: { status: record.status } },
        );
      await repository.setVersionStatus(documentId, version, 'cancelling');
      const runs = await repository.stageRuns(documentId, version);
      await deps.queues.removeVersion(documentId, version, new Map(runs.map((run) => [run.stage, run.run])));
      // Nothing running: clean up now. Otherwise the running stage stops at its next check and cleans up.
      if (!runs.some((run) => run.status === 'running')) {
        await cleanupCancelled(deps.pipeline, documentId, version);
        deps.publish({ type: 'version', documentId, version, status: 'cancelled' });
      }
    },
  };
}
