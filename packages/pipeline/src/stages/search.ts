import {
  AegisError,
  DEFAULT_KNOWLEDGE_BASE,
  type EmbeddingSpace,
  embeddingSpaceKey,
  type GraphEntity,
  KNOWLEDGE_BASE_NAME,
  type MetadataValue,
  qualifiedModel,
  type VectorFilter,
  type VectorHit,
} from '@aegis/core';
import { type Attribution, picoToUsd, usdToPico } from '@aegis/llm-router';
import { type RankedList, reciprocalRankFusion } from '../search/rank-fusion.ts';
import type { PipelineDeps } from './stage-context.ts';

export type SearchMode = 'hybrid' | 'keyword' | 'vector';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'keyword', 'vector'];

/** Filters on document fields and user metadata; all given conditions must hold. */
export type SearchFilter = Omit<VectorFilter, 'documentId' | 'version' | 'knowledgeBases'>;

export interface SearchRequest {
  query: string;
  /** `hybrid` (default): keyword and vector rankings fused by reciprocal rank; or one of them alone. */
  mode?: SearchMode | undefined;
  /** Knowledge bases to search. Default `['default']`. */
  knowledgeBases?: readonly string[] | undefined;
  filter?: SearchFilter | undefined;
  /** Only this document (kept for older callers; same as `filter.documentIds: [id]`). */
  documentId?: string | undefined;
  /** Hits (or documents, with `groupByDocument`) to return. Default 10, 1..100. */
  limit?: number | undefined;
  /** One hit per document (its best chunk), `limit` documents. Default false. */
  groupByDocument?: boolean | undefined;
  /** Weights of the keyword and vector rankings in the fusion. Default from the pipeline options. */
  weights?: { keyword?: number | undefined; vector?: number | undefined } | undefined;
  signal?: AbortSignal | undefined;
  attribution?: Attribution | undefined;
}

/** How a hit scored: each ranking it appeared in (score and 1-based rank), and the fused score. */
export interface ScoreParts {
  /** Cosine similarity with the query, and the rank in the vector ranking. */
  vector?: { score: number; rank: number } | undefined;
  /** Full-text relevance (BM25-style), and the rank in the keyword ranking. */
  keyword?: { score: number; rank: number } | undefined;
  /** Reciprocal rank fusion score (hybrid, or several embedding spaces). */
  fused?: number | undefined;
}

export interface SearchHit {
  documentId: string;
  version: number;
  knowledgeBase: string;
  source: string;
  kind: string;
  chunkIndex: number;
  /** The score the hits are ordered by: fused in hybrid mode, else the single ranking's score. */
  score: number;
  scores: ScoreParts;
  text: string;
  pageStart: number;
  pageEnd: number;
  headingPath: string[];
  metadata: Record<string, MetadataValue>;
  /** Entities the graph links to this chunk. */
  entities: GraphEntity[];
}

export interface SearchResult {
  hits: SearchHit[];
  mode: SearchMode;
  /** `provider:model` the query was embedded with: the first searched base's model (undefined in keyword mode). */
  embeddingModel: string | undefined;
  /** Every model the query was embedded with (one per embedding space of the searched bases). */
  embeddingModels: string[];
  costUsd: string;
}

const NO_COST = '0.000000000000';
const MAX_LIMIT = 100;

/**
 * Search over the active versions of documents in one or several knowledge bases: keyword (full text),
 * vector (the query embedded by each base's bound model, in that model's collection only, ADR 007) or
 * hybrid (both rankings fused by weighted reciprocal rank). Returns exactly `limit` hits when that many
 * exist: points of versions not active (processing, failed, superseded) are skipped and the rankings are
 * read deeper until enough active hits are found.
 */
