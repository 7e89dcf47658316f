import { resolveDocument } from '@aegis/stores';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { knowledgeBaseScope } from '../auth/knowledge-base-scope.ts';
import { authErrors, errorResponses, securityBoth } from '../http/schemas.ts';

/** GET /v1/documents/resolve: which document a person means by an id prefix or a file name. */
export function documentLookupRoutes(context: ApiContext) {
  const { runtime } = context;
  return async function plugin(app: FastifyInstance): Promise<void> {
    app.get<{ Querystring: { ref: string } }>(
      '/v1/documents/resolve',
      {
        config: { access: 'read' },
        schema: {
          tags: ['documents'],
          summary: 'Find a document by id, unique id prefix (4+ characters), file name or source path',
          description:
            'Clients use it to let people name documents the way they remember them. Several matches answer 409 DOCUMENT_AMBIGUOUS with `details.candidates`.',
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: { ref: { type: 'string', minLength: 1, maxLength: 4096 } },
            required: ['ref'],
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                documentId: { type: 'string' },
                displayName: { type: 'string' },
                sourceKey: { type: 'string' },
              },
              required: ['documentId', 'displayName', 'sourceKey'],
            },
            ...authErrors,
            ...errorResponses({
              400: 'VALIDATION_FAILED',
              404: 'DOCUMENT_NOT_FOUND',
              409: 'DOCUMENT_AMBIGUOUS (details.candidates)',
            }),
          },
        },
      },
      // A key scoped to knowledge bases resolves (and is told about candidates) within them only.
      async (request) =>
        resolveDocument(runtime.pool, request.query.ref, knowledgeBaseScope(request.principal)),
    );
  };
}
