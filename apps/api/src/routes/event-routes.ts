import type { LiveEvent } from '@aegis/client';
import { AegisError } from '@aegis/core';
import { createProgressSubscriber, type ProgressEvent, readCapacity } from '@aegis/queue';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { documentInScope, knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { type EventStream, openEventStream } from '../http/event-stream.ts';
import { authErrors, securityBoth } from '../http/schemas.ts';

/** The client's event types must describe what this route sends (compile-time check). */
const _sameShape = (event: ProgressEvent): LiveEvent => event;
void _sameShape;

/** How often a heartbeat (with the live worker count) keeps idle connections and proxies open, in ms. */
const HEARTBEAT_MS = 10_000;

/** GET /v1/events: live pipeline progress as server-sent events. */
export function eventRoutes(context: ApiContext) {
  const { runtime, config } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    const subscriber = createProgressSubscriber(runtime.redis, config.redis.queuePrefix);
    const open = new Set<EventStream>();
    // Before the server stops accepting: a streaming response would otherwise hold `close()` open for ever.
    app.addHook('preClose', async () => {
      for (const stream of open) stream.close();
    });
    app.addHook('onClose', async () => subscriber.close());

    app.get<{ Querystring: { documentId?: string[] } }>(
      '/v1/events',
      {
        // Every base's progress: a key scoped to knowledge bases must name documents of its own bases (the web
        // UI's upload page does), else 403; the browser session is accepted for the web UI.
        config: { access: 'read', session: true },
        schema: {
          tags: ['events'],
          summary: 'Live pipeline progress (server-sent events)',
          description:
            'Events: `stage` (a stage of a version queued, running with done/total items, completed, failed with errorCode), `version` (status changes, final ones included), `deleted`, and `heartbeat` every 10 s with the number of live workers. Best effort: a client that must not miss a final state reads the document (or uses webhooks).',
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: {
              documentId: {
                type: 'array',
                items: { type: 'string', minLength: 1, maxLength: 200 },
                maxItems: 500,
                description: 'Only these documents (repeat the parameter); default all.',
              },
            },
            additionalProperties: false,
          },
          produces: ['text/event-stream'],
          response: { 200: { type: 'string', description: 'text/event-stream' }, ...authErrors },
        },
      },
      async (request, reply) => {
        const only = request.query.documentId?.length ? new Set(request.query.documentId) : undefined;
        const scope = knowledgeBaseScope(request.principal);
        if (scope !== undefined) {
          if (only === undefined)
            throw new AegisError(
              'FORBIDDEN',
              'A key scoped to knowledge bases must name its documents (documentId=...) to follow events.',
              { details: { knowledgeBases: scope } },
            );
          // Another base's document answers 404, like a missing one.
          for (const documentId of only) await documentInScope(request, runtime.pool, documentId);
        }
        // Events travel through Redis: with it down a stream would stay open and silent; say so instead.
        if (runtime.redis.status !== 'ready')
          throw new AegisError(
            'QUEUE_UNAVAILABLE',
            'Redis (the live events) is unreachable; try again shortly.',
          );
        await subscriber.ready;
        const stream = openEventStream(request, reply);
        open.add(stream);
        const unsubscribe = subscriber.subscribe((event: ProgressEvent) => {
          if (only && !only.has(event.documentId)) return;
          stream.send(event.type, event);
        });
        const heartbeat = async (): Promise<void> => {
          const workers = await readCapacity(runtime.redis, config.redis.queuePrefix).then(
            (capacity) => capacity.workers,
            () => null,
          );
          stream.send('heartbeat', { at: new Date().toISOString(), workers });
        };
        void heartbeat();
        const timer = setInterval(() => void heartbeat(), HEARTBEAT_MS);
        await stream.closed;
        clearInterval(timer);
        unsubscribe();
        open.delete(stream);
      },
    );
  };
}