export async function searchDocuments(
  deps: Pick<PipelineDeps, 'router' | 'vectors' | 'graph' | 'repository' | 'options'>,
  request: SearchRequest,
): Promise<SearchResult> {
  const query = request.query.trim();
  if (!query) throw new AegisError('VALIDATION_FAILED', 'the search query is empty');
  if (query.length > 4_000)
    throw new AegisError('VALIDATION_FAILED', 'the search query is longer than 4,000 characters');
  const mode = request.mode ?? 'hybrid';
  if (!SEARCH_MODES.includes(mode))
    throw new AegisError('VALIDATION_FAILED', `search mode must be one of ${SEARCH_MODES.join(', ')}`);
  const limit = Math.min(Math.max(1, Math.floor(request.limit ?? 10)), MAX_LIMIT);
  const knowledgeBases = [...new Set(request.knowledgeBases ?? [DEFAULT_KNOWLEDGE_BASE])];
  if (knowledgeBases.length === 0 || knowledgeBases.some((name) => !KNOWLEDGE_BASE_NAME.test(name)))
    throw new AegisError('VALIDATION_FAILED', `knowledge base names must match ${KNOWLEDGE_BASE_NAME}`);
  const weights = {
    keyword: request.weights?.keyword ?? deps.options.search.keywordWeight,
    vector: request.weights?.vector ?? deps.options.search.vectorWeight,
  };
  if (!(weights.keyword >= 0 && weights.vector >= 0 && weights.keyword + weights.vector > 0))
    throw new AegisError('VALIDATION_FAILED', 'search weights must be non-negative and not both zero');
  const baseFilter: VectorFilter = {
    ...request.filter,
    ...(request.documentId === undefined ? {} : { documentIds: [request.documentId] }),
  };

  const spaces = await spacesOf(deps, knowledgeBases);
  const embeddingModels: string[] = [];
  let cost = 0n;
  const vectors = new Map<string, readonly number[]>();
  if (mode !== 'keyword') {
    for (const { space } of spaces) {
      const embedded = await deps.router.embed({
        texts: [query],
        pin: { provider: space.provider, model: space.model },
        signal: request.signal,
        attribution: { stage: 'search', ...request.attribution },
      });
      vectors.set(embeddingSpaceKey(space), embedded.vectors[0] as number[]);
      embeddingModels.push(qualifiedModel(space));
      cost += usdToPico(embedded.costUsd);
    }
  }

  // Read the rankings deeper until `limit` results (documents, when grouping) exist or they run out.
  let depth = Math.max(limit * 2, 20);
  for (;;) {
    const lists: RankedList<VectorHit>[] = [];
    let exhausted = true;
    for (const { space, knowledgeBases: bases } of spaces) {
      const filter = { ...baseFilter, knowledgeBases: bases };
      const vector = vectors.get(embeddingSpaceKey(space));
      if (vector !== undefined && weights.vector > 0) {
        const ranked = await activeRanked(deps, depth, (page) =>
          deps.vectors.search(space, vector, { ...page, filter }),
        );
        exhausted &&= ranked.exhausted;
        lists.push({ kind: 'vector', weight: weights.vector, items: ranked.hits.map(toEntry) });
      }
      if (mode !== 'vector' && weights.keyword > 0) {
        const ranked = await activeRanked(deps, depth, (page) =>
          deps.vectors.keywordSearch(space, query, { ...page, filter }),
        );
        exhausted &&= ranked.exhausted;
        lists.push({ kind: 'keyword', weight: weights.keyword, items: ranked.hits.map(toEntry) });
      }
    }
    const fused = reciprocalRankFusion(lists, deps.options.search.rrfK);
    const single = lists.length === 1;
    const chosen: typeof fused = [];
    const seenDocuments = new Set<string>();
    for (const item of fused) {
      if (request.groupByDocument === true) {
        if (seenDocuments.has(item.item.payload.documentId)) continue;
        seenDocuments.add(item.item.payload.documentId);
      }
      chosen.push(item);
      if (chosen.length === limit) break;
    }
    if (chosen.length < limit && !exhausted) {
      depth *= 2;
      continue;
    }
    const entities = await deps.graph.entitiesOfChunks(chosen.map((item) => item.id));
    return {
      mode,
      embeddingModel: embeddingModels[0],
      embeddingModels,
      costUsd: cost === 0n ? NO_COST : picoToUsd(cost),
      hits: chosen.map((item) => {
        const payload = item.item.payload;
        const score = single ? (item.vector?.score ?? item.keyword?.score ?? item.fused) : item.fused;
        return {
          documentId: payload.documentId,
          version: payload.version,
          knowledgeBase: payload.knowledgeBase,
          source: payload.source,
          kind: payload.kind,
          chunkIndex: payload.chunkIndex,
          score,
          scores: { vector: item.vector, keyword: item.keyword, ...(single ? {} : { fused: item.fused }) },
          text: payload.text,
          pageStart: payload.pageStart,
          pageEnd: payload.pageEnd,
          headingPath: payload.headingPath,
          metadata: payload.metadata,
          entities: entities.get(item.id) ?? [],
        };
      }),
    };
  }
}

