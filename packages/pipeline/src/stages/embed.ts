import type { VectorPoint } from '@aegis/core';
import { AegisError } from '@aegis/core';
import { stopIfCancelled } from './cancellation.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';

/**
 * Embeds the version's chunks in batches and upserts them with UUIDv5 ids. Each finished batch is recorded,
 * so a retry (or a worker killed mid-stage) skips it: no batch is embedded, or billed, twice. Every batch of a
 * version is pinned to the model of its first batch, so one document's vectors never mix two models.
 */
export async function runEmbed(deps: PipelineDeps, run: StageRun): Promise<void> {
  const version = await deps.repository.getVersion(run.documentId, run.version);
  if (!version)
    throw new AegisError(
      'DOCUMENT_NOT_FOUND',
      `document ${run.documentId} version ${run.version} does not exist`,
    );
  const chunks = await deps.repository.loadChunks(run.documentId, run.version);
  const size = deps.options.embedBatchSize;
  const batchCount = Math.ceil(chunks.length / size);
  const done = await deps.repository.completedEmbedBatches(run.documentId, run.version);
  const earlier = done.values().next().value;
  let pin = earlier === undefined ? undefined : splitModel(earlier);
  let collectionChecked = false;
  await run.progress(done.size, batchCount);

  for (let batch = 0; batch < batchCount; batch += 1) {
    if (done.has(batch)) continue;
    await stopIfCancelled(deps, run);
    const slice = chunks.slice(batch * size, (batch + 1) * size);
    const result = await deps.router.embed({
      texts: slice.map((chunk) => chunk.text),
      pin,
      signal: run.signal,
      attribution: { documentId: run.documentId, stage: 'embed' },
    });
    pin = { provider: result.provider, model: result.model };
    if (!collectionChecked) {
      // VECTOR_DIM_MISMATCH fails fast, before anything is written.
      await deps.vectors.ensureCollection(result.dimensions);
      collectionChecked = true;
    }
    const points: VectorPoint[] = slice.map((chunk, offset) => ({
      id: chunk.pointId,
      vector: result.vectors[offset] as number[],
      payload: {
        documentId: run.documentId,
        version: run.version,
        chunkIndex: chunk.index,
        pageStart: chunk.pageStart,
        pageEnd: chunk.pageEnd,
        source: version.displayName,
        text: chunk.text,
        headingPath: chunk.headingPath,
        embeddingModel: `${result.provider}:${result.model}`,
      },
    }));
    await deps.vectors.upsert(points, { wait: true });
    // The batch's ledger row is written before the batch counts as finished: a finished batch is always
    // billed exactly once, even if this worker is killed right after.
    await deps.router.flush();
    await deps.repository.completeEmbedBatch(run.documentId, run.version, {
      index: batch,
      firstChunk: slice[0]?.index ?? 0,
      lastChunk: slice.at(-1)?.index ?? 0,
      model: `${result.provider}:${result.model}`,
      dimensions: result.dimensions,
    });
    done.set(batch, `${result.provider}:${result.model}`);
    await run.progress(done.size, batchCount);
  }
}

/** `provider:model` -> its parts (model names may contain colons, e.g. `llama3.1:8b`). */
function splitModel(qualified: string): { provider: string; model: string } {
  const separator = qualified.indexOf(':');
  return { provider: qualified.slice(0, separator), model: qualified.slice(separator + 1) };
}
