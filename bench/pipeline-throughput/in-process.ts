import { createHash } from 'node:crypto';
import type { Stage } from '@aegis/core';
import {
  detectKind,
  finalizeVersion,
  type PipelineDeps,
  runMemoryCheck,
  STAGE_RUNNERS,
  type StageRun,
} from '@aegis/pipeline';

const AFTER_MEMORY_CHECK = ['extract', 'enrich-images', 'chunk', 'embed', 'graph'] as const;

/**
 * One document through the same stage functions the workers run, in this process, one stage after another:
 * register (blob + registry row, as the producer does), memory-check, extract, enrich-images, chunk, embed,
 * graph, finalizeVersion, ledger flush. The stage-state writes the queue processor makes around each stage
 * (startStage, progress, completed) are made here too, so the difference to the queued pipeline is the queue
 * layer itself: BullMQ, Redis, hand-off, per-job checks, progress events and the process boundary.
 */
export async function ingestInProcess(
  pipeline: PipelineDeps,
  input: { data: Uint8Array; displayName: string },
): Promise<{ documentId: string; version: number }> {
  const { repository, blobs } = pipeline;
  const sha256 = createHash('sha256').update(input.data).digest('hex');
  const kind = detectKind({ data: input.data, filename: input.displayName });
  const stored = await blobs.put(input.data);
  const registration = await repository.register({
    sourceKey: `upload:${sha256}`,
    displayName: input.displayName,
    sha256,
    byteSize: input.data.byteLength,
    kind,
    mimeType: kind === 'pdf' ? 'application/pdf' : 'application/octet-stream',
    blobPath: stored.path,
  });
  if (!registration.created) throw new Error(`${input.displayName} was already registered in this round`);
  const { documentId, version } = registration;

  const runOf = (stage: Stage): StageRun => ({
    documentId,
    version,
    progress: (done, total) => repository.setProgress(documentId, version, stage, done, total),
  });

  await repository.startStage(documentId, version, 'memory-check');
  const decision = await runMemoryCheck(pipeline, runOf('memory-check'));
  if (decision.kind !== 'proceed') throw new Error(`memory check said wait: ${decision.reason}`);
  await repository.setStage(documentId, version, 'memory-check', 'completed');
  for (const stage of AFTER_MEMORY_CHECK) {
    await repository.startStage(documentId, version, stage);
    await STAGE_RUNNERS[stage](pipeline, runOf(stage));
    await repository.setStage(documentId, version, stage, 'completed');
  }
  await finalizeVersion(pipeline, documentId, version);
  await pipeline.router.flush();
  return { documentId, version };
}
