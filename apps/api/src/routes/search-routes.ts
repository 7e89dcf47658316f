import { type CostGroup, monthlyCosts } from '@aegis/llm-router';
import { SEARCH_MODES, searchDocuments } from '@aegis/pipeline';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { principalKey } from '../auth/principal.ts';
import { authErrors, errorResponses, securityBoth } from '../http/schemas.ts';
import {
  LIST_PATTERN,
  type SearchQuerystring,
  searchableBases,
  searchFilterOf,
  searchHitSchema,
  splitList,
} from '../http/search-query.ts';

const COST_GROUPS: CostGroup[] = ['provider', 'model', 'task', 'document', 'stage', 'user', 'key'];

/** One group's totals; money as an exact decimal string. */
const costTotalsSchema = {
  type: 'object',
  properties: {
    requests: { type: 'integer' },
    inputTokens: { type: 'integer' },
    cachedInputTokens: { type: 'integer' },
    outputTokens: { type: 'integer' },
    images: { type: 'integer' },
    costUsd: { type: 'string', description: 'Exact decimal USD.' },
  },
  required: ['requests', 'inputTokens', 'cachedInputTokens', 'outputTokens', 'images', 'costUsd'],
} as const;

/** GET /v1/search and GET /v1/costs. */
export function searchRoutes(context: ApiContext) {
  const { runtime } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: SearchQuerystring }>(
      '/v1/search',
      {
        config: { access: 'read' },
        schema: {
          tags: ['search'],
          summary:
            'Hybrid, keyword or vector search over active versions: hits with score parts, chunk text, pages, heading path, metadata and linked entities',
          description:
            'Filters combine with AND; comma-separated values of one filter are alternatives. `meta.<field>=v1,v2` matches a top-level metadata field equal to (or, for an array field, containing) any of the values; a value that reads as a number or boolean also matches that typed value.',
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: {
              q: { type: 'string', minLength: 1, maxLength: 4000 },
              mode: { type: 'string', enum: [...SEARCH_MODES], default: 'hybrid' },
              kb: {
                type: 'string',
                maxLength: 2000,
                pattern: LIST_PATTERN,
                description: "Knowledge bases, comma-separated. Default: `default` (or the key's bases).",
              },
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
              group: {
                type: 'boolean',
                default: false,
                description: 'One hit (the best chunk) per document.',
              },
              documentId: { type: 'string', maxLength: 4000, description: 'Document ids, comma-separated.' },
              kind: {
                type: 'string',
                maxLength: 200,
                pattern: LIST_PATTERN,
                description: 'File kinds, comma-separated.',
              },
              createdAfter: { type: 'string', format: 'date-time' },
              createdBefore: { type: 'string', format: 'date-time' },
              pageFrom: { type: 'integer', minimum: 1 },
              pageTo: { type: 'integer', minimum: 1 },
              keywordWeight: { type: 'number', minimum: 0, maximum: 100 },
              vectorWeight: { type: 'number', minimum: 0, maximum: 100 },
            },
            patternProperties: { '^meta\\.[A-Za-z0-9_-]{1,64}$': { type: 'string', maxLength: 1000 } },
            required: ['q'],
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                mode: { type: 'string' },
                embeddingModel: { type: ['string', 'null'] },
                embeddingModels: { type: 'array', items: { type: 'string' } },
                costUsd: { type: 'string' },
                hits: { type: 'array', items: searchHitSchema },
              },
            },
            ...authErrors,
            ...errorResponses({
              400: 'VALIDATION_FAILED',
              403: "FORBIDDEN (a knowledge base outside the key's scope)",
              503: "NO_PROVIDER_AVAILABLE (the knowledge base's embedding model is unavailable)",
            }),
          },
        },
      },
      async (request) => {
        // Aborts the embedding call when the client goes away.
        const abort = new AbortController();
        request.raw.once('close', () => {
          if (!request.raw.complete) abort.abort();
        });
        const query = request.query;
        const result = await searchDocuments(runtime.pipeline, {
          query: query.q,
          mode: query.mode,
          knowledgeBases: searchableBases(request.principal, splitList(query.kb)),
          limit: query.limit,
          groupByDocument: query.group,
          filter: searchFilterOf(query),
          weights: { keyword: query.keywordWeight, vector: query.vectorWeight },
          signal: abort.signal,
          attribution: { stage: 'api-search', userId: principalKey(request.principal)?.name },
        });
        return { ...result, embeddingModel: result.embeddingModel ?? null };
      },
    );

    app.get<{ Querystring: { month?: string; by?: string } }>(
      '/v1/costs',
      {
        config: { access: 'read' },
        schema: {
          tags: ['costs'],
          summary: "A month's LLM costs from the ledger, grouped",
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: {
              month: {
                type: 'string',
                pattern: '^\\d{4}-(0[1-9]|1[0-2])$',
                description: 'YYYY-MM (UTC); default now.',
              },
              by: {
                type: 'string',
                pattern: `^(${COST_GROUPS.join('|')})(,(${COST_GROUPS.join('|')}))*$`,
                description: `Comma-separated groups: ${COST_GROUPS.join(', ')} (key: who pays; the key, CLI user or watcher that ingested a document pays for its pipeline calls). Empty = one total row.`,
              },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                month: { type: 'string', description: 'YYYY-MM (UTC).' },
                by: { type: 'array', items: { type: 'string', enum: COST_GROUPS } },
                rows: {
                  type: 'array',
                  description: 'Largest cost first: the group keys (null where unknown) and their totals.',
                  items: {
                    type: 'object',
                    properties: {
                      ...Object.fromEntries(
                        COST_GROUPS.map((group) => [group, { type: ['string', 'null'] }]),
                      ),
                      ...costTotalsSchema.properties,
                    },
                    required: costTotalsSchema.required,
                  },
                },
                total: { ...costTotalsSchema, description: 'The whole month.' },
              },
              required: ['month', 'by', 'rows', 'total'],
            },
            ...authErrors,
            ...errorResponses({ 400: 'VALIDATION_FAILED' }),
          },
        },
      },
      async (request) => {
        const by = (request.query.by?.split(',') ?? []) as CostGroup[];
        const month = request.query.month ?? new Date().toISOString().slice(0, 7);
        // A key scoped to knowledge bases sees only the calls made for their documents.
        const knowledgeBases = knowledgeBaseScope(request.principal);
        const [rows, [total]] = await Promise.all([
          monthlyCosts(runtime.pool, { month, groupBy: by, knowledgeBases }),
          monthlyCosts(runtime.pool, { month, groupBy: [], knowledgeBases }),
        ]);
        return { month, by, rows, total };
      },
    );
  };
}
