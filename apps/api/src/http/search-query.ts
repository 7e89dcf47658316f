import { AegisError, DEFAULT_KNOWLEDGE_BASE, type MetadataScalar } from '@aegis/core';
import type { SearchFilter, SearchMode } from '@aegis/pipeline';
import { metadataValues } from '@aegis/pipeline';
import type { Principal } from '../auth/principal.ts';

/** Comma-separated names: letters, digits, `_`, `-`. */
export const LIST_PATTERN = '^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$';

export interface SearchQuerystring {
  q: string;
  mode?: SearchMode;
  kb?: string;
  limit?: number;
  group?: boolean;
  documentId?: string;
  kind?: string;
  createdAfter?: string;
  createdBefore?: string;
  pageFrom?: number;
  pageTo?: number;
  keywordWeight?: number;
  vectorWeight?: number;
  [meta: `meta.${string}`]: string | undefined;
}

export function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.length === 0 ? undefined : items;
}

/**
 * The knowledge bases a request may search: the ones it names, all inside the key's scope (403 otherwise),
 * or by default the key's bases (an unscoped key: `default`).
 */
export function searchableBases(principal: Principal | null, requested: string[] | undefined): string[] {
  const scope = principal?.kind === 'api-key' ? principal.knowledgeBases : undefined;
  if (requested === undefined) return scope === undefined ? [DEFAULT_KNOWLEDGE_BASE] : [...scope];
  if (scope !== undefined) {
    const outside = requested.filter((name) => !scope.includes(name));
    if (outside.length > 0)
      throw new AegisError('FORBIDDEN', `This key may not search knowledge base(s): ${outside.join(', ')}.`, {
        details: { knowledgeBases: outside },
      });
  }
  return requested;
}

export function searchFilterOf(query: SearchQuerystring): SearchFilter {
  const metadata: Record<string, MetadataScalar[]> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!key.startsWith('meta.') || typeof value !== 'string') continue;
    metadata[key.slice('meta.'.length)] = metadataValues(value);
  }
  const documentIds = splitList(query.documentId);
  const kinds = splitList(query.kind);
  return {
    ...(documentIds === undefined ? {} : { documentIds }),
    ...(kinds === undefined ? {} : { kinds }),
    ...(Object.keys(metadata).length === 0 ? {} : { metadata }),
    ...(query.createdAfter === undefined ? {} : { createdAfter: query.createdAfter }),
    ...(query.createdBefore === undefined ? {} : { createdBefore: query.createdBefore }),
    ...(query.pageFrom === undefined && query.pageTo === undefined
      ? {}
      : { pages: { from: query.pageFrom, to: query.pageTo } }),
  };
}

const scorePart = {
  type: 'object',
  properties: { score: { type: 'number' }, rank: { type: 'integer' } },
} as const;

export const searchHitSchema = {
  type: 'object',
  properties: {
    documentId: { type: 'string' },
    version: { type: 'integer' },
    knowledgeBase: { type: 'string' },
    source: { type: 'string' },
    kind: { type: 'string' },
    chunkIndex: { type: 'integer' },
    score: { type: 'number' },
    scores: {
      type: 'object',
      properties: { vector: scorePart, keyword: scorePart, fused: { type: 'number' } },
    },
    text: { type: 'string' },
    pageStart: { type: 'integer' },
    pageEnd: { type: 'integer' },
    headingPath: { type: 'array', items: { type: 'string' } },
    metadata: { type: 'object', additionalProperties: true },
    entities: { type: 'array', items: { type: 'object', additionalProperties: true } },
  },
} as const;
