import { AegisError, COMPLETION_EVENT_TYPES, KNOWLEDGE_BASE_NAME } from '@aegis/core';
import { assertWebhookUrl, deliveryJobId } from '@aegis/queue';
import type { DeliveryRecord, WebhookRecord } from '@aegis/stores';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { authErrors, errorResponses, securityBoth } from '../http/schemas.ts';

const webhookSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    knowledgeBase: { type: ['string', 'null'], description: 'null: every knowledge base.' },
    eventTypes: { type: 'array', items: { type: 'string' }, description: 'Empty: every type.' },
    description: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'url', 'knowledgeBase', 'eventTypes', 'description', 'createdAt'],
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: '`<event id>-<webhook id>`' },
    eventId: { type: 'integer' },
    eventType: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed'] },
    attempts: { type: 'integer' },
    replays: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    log: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          attempt: { type: 'integer' },
          replay: { type: 'integer' },
          outcome: { type: 'string', enum: ['succeeded', 'failed', 'duplicate'] },
          responseCode: { type: ['integer', 'null'] },
          durationMs: { type: 'integer' },
          error: { type: ['string', 'null'] },
          at: { type: 'string', format: 'date-time' },
        },
        required: ['attempt', 'replay', 'outcome', 'responseCode', 'durationMs', 'error', 'at'],
      },
    },
  },
  required: ['id', 'eventId', 'eventType', 'status', 'attempts', 'replays', 'createdAt', 'updatedAt', 'log'],
} as const;

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
  required: ['id'],
} as const;

function webhookView(record: WebhookRecord) {
  return { ...record, createdAt: record.createdAt.toISOString() };
}

function deliveryView(record: DeliveryRecord) {
  return {
    id: `${record.eventId}-${record.webhookId}`,
    eventId: record.eventId,
    eventType: record.eventType,
    status: record.status,
    attempts: record.attempts,
    replays: record.replays,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    log: record.log.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
  };
}

/**
 * /v1/webhooks: completion-event webhooks (ADR 018). Admin keys only; a key scoped to knowledge bases sees and
 * manages the webhooks of its bases only (another base's webhook answers 404, like a missing one), and only an
 * unscoped key manages global webhooks (every base's events).
 */