function toEntry(hit: VectorHit) {
  return { id: hit.id, score: hit.score, item: hit };
}

/** The embedding space of each searched base (bases bound to one model share a space); unbound bases have none yet. */
async function spacesOf(
  deps: Pick<PipelineDeps, 'repository'>,
  knowledgeBases: readonly string[],
): Promise<Array<{ space: EmbeddingSpace; knowledgeBases: string[] }>> {
  const bySpace = new Map<string, { space: EmbeddingSpace; knowledgeBases: string[] }>();
  for (const name of knowledgeBases) {
    const binding = (await deps.repository.knowledgeBase(name))?.embedding;
    if (binding === undefined || binding.dimensions === null) continue;
    const space: EmbeddingSpace = {
      provider: binding.provider,
      model: binding.model,
      dimensions: binding.dimensions,
      normalisation: 'l2',
    };
    const key = embeddingSpaceKey(space);
    const entry = bySpace.get(key) ?? { space, knowledgeBases: [] };
    entry.knowledgeBases.push(name);
    bySpace.set(key, entry);
  }
  return [...bySpace.values()];
}

/**
 * The first `depth` hits of a ranking that belong to active versions. Points of versions still processing,
 * failed, cancelled or superseded but not yet deleted share the collection; they are skipped, and the
 * ranking is read again twice as deep until `depth` active hits are found or it has no more. Each read
 * starts at the top (no offsets): an approximate index (HNSW) may order two reads differently, and paging
 * by offset could then skip or repeat a point.
 */
async function activeRanked(
  deps: Pick<PipelineDeps, 'repository'>,
  depth: number,
  read: (window: { limit: number; offset: number }) => Promise<VectorHit[]>,
): Promise<{ hits: VectorHit[]; exhausted: boolean }> {
  let size = depth;
  for (;;) {
    const candidates = await read({ limit: size, offset: 0 });
    const active = await deps.repository.activeVersions([
      ...new Set(candidates.map((hit) => hit.payload.documentId)),
    ]);
    const seen = new Set<string>();
    const hits: VectorHit[] = [];
    for (const hit of candidates) {
      if (seen.has(hit.id) || active.get(hit.payload.documentId) !== hit.payload.version) continue;
      seen.add(hit.id);
      hits.push(hit);
      if (hits.length === depth) return { hits, exhausted: false };
    }
    if (candidates.length < size) return { hits, exhausted: true };
    size *= 2;
  }
}

/**
 * The `limit` nearest points of active versions in one space (see {@link searchDocuments} for why inactive
 * points are skipped rather than over-fetched).
 */
export async function activeNearest(
  deps: Pick<PipelineDeps, 'vectors' | 'repository'>,
  space: EmbeddingSpace,
  vector: readonly number[],
  limit: number,
  documentId: string | undefined,
): Promise<VectorHit[]> {
  const filter = documentId === undefined ? undefined : { documentId };
  const ranked = await activeRanked(deps, limit, (window) =>
    deps.vectors.search(space, vector, { ...window, filter }),
  );
  return ranked.hits;
}
