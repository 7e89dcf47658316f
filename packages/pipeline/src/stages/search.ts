import {
  AegisError,
  DEFAULT_KNOWLEDGE_BASE,
  type EmbeddingSpace,
  type GraphEntity,
  qualifiedModel,
  type VectorHit,
} from '@aegis/core';
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
  /** `provider:model` the query was embedded with: the one the knowledge base is bound to. */
  embeddingModel: string | undefined;
  costUsd: string;
}

const NO_COST = '0.000000000000';

/**
 * Vector search over the active versions of documents, with each hit's chunk, pages and linked entities. The
 * query is embedded by the model the knowledge base is bound to, and searches that model's collection only,
 * so query and chunks always share one vector space (ADR 007).
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
  const binding = (await deps.repository.knowledgeBase(DEFAULT_KNOWLEDGE_BASE))?.embedding;
  if (binding?.dimensions === undefined || binding.dimensions === null)
    return { hits: [], embeddingModel: binding && qualifiedModel(binding), costUsd: NO_COST };
  const space: EmbeddingSpace = {
    provider: binding.provider,
    model: binding.model,
    dimensions: binding.dimensions,
    normalisation: 'l2',
  };
  const embedded = await deps.router.embed({
    texts: [query],
    pin: { provider: space.provider, model: space.model },
    signal: request.signal,
    attribution: { stage: 'search', ...request.attribution },
  });
  const vector = embedded.vectors[0] as number[];
  const hits = await activeNearest(deps, space, vector, limit, request.documentId);
  const entities = await deps.graph.entitiesOfChunks(hits.map((hit) => hit.id));
  return {
    embeddingModel: qualifiedModel(space),
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

/**
 * The `limit` nearest points of active versions. Points of versions still processing, failed, cancelled or
 * superseded but not yet deleted share the collection; they are skipped, and the scan pages on (doubling
 * the page) until `limit` active hits are found or the collection has no more candidates, so such points
 * never make the answer shorter than it could be.
 */
export async function activeNearest(
  deps: Pick<PipelineDeps, 'vectors' | 'repository'>,
  space: EmbeddingSpace,
  vector: readonly number[],
  limit: number,
  documentId: string | undefined,
): Promise<VectorHit[]> {
  const hits: VectorHit[] = [];
  const filter = documentId === undefined ? undefined : { documentId };
  let offset = 0;
  let page = Math.max(limit * 2, 20);
  for (;;) {
    const candidates = await deps.vectors.search(space, vector, { limit: page, offset, filter });
    const active = await deps.repository.activeVersions([
      ...new Set(candidates.map((hit) => hit.payload.documentId)),
    ]);
    for (const hit of candidates) {
      if (active.get(hit.payload.documentId) !== hit.payload.version) continue;
      hits.push(hit);
      if (hits.length === limit) return hits;
    }
    if (candidates.length < page) return hits;
    offset += page;
    page *= 2;
  }
}
