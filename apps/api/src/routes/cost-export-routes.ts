import { Readable } from 'node:stream';
import { exportLedger } from '@aegis/llm-router';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { authErrors, errorResponses, securityBoth } from '../http/schemas.ts';

const MONTH = '^\\d{4}-(0[1-9]|1[0-2])$';

/** GET /v1/costs/export: the raw ledger, one row per attempt, streamed (no size limit). */
export function costExportRoutes(context: ApiContext) {
  const { runtime } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: { month?: string; format?: 'csv' | 'json' } }>(
      '/v1/costs/export',
      {
        // The whole bill of every key: an admin's business.
        // The raw ledger of every knowledge base: not for keys scoped to some.
        config: { access: 'admin', global: true },
        schema: {
          tags: ['costs'],
          summary: 'Stream the raw ledger (one row per provider attempt) as CSV or JSON',
          description:
            'Oldest first, through a server-side cursor. CSV and JSON carry the same camelCase fields; money and times are exact strings.',
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: {
              month: { type: 'string', pattern: MONTH, description: 'YYYY-MM (UTC); default all months.' },
              format: { type: 'string', enum: ['csv', 'json'], default: 'csv' },
            },
            additionalProperties: false,
          },
          produces: ['text/csv', 'application/json'],
          response: {
            200: { type: 'string', description: 'CSV (RFC 4180) or a JSON array.' },
            ...authErrors,
            ...errorResponses({ 400: 'VALIDATION_FAILED' }),
          },
        },
      },
      async (request, reply) => {
        const { month, format = 'csv' } = request.query;
        const from = month ? new Date(`${month}-01T00:00:00Z`) : undefined;
        const to = from ? new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1)) : undefined;
        const stream = Readable.from(exportLedger(runtime.pool, { format, from, to }));
        return reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
          .header(
            'content-disposition',
            `attachment; filename="aegis-ledger${month ? `-${month}` : ''}.${format}"`,
          )
          .send(stream);
      },
    );
  };
}
