import type { EmbeddingSpace, VectorPoint } from '@aegis/core';
import { AegisError, qualifiedModel } from '@aegis/core';
import type { EmbeddingBinding } from '../ports/document-repository.ts';
import { stopIfCancelled } from './cancellation.ts';
import { persistPaidWork } from './persist-paid-work.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';

/**
 * Embeds the version's chunks in batches and upserts them with UUIDv5 ids. Each finished batch is recorded,
 * so a retry (or a worker killed mid-stage) skips it: no batch is embedded, or billed, twice.
 *
 * One vector space per collection (ADR 007): the knowledge base is bound to one embedding model, and every
 * batch is pinned to it, so a fallback to another model never writes into the base's collection (the call
 * fails retryably while the bound model is unavailable). A base without a binding is bound by its first
 * embedding, to whichever chain entry answered it.
 */
export async function runEmbed(deps: PipelineDeps, run: StageRun): Promise<void> {
  const version = await deps.repository.getVersion(run.documentId, run.version);
  if (!version)
    throw new AegisError(
      'DOCUMENT_NOT_FOUND',
      `document ${run.documentId} version ${run.version} does not exist`,
    );
  const { knowledgeBase } = version;
  const chunks = await deps.repository.loadChunks(run.documentId, run.version);
  const size = deps.options.embedBatchSize;
  const batchCount = Math.ceil(chunks.length / size);
  let binding = (await deps.repository.knowledgeBase(knowledgeBase))?.embedding;
  const recorded = await deps.repository.completedEmbedBatches(run.documentId, run.version);
  // A recorded batch counts only if it covered exactly the chunks this slicing puts in it (the chunk count or
  // the batch size may have changed since, after a re-chunk).
  const done = new Map<number, string>();
  for (const [index, record] of recorded) {
    const first = index * size;
    const last = Math.min(chunks.length, first + size) - 1;
    if (index < batchCount && record.firstChunk === first && record.lastChunk === last)
      done.set(index, record.model);
  }
  // Batches embedded by a model the base is no longer bound to live in another space: embed them again.
  const isDone = (batch: number) =>
    done.has(batch) && (binding === undefined || done.get(batch) === qualifiedModel(binding));
  let ensured: EmbeddingSpace | undefined;
  await run.progress(countDone(batchCount, isDone), batchCount);
  // A re-chunk that produced fewer chunks leaves points past the new end: remove them (idempotent).
  await deps.vectors.deleteChunksFrom(run.documentId, run.version, chunks.length);

  for (let batch = 0; batch < batchCount; batch += 1) {
    if (isDone(batch)) continue;
    await stopIfCancelled(deps, run);
    const slice = chunks.slice(batch * size, (batch + 1) * size);
    const result = await deps.router.embed({
      texts: slice.map((chunk) => chunk.text),
      pin: binding && { provider: binding.provider, model: binding.model },
      signal: run.signal,
      attribution: { documentId: run.documentId, stage: 'embed' },
    });
    if (binding === undefined || binding.dimensions === null) {
      // After the paid call: an outage is waited out here, or the batch would be bought again.
      const bound = await persistPaidWork(deps, run, 'embedding binding', () =>
        deps.repository.bindEmbedding(knowledgeBase, {
          provider: result.provider,
          model: result.model,
          dimensions: result.dimensions,
        }),
      );
      const won = bound.provider === result.provider && bound.model === result.model;
      binding = bound;
      if (!won) {
        // Another document bound the base first, to another model: these vectors belong to no space of it.
        deps.logger.warn(
          { knowledgeBase, bound: qualifiedModel(bound), discarded: `${result.provider}:${result.model}` },
          'knowledge base was bound to another embedding model concurrently; embedding the batch again',
        );
        batch -= 1;
        continue;
      }
    }
    const space = spaceOf(binding, result.dimensions, knowledgeBase);
    const points: VectorPoint[] = slice.map((chunk, offset) => ({
      id: chunk.pointId,
      vector: result.vectors[offset] as number[],
      payload: {
        documentId: run.documentId,
        version: run.version,
        chunkIndex: chunk.index,
        knowledgeBase,
        kind: version.kind,
        createdAt: version.createdAt.toISOString(),
        metadata: version.metadata,
        pageStart: chunk.pageStart,
        pageEnd: chunk.pageEnd,
        source: version.displayName,
        text: chunk.text,
        headingPath: chunk.headingPath,
        embeddingModel: qualifiedModel(space),
      },
    }));
    // The batch is paid for: an outage now is waited out, not turned into a second, billed embedding.
    await persistPaidWork(deps, run, 'embed batch', async () => {
      if (ensured === undefined) {
        await deps.vectors.ensureSpace(space);
        ensured = space;
      }
      await deps.vectors.upsert(space, points, { wait: true });
      // The batch's ledger row is written before the batch counts as finished: a finished batch is always
      // billed exactly once, even if this worker is killed right after.
      await deps.router.flush();
      await deps.repository.completeEmbedBatch(
        run.documentId,
        run.version,
        {
          index: batch,
          firstChunk: slice[0]?.index ?? 0,
          lastChunk: slice.at(-1)?.index ?? 0,
          model: qualifiedModel(space),
          dimensions: result.dimensions,
        },
        run.run,
      );
    });
    done.set(batch, qualifiedModel(space));
    await run.progress(countDone(batchCount, isDone), batchCount);
  }
}

/** The space of a bound knowledge base; a model whose size changed under the same name is refused. */
function spaceOf(binding: EmbeddingBinding, dimensions: number, knowledgeBase: string): EmbeddingSpace {
  if (binding.dimensions !== null && binding.dimensions !== dimensions) {
    throw new AegisError(
      'VECTOR_DIM_MISMATCH',
      `knowledge base "${knowledgeBase}" is bound to ${qualifiedModel(binding)} with ${binding.dimensions} dimensions, got ${dimensions}`,
      { details: { knowledgeBase, expected: binding.dimensions, actual: dimensions } },
    );
  }
  return { provider: binding.provider, model: binding.model, dimensions, normalisation: 'l2' };
}

function countDone(batchCount: number, isDone: (batch: number) => boolean): number {
  let count = 0;
  for (let batch = 0; batch < batchCount; batch += 1) if (isDone(batch)) count += 1;
  return count;
}
