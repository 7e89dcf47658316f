import { AegisError } from '@aegis/core';
import type { StoredChunk, StoredImage, StoredPage, VersionRecord } from '@aegis/pipeline';
import { type DocumentStatusView, getDocumentStatus } from '@aegis/stores';
import type { FastifyRequest } from 'fastify';
import type { ApiRuntime } from '../app-context.ts';
import { documentInScope } from '../auth/knowledge-base-scope.ts';

/** How much of a large document one page view shows (the rest is behind `?pages=` / `?chunks=` offsets). */
export const PAGES_PER_VIEW = 5;
export const CHUNKS_PER_VIEW = 20;
/** Entities and relations shown (most mentioned first); the page says how many more there are. */
export const GRAPH_LINES_PER_VIEW = 100;

export interface CostLine {
  stage: string | null;
  provider: string;
  model: string;
  requests: number;
  costUsd: string;
}

export interface EntityLine {
  name: string;
  type: string;
  description: string;
  mentions: number;
}

export interface RelationLine {
  source: string;
  target: string;
  type: string;
  description: string;
}

export interface DocumentView {
  status: DocumentStatusView;
  /** The version shown (query, else the active one, else the latest). */
  version: number;
  record: VersionRecord | undefined;
  pages: StoredPage[];
  pageCount: number;
  pageOffset: number;
  chunks: StoredChunk[];
  chunkCount: number;
  chunkOffset: number;
  images: StoredImage[];
  entities: EntityLine[];
  relations: RelationLine[];
  costs: CostLine[];
}

interface ExtractionResult {
  entities?: Array<{ name?: unknown; type?: unknown; description?: unknown }>;
  relations?: Array<{ source?: unknown; target?: unknown; type?: unknown; description?: unknown }>;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Entities (merged by name and type, counting the chunks that mention them) and relations of a version. */
function graphOf(extractions: Iterable<{ status: string; result: unknown }>): {
  entities: EntityLine[];
  relations: RelationLine[];
} {
  const entities = new Map<string, EntityLine>();
  const relations = new Map<string, RelationLine>();
  for (const extraction of extractions) {
    if (extraction.status !== 'extracted') continue;
    const result = (extraction.result ?? {}) as ExtractionResult;
    for (const entity of result.entities ?? []) {
      const name = text(entity.name).trim();
      const type = text(entity.type).trim();
      if (!name) continue;
      const key = `${name.toLowerCase()}|${type.toLowerCase()}`;
      const line = entities.get(key) ?? { name, type, description: text(entity.description), mentions: 0 };
      line.mentions++;
      entities.set(key, line);
    }
    for (const relation of result.relations ?? []) {
      const line = {
        source: text(relation.source),
        target: text(relation.target),
        type: text(relation.type),
        description: text(relation.description),
      };
      relations.set(`${line.source}|${line.type}|${line.target}`.toLowerCase(), line);
    }
  }
  return {
    entities: [...entities.values()].sort((a, b) => b.mentions - a.mentions || a.name.localeCompare(b.name)),
    relations: [...relations.values()],
  };
}

/**
 * Everything the document page shows, read through the registry the JSON routes use. The scope check comes
 * first: another knowledge base's document is a 404, as on GET /v1/documents/:id.
 */
export async function loadDocumentView(
  request: FastifyRequest,
  runtime: ApiRuntime,
  documentId: string,
  options: {
    version?: number | undefined;
    pageOffset?: number | undefined;
    chunkOffset?: number | undefined;
  },
): Promise<DocumentView> {
  await documentInScope(request, runtime.pool, documentId);
  const status = await getDocumentStatus(runtime.pool, documentId);
  if (!status) throw new AegisError('DOCUMENT_NOT_FOUND', `Document ${documentId} does not exist.`);
  const version = options.version ?? status.activeVersion ?? status.latestVersion;
  if (!status.versions.some((entry) => entry.version === version))
    throw new AegisError('DOCUMENT_NOT_FOUND', `Document ${documentId} has no version ${version}.`);
  const { repository } = runtime.pipeline;
  const [record, pages, chunks, images, extractions, costs] = await Promise.all([
    repository.getVersion(documentId, version),
    repository.loadPages(documentId, version),
    repository.loadChunks(documentId, version),
    repository.loadImages(documentId, version),
    repository.graphExtractions(documentId, version),
    runtime.pool.query<{
      stage: string | null;
      provider: string;
      model: string;
      requests: number;
      cost: string;
    }>(
      `SELECT stage, provider, model, count(*)::int AS requests, sum(cost_usd)::numeric(24, 12)::text AS cost
         FROM llm_ledger WHERE document_id = $1
        GROUP BY stage, provider, model ORDER BY sum(cost_usd) DESC, stage, model`,
      [documentId],
    ),
  ]);
  const pageOffset = Math.max(0, options.pageOffset ?? 0);
  const chunkOffset = Math.max(0, options.chunkOffset ?? 0);
  return {
    status,
    version,
    record,
    pages: pages.slice(pageOffset, pageOffset + PAGES_PER_VIEW),
    pageCount: pages.length,
    pageOffset,
    chunks: chunks.slice(chunkOffset, chunkOffset + CHUNKS_PER_VIEW),
    chunkCount: chunks.length,
    chunkOffset,
    images,
    ...graphOf(extractions.values()),
    costs: costs.rows.map((row) => ({
      stage: row.stage,
      provider: row.provider,
      model: row.model,
      requests: row.requests,
      costUsd: row.cost,
    })),
  };
}