export function webhookRoutes(context: ApiContext) {
  const { runtime, config } = context;
  const { store, queue } = runtime.webhooks;

  const visible = async (request: FastifyRequest, id: string): Promise<WebhookRecord> => {
    const found = await store.get(id, knowledgeBaseScope(request.principal));
    if (!found) throw new AegisError('NOT_FOUND', `No webhook ${id}.`);
    request.auditTarget = found.id;
    if (found.knowledgeBase !== null) request.auditKnowledgeBase = found.knowledgeBase;
    return found;
  };

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get(
      '/v1/webhooks',
      {
        config: { access: 'admin', action: 'webhook.list' },
        schema: {
          tags: ['webhooks'],
          summary: 'List webhooks (never their secrets)',
          security: securityBoth,
          response: {
            200: {
              type: 'object',
              properties: { webhooks: { type: 'array', items: webhookSchema } },
              required: ['webhooks'],
            },
            ...authErrors,
          },
        },
      },
      async (request) => ({
        webhooks: (await store.list(knowledgeBaseScope(request.principal))).map(webhookView),
      }),
    );

    app.post<{
      Body: { url: string; knowledgeBase?: string; eventTypes?: string[]; description?: string };
    }>(
      '/v1/webhooks',
      {
        config: { access: 'admin', action: 'webhook.create' },
        schema: {
          tags: ['webhooks'],
          summary: 'Add a webhook; its signing `secret` is in this response only',
          description:
            'Deliveries are POSTs of `{id, type, createdAt, data}` signed with `x-aegis-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "t.body")>`, with `idempotency-key: <event id>`. Loopback and private addresses are refused unless WEBHOOK_ALLOW_PRIVATE_URLS=true.',
          security: securityBoth,
          body: {
            type: 'object',
            properties: {
              url: { type: 'string', minLength: 1, maxLength: 2000 },
              knowledgeBase: {
                type: 'string',
                pattern: KNOWLEDGE_BASE_NAME.source,
                description: "Only this base's events; omit for every base (unscoped keys only).",
              },
              eventTypes: {
                type: 'array',
                uniqueItems: true,
                maxItems: COMPLETION_EVENT_TYPES.length,
                items: { type: 'string', enum: [...COMPLETION_EVENT_TYPES] },
                description: 'Only these types; omit for all.',
              },
              description: { type: 'string', maxLength: 500 },
            },
            required: ['url'],
            additionalProperties: false,
          },
          response: {
            201: {
              type: 'object',
              properties: { secret: { type: 'string' }, ...webhookSchema.properties },
              required: ['secret', ...webhookSchema.required],
            },
            ...authErrors,
            ...errorResponses({ 400: 'VALIDATION_FAILED (bad URL, private address, unknown type)' }),
          },
        },
      },
      async (request, reply) => {
        const scope = knowledgeBaseScope(request.principal);
        const base = request.body.knowledgeBase ?? (scope?.length === 1 ? scope[0] : undefined) ?? null;
        if (scope !== undefined && (base === null || !scope.includes(base)))
          throw new AegisError(
            'FORBIDDEN',
            base === null
              ? 'A key scoped to knowledge bases must name one of its bases for a webhook.'
              : `This key may not add webhooks to knowledge base "${base}".`,
            { details: { knowledgeBase: base } },
          );
        if (base !== null) request.auditKnowledgeBase = base;
        const url = await assertWebhookUrl(request.body.url, config.webhooks.allowPrivateUrls);
        const { webhook, secret } = await store.create({
          url: url.toString(),
          knowledgeBase: base,
          eventTypes: request.body.eventTypes,
          description: request.body.description,
        });
        request.auditTarget = webhook.id;
        return reply.status(201).send({ secret, ...webhookView(webhook) });
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/v1/webhooks/:id',
      {
        config: { access: 'admin', action: 'webhook.remove' },
        schema: {
          tags: ['webhooks'],
          summary: 'Remove a webhook (its pending deliveries stop; its log goes with it)',
          security: securityBoth,
          params: idParams,
          response: {
            204: { type: 'null', description: 'Removed.' },
            ...authErrors,
            ...errorResponses({ 404: 'NOT_FOUND' }),
          },
        },
      },
      async (request, reply) => {
        const found = await visible(request, request.params.id);
        await store.remove(found.id);
        return reply.status(204).send();
      },
    );

    app.get<{ Params: { id: string }; Querystring: { limit?: number; eventId?: number } }>(
      '/v1/webhooks/:id/deliveries',
      {
        config: { access: 'admin', action: 'webhook.deliveries' },
        schema: {
          tags: ['webhooks'],
          summary: 'The delivery log of a webhook, newest event first, every attempt included',
          security: securityBoth,
          params: idParams,
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
              eventId: { type: 'integer', minimum: 1 },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { deliveries: { type: 'array', items: deliverySchema } },
              required: ['deliveries'],
            },
            ...authErrors,
            ...errorResponses({ 404: 'NOT_FOUND' }),
          },
        },
      },
      async (request) => {
        const found = await visible(request, request.params.id);
        const deliveries = await store.deliveries(found.id, {
          limit: request.query.limit ?? 100,
          ...(request.query.eventId === undefined ? {} : { eventId: request.query.eventId }),
        });
        return { deliveries: deliveries.map(deliveryView) };
      },
    );

    app.post<{
      Params: { id: string };
      Body: { eventId?: number; deliveryId?: string; fromEventId?: number; limit?: number } | undefined;
    }>(
      '/v1/webhooks/:id/replay',
      {
        config: { access: 'admin', action: 'webhook.replay' },
        schema: {
          tags: ['webhooks'],
          summary: 'Deliver events to a webhook again (a new round of attempts)',
          description:
            'One event (`eventId`, or `deliveryId` as listed by the deliveries route) or every matching event from `fromEventId` on (at most `limit`, default 100). Receivers dedupe by the `idempotency-key` header.',
          security: securityBoth,
          params: idParams,
          body: {
            type: 'object',
            properties: {
              eventId: { type: 'integer', minimum: 1 },
              deliveryId: { type: 'string', pattern: '^[0-9]+-', maxLength: 200 },
              fromEventId: { type: 'integer', minimum: 1 },
              limit: { type: 'integer', minimum: 1, maximum: 1000 },
            },
            additionalProperties: false,
          },
          response: {
            202: {
              type: 'object',
              properties: { deliveries: { type: 'array', items: { type: 'string' } } },
              required: ['deliveries'],
              description: 'Job ids of the deliveries queued.',
            },
            ...authErrors,
            ...errorResponses({
              400: 'VALIDATION_FAILED: name exactly one of eventId, deliveryId, fromEventId',
              404: 'NOT_FOUND',
              503: 'QUEUE_UNAVAILABLE',
            }),
          },
        },
      },
      async (request, reply) => {
        const found = await visible(request, request.params.id);
        const body = request.body ?? {};
        const fromDelivery =
          body.deliveryId === undefined ? undefined : Number(body.deliveryId.split('-')[0]);
        const named = [body.eventId, fromDelivery, body.fromEventId].filter((value) => value !== undefined);
        if (named.length !== 1)
          throw new AegisError(
            'VALIDATION_FAILED',
            'Name exactly one of eventId, deliveryId or fromEventId.',
          );
        // The queue lives in Redis: with it down the request would wait for its reconnects.
        if (runtime.redis.status !== 'ready')
          throw new AegisError('QUEUE_UNAVAILABLE', 'Redis (the queues) is unreachable; try again shortly.');
        const eventId = body.eventId ?? fromDelivery;
        const keys = await store.replay(
          found.id,
          eventId !== undefined
            ? { eventId }
            : { fromEventId: body.fromEventId as number, limit: body.limit ?? 100 },
        );
        if (keys.length === 0 && eventId !== undefined)
          throw new AegisError(
            'NOT_FOUND',
            `Event ${eventId} does not exist or is not one this webhook receives.`,
          );
        await queue.enqueue(keys);
        return reply.status(202).send({ deliveries: keys.map(deliveryJobId) });
      },
    );
  };
}
