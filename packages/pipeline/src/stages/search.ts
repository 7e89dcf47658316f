import { AegisError, type GraphEntity } from '@aegis/core';
import type { Attribution } from '@aegis/llm-router';
import type { PipelineDeps } from './stage-context.ts';

export interface SearchRequest {
  query: string;
  /** Hits to return. Default 10, at most 100. */
  limit?: number | undefined;
  /** Only this document. */
  documentId?: string | undefined;
  signal?: AbortSignal | undefined;
  attribution?: Attribution | undefined;
}

export interface SearchHit {
  documentId: string;
  version: number;
  source: string;
  chunkIndex: number;
  /** Cosine similarity of the query and the chunk. */
  score: number;
  text: string;
  pageStart: number;
  pageEnd: number;
  headingPath: string[];
  /** Entities the graph links to this chunk. */
  entities: GraphEntity[];
}

export interface SearchResult {
  hits: SearchHit[];
  /** `provider:model` the query was embedded with (the one the collection was built with). */
  embeddingModel: string | undefined;
  costUsd: string;
}

/**
 * Vector search over the active versions of documents, with each hit's chunk, pages and linked entities. The
 * query is embedded with the model that embedded the collection, so query and chunks share one vector space.
 */
export async function searchDocuments(
  deps: Pick<PipelineDeps, 'router' | 'vectors' | 'graph' | 'repository'>,
  request: SearchRequest,
): Promise<SearchResult> {
  const query = request.query.trim();
  if (!query) throw new AegisError('VALIDATION_FAILED', 'the search query is empty');
  if (query.length > 4_000)
    throw new AegisError('VALIDATION_FAILED', 'the search query is longer than 4,000 characters');
  const limit = Math.min(Math.max(1, request.limit ?? 10), 100);
  const model = await deps.repository.activeEmbeddingModel();
  if (!model || (await deps.vectors.dimensions()) === undefined)
    return { hits: [], embeddingModel: model, costUsd: '0.000000000000' };
  const separator = model.indexOf(':');
  const embedded = await deps.router.embed({
    texts: [query],
    pin: { provider: model.slice(0, separator), model: model.slice(separator + 1) },
    signal: request.signal,
    attribution: { stage: 'search', ...request.attribution },
  });
  const vector = embedded.vectors[0] as number[];
  // Over-fetch: points of versions still processing or being replaced are filtered out below.
  const candidates = await deps.vectors.search(vector, {
    limit: limit * 3,
    filter: request.documentId ? { documentId: request.documentId } : undefined,
  });
  const active = await deps.repository.activeVersions([
    ...new Set(candidates.map((hit) => hit.payload.documentId)),
  ]);
  const hits = candidates
    .filter((hit) => active.get(hit.payload.documentId) === hit.payload.version)
    .slice(0, limit);
  const entities = await deps.graph.entitiesOfChunks(hits.map((hit) => hit.id));
  return {
    embeddingModel: model,
    costUsd: embedded.costUsd,
    hits: hits.map((hit) => ({
      documentId: hit.payload.documentId,
      version: hit.payload.version,
      source: hit.payload.source,
      chunkIndex: hit.payload.chunkIndex,
      score: hit.score,
      text: hit.payload.text,
      pageStart: hit.payload.pageStart,
      pageEnd: hit.payload.pageEnd,
      headingPath: hit.payload.headingPath,
      entities: entities.get(hit.id) ?? [],
    })),
  };
}
