import { isAegisError } from '@aegis/core';
import { forEachLimited, stopIfCancelled } from './cancellation.ts';
import {
  GRAPH_SYSTEM_PROMPT,
  type GraphExtraction,
  graphExtractionSchema,
  resolveGraph,
} from './graph-extraction.ts';
import { persistPaidWork } from './persist-paid-work.ts';
import type { PipelineDeps, StageRun } from './stage-context.ts';

const PREVIEW_CHARS = 200;

/**
 * Extracts entities and relations from every chunk with `generateJson`, stores each chunk's validated result,
 * resolves entities across the document and writes the graph in batches. A chunk whose JSON stays invalid
 * is counted and skipped. Stored extractions are reused, so a retry of this stage makes no model calls for
 * chunks already extracted.
 */
export async function runGraph(deps: PipelineDeps, run: StageRun): Promise<{ invalidChunks: number }> {
  const version = await deps.repository.getVersion(run.documentId, run.version);
  const chunks = await deps.repository.loadChunks(run.documentId, run.version);
  const stored = await deps.repository.graphExtractions(run.documentId, run.version);
  // A re-run (retry, re-delivery) rebuilds the version's graph from the stored extractions, without model
  // calls: chunks a re-chunk changed or removed must not keep their old nodes and mentions.
  if ((await deps.graph.counts({ documentId: run.documentId, version: run.version })).chunks > 0)
    await deps.graph.deleteVersion(run.documentId, run.version);
  await deps.graph.upsertChunks(
    { documentId: run.documentId, version: run.version, source: version?.displayName ?? run.documentId },
    chunks.map((chunk) => ({
      id: chunk.pointId,
      chunkIndex: chunk.index,
      pageStart: chunk.pageStart,
      pageEnd: chunk.pageEnd,
      preview: chunk.text.slice(0, PREVIEW_CHARS),
    })),
  );

  let done = stored.size;
  await run.progress(done, chunks.length);
  const missing = chunks.filter((chunk) => !stored.has(chunk.index));
  await forEachLimited(missing, deps.options.modelConcurrency, async (chunk) => {
    await stopIfCancelled(deps, run);
    try {
      const result = await deps.router.generateJson({
        task: 'extraction',
        schema: graphExtractionSchema,
        signal: run.signal,
        attribution: { documentId: run.documentId, stage: 'graph' },
        messages: [
          { role: 'system', content: GRAPH_SYSTEM_PROMPT },
          { role: 'user', content: chunk.text },
        ],
      });
      const record = {
        chunkIndex: chunk.index,
        status: 'extracted' as const,
        result: result.value,
        errorCode: null,
      };
      await persistPaidWork(deps, run, 'graph extraction', () =>
        deps.repository.saveGraphExtraction(run.documentId, run.version, record, run.run),
      );
      stored.set(chunk.index, record);
    } catch (error) {
      if (!isAegisError(error, 'LLM_JSON_INVALID')) throw error;
      const record = {
        chunkIndex: chunk.index,
        status: 'invalid' as const,
        result: null,
        errorCode: 'LLM_JSON_INVALID',
      };
      await persistPaidWork(deps, run, 'graph extraction', () =>
        deps.repository.saveGraphExtraction(run.documentId, run.version, record, run.run),
      );
      stored.set(chunk.index, record);
    }
    done += 1;
    await run.progress(done, chunks.length);
  });

  const extractions: Array<{ chunkId: string; extraction: GraphExtraction }> = [];
  let invalidChunks = 0;
  for (const chunk of chunks) {
    const record = stored.get(chunk.index);
    const parsed =
      record?.status === 'extracted' ? graphExtractionSchema.safeParse(record.result) : undefined;
    if (parsed?.success) extractions.push({ chunkId: chunk.pointId, extraction: parsed.data });
    else invalidChunks += 1;
  }
  const graph = resolveGraph(extractions);
  await stopIfCancelled(deps, run);
  await deps.graph.upsertEntities(
    { documentId: run.documentId, version: run.version },
    graph.entities,
    graph.mentions,
    graph.relations,
  );
  if (invalidChunks > 0) {
    await deps.repository.addWarnings(run.documentId, run.version, [
      `${invalidChunks} chunk(s) gave no valid entity JSON and were skipped in the graph`,
    ]);
  }
  return { invalidChunks };
}
