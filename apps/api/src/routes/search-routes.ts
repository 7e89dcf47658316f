import { type CostGroup, monthlyCosts } from '@aegis/llm-router';
import { searchDocuments } from '@aegis/pipeline';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { principalKey } from '../auth/principal.ts';
import { authErrors, errorResponses, securityBoth } from '../http/schemas.ts';

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
    app.get<{ Querystring: { q: string; limit?: number; documentId?: string } }>(
      '/v1/search',
      {
        config: { access: 'read' },
        schema: {
          tags: ['search'],
          summary:
            'Vector search over active versions: hits with their chunk text, pages and linked entities',
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: {
              q: { type: 'string', minLength: 1, maxLength: 4000 },
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
              documentId: { type: 'string', maxLength: 200 },
            },
            required: ['q'],
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                embeddingModel: { type: ['string', 'null'] },
                costUsd: { type: 'string' },
                hits: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      documentId: { type: 'string' },
                      version: { type: 'integer' },
                      source: { type: 'string' },
                      chunkIndex: { type: 'integer' },
                      score: { type: 'number' },
                      text: { type: 'string' },
                      pageStart: { type: 'integer' },
                      pageEnd: { type: 'integer' },
                      headingPath: { type: 'array', items: { type: 'string' } },
                      entities: {
                        type: 'array',
                        items: { type: 'object', additionalProperties: true },
                      },
                    },
                  },
                },
              },
            },
            ...authErrors,
            ...errorResponses({ 400: 'VALIDATION_FAILED', 503: 'NO_PROVIDER_AVAILABLE (embedding failed)' }),
          },
        },
      },
      async (request) => {
        // Aborts the embedding call when the client goes away.
        const abort = new AbortController();
        request.raw.once('close', () => {
          if (!request.raw.complete) abort.abort();
        });
        const result = await searchDocuments(runtime.pipeline, {
          query: request.query.q,
          limit: request.query.limit,
          documentId: request.query.documentId,
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
        const [rows, [total]] = await Promise.all([
          monthlyCosts(runtime.pool, { month, groupBy: by }),
          monthlyCosts(runtime.pool, { month, groupBy: [] }),
        ]);
        return { month, by, rows, total };
      },
    );
  };
}
