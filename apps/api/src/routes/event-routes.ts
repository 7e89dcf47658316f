import type { LiveEvent } from '@aegis/client';
import { AegisError } from '@aegis/core';
import { createProgressSubscriber, deliveryBody, type ProgressEvent, readCapacity } from '@aegis/queue';
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

/** How often the outbox is checked for new completion events while a stream is open, in ms. */
const OUTBOX_POLL_MS = 1_000;
/** Completion events read per query when a stream catches up. */
const OUTBOX_PAGE = 200;

/** `Last-Event-ID` (what EventSource sends on reconnect) or `?lastEventId=`: a non-negative integer, else none. */
function resumeFrom(header: string | string[] | undefined, query: number | undefined): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw !== undefined && /^\d{1,18}$/.test(raw.trim())) return Number(raw.trim());
  return query;
}

/**
 * GET /v1/events: live pipeline progress (Redis pub/sub, best effort) and completion events (the Postgres
 * outbox, ADR 018: `event: completion` with `id:` the outbox id, so a reconnect with `Last-Event-ID` misses none).
 */
export function eventRoutes(context: ApiContext) {
  const { runtime, config } = context;
  const outbox = runtime.webhooks.store;
  return async function plugin(app: FastifyInstance): Promise<void> {
    const subscriber = createProgressSubscriber(runtime.redis, config.redis.queuePrefix);
    const open = new Set<EventStream>();
    /** Each open stream's "read the outbox past my cursor" (run one at a time per stream). */
    const pullers = new Set<() => void>();
    let head = -1;
    let polling: NodeJS.Timeout | undefined;
    const poll = (): void => {
      polling = setTimeout(async () => {
        const latest = await outbox.lastEventId().catch(() => head);
        if (latest > head) {
          head = latest;
          for (const pull of pullers) pull();
        }
        if (pullers.size > 0) poll();
        else polling = undefined;
      }, OUTBOX_POLL_MS);
    };
    // Before the server stops accepting: a streaming response would otherwise hold `close()` open for ever.
    app.addHook('preClose', async () => {
      for (const stream of open) stream.close();
    });
    app.addHook('onClose', async () => {
      clearTimeout(polling);
      await subscriber.close();
    });

    app.get<{ Querystring: { documentId?: string[]; lastEventId?: number } }>(
      '/v1/events',
      {
        // Every base's progress: a key scoped to knowledge bases must name documents of its own bases (the web
        // UI's upload page does), else 403; the browser session is accepted for the web UI.
        config: { access: 'read', session: true },
        schema: {
          tags: ['events'],
          summary: 'Live pipeline progress (server-sent events)',
          description:
            'Events: `stage` (a stage of a version queued, running with done/total items, completed, failed with errorCode), `version` (status changes, final ones included), `deleted`, and `heartbeat` every 10 s with the number of live workers: best effort. `completion` events (a version reaching a final state, a stage failing) come from the durable outbox with an `id:`: reconnect with `Last-Event-ID` (or `?lastEventId=`) to get every one after it; without it the stream starts with the next one.',
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
              lastEventId: {
                type: 'integer',
                minimum: 0,
                description: 'Resume completion events after this id (the `Last-Event-ID` header wins).',
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
        let cursor = resumeFrom(request.headers['last-event-id'], request.query.lastEventId);
        cursor ??= await outbox.lastEventId();
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
        // Completion events: pulled past this stream's cursor, one pull at a time, so ids only go up.
        let pulling: Promise<void> = Promise.resolve();
        const pull = (): void => {
          pulling = pulling.then(async () => {
            for (;;) {
              const events = await outbox.eventsAfter(cursor as number, OUTBOX_PAGE).catch(() => []);
              for (const event of events) {
                cursor = event.id;
                if (only && !only.has(event.documentId)) continue;
                stream.send('completion', JSON.parse(deliveryBody(event)), String(event.id));
              }
              if (events.length < OUTBOX_PAGE) return;
            }
          });
        };
        pullers.add(pull);
        pull();
        if (polling === undefined) poll();
        await stream.closed;
        pullers.delete(pull);
        clearInterval(timer);
        unsubscribe();
        open.delete(stream);
      },
    );
  };
}
