import { STAGES, type Stage } from '@aegis/core';
import { runChunk } from './chunk.ts';
import { runEmbed } from './embed.ts';
import { runEnrichImages } from './enrich-images.ts';
import { runExtract } from './extract.ts';
import { runGraph } from './graph.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';

/** The stages after the memory check, which the queue layer runs the same way. */
export const STAGE_RUNNERS: Record<
  Exclude<Stage, 'memory-check'>,
  (deps: PipelineDeps, run: StageRun) => Promise<unknown>
> = {
  extract: runExtract,
  'enrich-images': runEnrichImages,
  chunk: runChunk,
  embed: runEmbed,
  graph: runGraph,
};

/**
 * The version is done: it becomes the active one, and everything of older versions (points, graph nodes,
 * rows) is deleted only now, so search never has a gap between the old and the new content.
 */
export async function finalizeVersion(
  deps: PipelineDeps,
  documentId: string,
  version: number,
): Promise<'completed' | 'completed_with_warnings' | 'superseded'> {
  const { status, superseded } = await deps.repository.activate(documentId, version);
  if (status === 'superseded') {
    // A newer version of the document completed first: this one's outputs must not replace it.
    await deps.vectors.deleteVersion(documentId, version);
    await deps.graph.deleteVersion(documentId, version);
    await deps.repository.deleteArtifacts(documentId, version);
    deps.logger.info({ documentId, version }, 'a newer version completed first; this one is superseded');
    return status;
  }
  // Only OLDER versions: a newer one may have been activated since this one was (two versions finishing close
  // together), and its outputs are then the document's.
  await deps.vectors.deleteOlderVersions(documentId, version);
  await deps.graph.deleteOlderVersions(documentId, version);
  await deps.repository.deleteArtifactsBefore(documentId, version);
  if (superseded.length > 0) deps.logger.info({ documentId, version, superseded }, 'replaced older versions');
  return status;
}

/** Removes everything the cancelled version wrote so far and marks it cancelled. Idempotent. */
export async function cleanupCancelled(
  deps: PipelineDeps,
  documentId: string,
  version: number,
): Promise<void> {
  await deps.vectors.deleteVersion(documentId, version);
  await deps.graph.deleteVersion(documentId, version);
  await deps.repository.deleteArtifacts(documentId, version);
  for (const run of await deps.repository.stageRuns(documentId, version)) {
    if (run.status !== 'completed')
      await deps.repository.setStage(documentId, version, run.stage, 'cancelled');
  }
  await deps.repository.setVersionStatus(documentId, version, 'cancelled');
}

export { STAGES };
