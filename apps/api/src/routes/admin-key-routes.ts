import { AegisError, KNOWLEDGE_BASE_NAME } from '@aegis/core';
import { API_KEY_ROLES, type ApiKeyRecord, type ApiKeyRole } from '@aegis/stores';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { authErrors, errorResponses, securityBoth } from '../http/schemas.ts';

const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    roles: { type: 'array', items: { type: 'string', enum: [...API_KEY_ROLES] } },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    knowledgeBases: { type: ['array', 'null'], items: { type: 'string' } },
  },
  required: ['id', 'name', 'roles', 'createdAt', 'lastUsedAt', 'revokedAt'],
} as const;

function keyView(record: ApiKeyRecord) {
  return {
    id: record.id,
    name: record.name,
    roles: record.roles,
    createdAt: record.createdAt.toISOString(),
    lastUsedAt: record.lastUsedAt?.toISOString() ?? null,
    revokedAt: record.revokedAt?.toISOString() ?? null,
    knowledgeBases: record.knowledgeBases ?? null,
  };
}

/** /admin/keys (list, create, revoke) and /admin/audit (read the audit log). Admin only, all audited. */
export function adminKeyRoutes(context: ApiContext) {
  const { apiKeys, auditLog } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get(
      '/admin/keys',
      {
        config: { access: 'admin', session: true, action: 'key.list', global: true },
        schema: {
          tags: ['admin'],
          summary: 'List API keys (never their secrets)',
          security: securityBoth,
          response: {
            200: {
              type: 'object',
              properties: { keys: { type: 'array', items: keySchema } },
              required: ['keys'],
            },
            ...authErrors,
          },
        },
      },
      async () => ({ keys: (await apiKeys.list()).map(keyView) }),
    );

    app.post<{ Body: { name: string; roles: ApiKeyRole[]; knowledgeBases?: string[] } }>(
      '/admin/keys',
      {
        config: { access: 'admin', session: true, action: 'key.create', global: true },
        schema: {
          tags: ['admin'],
          summary: 'Create an API key; the plaintext `key` is in this response only',
          security: securityBoth,
          body: {
            type: 'object',
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              roles: {
                type: 'array',
                minItems: 1,
                uniqueItems: true,
                items: { type: 'string', enum: [...API_KEY_ROLES] },
              },
              knowledgeBases: {
                type: 'array',
                minItems: 1,
                maxItems: 100,
                uniqueItems: true,
                items: { type: 'string', pattern: KNOWLEDGE_BASE_NAME.source },
                description: 'Scope the key to these knowledge bases; omit for every base.',
              },
            },
            required: ['name', 'roles'],
            additionalProperties: false,
          },
          response: {
            201: {
              type: 'object',
              properties: { key: { type: 'string' }, ...keySchema.properties },
              required: ['key', ...keySchema.required],
            },
            ...authErrors,
            ...errorResponses({ 400: 'VALIDATION_FAILED' }),
          },
        },
      },
      async (request, reply) => {
        const { key, record } = await apiKeys.create(request.body.name, request.body.roles, {
          knowledgeBases: request.body.knowledgeBases,
        });
        request.auditTarget = record.id;
        return reply.status(201).send({ key, ...keyView(record) });
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/admin/keys/:id',
      {
        config: { access: 'admin', session: true, action: 'key.revoke', global: true },
        schema: {
          tags: ['admin'],
          summary: 'Revoke an API key (its sessions end at once)',
          security: securityBoth,
          params: { type: 'object', properties: { id: { type: 'string', maxLength: 50 } }, required: ['id'] },
          response: {
            204: { type: 'null', description: 'Revoked.' },
            ...authErrors,
            ...errorResponses({ 404: 'NOT_FOUND: no active key with that id' }),
          },
        },
      },
      async (request, reply) => {
        if (!(await apiKeys.revoke(request.params.id)))
          throw new AegisError('NOT_FOUND', `No active key ${request.params.id}.`);
        return reply.status(204).send();
      },
    );

    app.get<{ Querystring: { limit?: number; beforeId?: string; keyId?: string } }>(
      '/admin/audit',
      {
        config: { access: 'admin', session: true, action: 'audit.read' },
        schema: {
          tags: ['admin'],
          summary: 'The audit log, newest first',
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: {
              limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
              beforeId: {
                type: 'string',
                pattern: '^[0-9]{1,19}$',
                description: 'Last id of the previous page.',
              },
              keyId: { type: 'string', maxLength: 50 },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                entries: { type: 'array', items: { type: 'object', additionalProperties: true } },
              },
            },
            ...authErrors,
          },
        },
      },
      async (request) => ({
        // A key scoped to knowledge bases reads only the rows about them.
        entries: await auditLog.list({
          ...request.query,
          knowledgeBases: knowledgeBaseScope(request.principal),
        }),
      }),
    );
  };
}
