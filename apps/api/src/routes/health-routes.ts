import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../http/error-response.ts';
import { authErrors, securityBoth } from '../http/schemas.ts';
import { checkReadiness } from '../readiness.ts';

const readinessSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    down: { type: 'array', items: { type: 'string' }, description: 'Names of the failing checks.' },
    // A 503 may also be the refusal of the key check itself (Postgres down): the usual error body.
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    checks: {
      type: 'array',
      items: {
        type: 'object',
        properties: { name: { type: 'string' }, ok: { type: 'boolean' }, detail: { type: 'string' } },
      },
    },
  },
} as const;

/** /healthz (liveness), /readyz (readiness) and /metrics (Prometheus). */
export function healthRoutes(context: ApiContext) {
  const { runtime } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get(
      '/healthz',
      {
        // The one route without a key: docker and k8s liveness probes carry no credentials, and it reveals
        // nothing but "the process answers" (no dependency state, no version).
        config: { access: 'public', rateLimit: false },
        schema: {
          tags: ['operations'],
          summary: 'Liveness: the process answers (no dependencies checked, no auth)',
          response: {
            200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } },
          },
        },
      },
      async () => ({ status: 'ok' }),
    );

    app.get(
      '/readyz',
      {
        config: { access: 'read' },
        schema: {
          tags: ['operations'],
          summary: 'Readiness: Redis, Postgres, vector store, graph store and model providers',
          description: '503 (with Retry-After) names each failing check in `down`.',
          security: securityBoth,
          response: { 200: readinessSchema, 503: readinessSchema, ...authErrors },
        },
      },
      async (_request, reply) => {
        const readiness = await checkReadiness(runtime);
        const down = readiness.checks.filter((check) => !check.ok).map((check) => check.name);
        if (!readiness.ok) void reply.header('retry-after', String(OUTAGE_RETRY_AFTER_SECONDS));
        return reply
          .status(readiness.ok ? 200 : 503)
          .send({ status: readiness.ok ? 'ready' : 'unavailable', down, checks: readiness.checks });
      },
    );

    app.get(
      '/metrics',
      {
        // Costs and counts of every knowledge base: not for keys scoped to some.
        config: { access: 'metrics', global: true },
        schema: {
          tags: ['operations'],
          summary: 'Prometheus metrics (Authorization: Bearer METRICS_TOKEN, or an admin key)',
          security: securityBoth,
          produces: ['text/plain'],
          response: { 200: { type: 'string' }, ...authErrors },
        },
      },
      async (_request, reply) => {
        const text = await runtime.registry.metrics();
        return reply.type(runtime.registry.contentType).send(text);
      },
    );
  };
}
