import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../http/error-response.ts';
import { authErrors, securityBoth } from '../http/schemas.ts';
import { checkReadiness } from '../readiness.ts';

const readinessSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    down: {
      type: 'array',
      items: { type: 'string' },
      description: 'Ids of the failing required checks (e.g. redis, postgres, task:embedding).',
    },
    // A 503 may also be the refusal of the key check itself (Postgres down): the usual error body.
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    checks: {
      type: 'array',
      description: 'The same findings as `aegis doctor`, in dependency order (one cause, one failing line).',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          status: { type: 'string', enum: ['ok', 'fail', 'warn', 'skipped'] },
          required: { type: 'boolean' },
          detail: { type: 'string' },
          fix: { type: 'string' },
          blockedBy: { type: 'string' },
        },
        required: ['id', 'name', 'status', 'required', 'detail'],
      },
    },
  },
} as const;

/** /healthz (liveness), /readyz (readiness) and /metrics (Prometheus). */
export function healthRoutes(context: ApiContext) {
  const { runtime, config } = context;
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
          summary:
            'Readiness: what `aegis doctor` checks (services, migrations, stores, model tasks), with fixes',
          description:
            '503 (with Retry-After) when a required check fails (Redis, Postgres, migrations, blob folder, stores, or the embedding or extraction chain cannot be served now); `down` names them, and each check carries its fix.',
          security: securityBoth,
          response: { 200: readinessSchema, 503: readinessSchema, ...authErrors },
        },
      },
      async (_request, reply) => {
        const diagnosis = await checkReadiness(runtime, config);
        const down = diagnosis.findings
          .filter((finding) => finding.required && finding.status === 'fail')
          .map((finding) => finding.id);
        if (!diagnosis.ok) void reply.header('retry-after', String(OUTAGE_RETRY_AFTER_SECONDS));
        return reply
          .status(diagnosis.ok ? 200 : 503)
          .send({ status: diagnosis.ok ? 'ready' : 'unavailable', down, checks: diagnosis.findings });
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
