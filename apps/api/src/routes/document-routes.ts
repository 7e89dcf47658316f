import path from 'node:path';
import {
  AegisError,
  isStage,
  KNOWLEDGE_BASE_NAME,
  parseMetadata,
  STAGES,
  type Stage,
  VERSION_STATUSES,
  type VersionStatus,
  validateMetadata,
} from '@aegis/core';
import type { IngestSource } from '@aegis/queue';
import { getDocumentStatus, listDocuments } from '@aegis/stores';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiContext } from '../app-context.ts';
import { documentInScope, knowledgeBaseScope, writableBase } from '../auth/knowledge-base-scope.ts';
import { principalKey } from '../auth/principal.ts';
import {
  authErrors,
  documentIdParams,
  documentStatusSchema,
  errorResponses,
  registrationSchema,
  securityBoth,
} from '../http/schemas.ts';
import { receiveUpload } from '../uploads/receive-upload.ts';
import { openIngestPath } from '../uploads/resolve-ingest-path.ts';

interface PathBody {
  path: string;
  displayName?: string;
  knowledgeBase?: string;
  metadata?: unknown;
}

const versionParam = {
  type: 'integer',
  minimum: 1,
  maximum: 2_147_483_647,
  description: 'Document version (default: the latest).',
} as const;

/** Uploads name their source in their own namespace, apart from server paths and the watched folder. */
function clientSourceKey(raw: string | undefined): string | undefined {
  const trimmed = raw?.trim();
  if (!trimmed) return undefined;
  if (trimmed.length > 1000)
    throw new AegisError('VALIDATION_FAILED', 'sourceKey is at most 1000 characters.', {
      details: { maxLength: 1000 },
    });
  return `client:${trimmed}`;
}

/**
 * /v1/documents: register (upload or server path), list, status, retry, cancel, delete. The routes the web UI's
 * script calls also take the browser session (mutations with its CSRF token, see the auth hook).
 */
export function documentRoutes(context: ApiContext) {
  const { runtime, config } = context;
  const { producer } = runtime;

  /**
   * Registers from a file (never read whole into memory: the producer streams it into the blob store, sniffing
   * its type on the way, so an unsupported file is refused with 415 and leaves no trace). Returns the reply
   * instead of sending it, so callers clean up before answering.
   */
  async function ingest(
    request: FastifyRequest,
    input: IngestSource & {
      displayName: string;
      mimeType?: string | undefined;
      sourceKey?: string | undefined;
      knowledgeBase?: string | undefined;
      metadata?: unknown;
    },
  ): Promise<{ status: 200 | 202; body: Record<string, unknown> }> {
    const knowledgeBase = writableBase(request, input.knowledgeBase);
    const metadata = validateMetadata(input.metadata);
    const registration = await producer.ingest({
      ...input,
      createdBy: principalKey(request.principal)?.name,
      knowledgeBase,
      metadata,
    });
    request.auditTarget = registration.documentId;
    return { status: registration.created ? 202 : 200, body: { ...registration } };
  }

  async function latestVersion(request: FastifyRequest, documentId: string): Promise<number> {
    await documentInScope(request, runtime.pool, documentId);
    const status = await getDocumentStatus(runtime.pool, documentId);
    if (!status || status.latestVersion < 1)
      throw new AegisError('DOCUMENT_NOT_FOUND', `Document ${documentId} does not exist.`);
    return status.latestVersion;
  }

  return async function plugin(app: FastifyInstance): Promise<void> {
    app.post(
      '/v1/documents',
      {
        config: { access: 'ingest', action: 'document.ingest', session: true },
        // Multipart bodies are streamed by the handler, never parsed: the validator sees an empty object, so the
        // documented multipart schema (for OpenAPI) passes, and nothing is buffered.
        preValidation: async (request) => {
          if (request.isMultipart()) request.body = {};
        },
        schema: {
          tags: ['documents'],
          summary: 'Register a document: a multipart upload (one file part) or a JSON server path',
          description:
            'Multipart: the file is streamed to a temp file while its sha256 is computed, cut off at UPLOAD_MAX_BYTES (413), and its type is sniffed from the bytes (415). JSON `{ path }`: the real path (symlinks and `..` resolved) must be inside INGEST_PATH_ROOTS (403 otherwise); a changed file at the same path becomes a new version. The same bytes again return the existing version with 200 and do no work.',
          security: securityBoth,
          consumes: ['multipart/form-data', 'application/json'],
          body: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    path: {
                      type: 'string',
                      minLength: 1,
                      maxLength: 4096,
                      description: 'Absolute server path.',
                    },
                    displayName: { type: 'string', minLength: 1, maxLength: 500 },
                    knowledgeBase: {
                      type: 'string',
                      pattern: KNOWLEDGE_BASE_NAME.source,
                      description:
                        "Knowledge base (created when new). Default `default`, or the key's only base.",
                    },
                    metadata: {
                      type: 'object',
                      description:
                        'User metadata (JSON object, at most 8 KiB, 4 levels), stored on every chunk.',
                    },
                  },
                  required: ['path'],
                  additionalProperties: false,
                },
              },
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  description:
                    'One file part (any field name), optional `sourceKey`, `knowledgeBase` and `metadata` (JSON text) fields.',
                  properties: {
                    file: { type: 'string', format: 'binary' },
                    sourceKey: {
                      type: 'string',
                      maxLength: 1000,
                      description:
                        "The file's stable name on the client (e.g. its path): changed bytes sent again with the same sourceKey become a new version of the same document. Without it, every distinct content is its own document.",
                    },
                    knowledgeBase: { type: 'string' },
                    metadata: { type: 'string', description: 'A JSON object.' },
                  },
                },
              },
            },
          },
          response: {
            200: { ...registrationSchema, description: 'Already registered: nothing new to do.' },
            202: { ...registrationSchema, description: 'Registered and queued.' },
            ...authErrors,
            ...errorResponses({
              400: 'VALIDATION_FAILED',
              403: 'PATH_NOT_ALLOWED (or FORBIDDEN)',
              404: 'NOT_FOUND: no such file inside a root',
              413: 'PAYLOAD_TOO_LARGE',
              415: 'UNSUPPORTED_TYPE',
            }),
          },
        },
      },
      async (request, reply) => {
        if (request.isMultipart()) {
          const upload = await receiveUpload(request, {
            maxBytes: config.api.uploadMaxBytes,
            tempDir: context.uploadTempDir,
          });
          let result: Awaited<ReturnType<typeof ingest>>;
          try {
            result = await ingest(request, {
              path: upload.tempPath,
              displayName: upload.filename,
              mimeType: upload.mimeType,
              sourceKey: clientSourceKey(upload.fields.sourceKey),
              knowledgeBase: upload.fields.knowledgeBase || undefined,
              metadata: parseMetadata(upload.fields.metadata),
            });
          } finally {
            // Before answering: once the client has its answer, the temp file is already gone.
            await upload.discard();
          }
          return reply.status(result.status).send(result.body);
        }
        const body = request.body as PathBody | undefined;
        if (!body?.path)
          throw new AegisError(
            'VALIDATION_FAILED',
            'Send a multipart file, or JSON { "path": "/absolute/path" }.',
          );
        request.auditTarget = body.path;
        const { realPath, handle } = await openIngestPath(body.path, context.ingestRoots);
        let result: Awaited<ReturnType<typeof ingest>>;
        try {
          const { size } = await handle.stat();
          if (size > config.api.uploadMaxBytes)
            throw new AegisError(
              'PAYLOAD_TOO_LARGE',
              `The file is larger than ${config.api.uploadMaxBytes} bytes.`,
            );
          // Read through the descriptor that was checked, never reopened by path.
          result = await ingest(request, {
            handle,
            displayName: body.displayName ?? path.basename(realPath),
            sourceKey: realPath,
            knowledgeBase: body.knowledgeBase,
            metadata: body.metadata,
          });
        } finally {
          await handle.close();
        }
        return reply.status(result.status).send(result.body);
      },
    );

    app.get<{ Querystring: { status?: VersionStatus; q?: string; limit?: number; cursor?: string } }>(
      '/v1/documents',
      {
        config: { access: 'read' },
        schema: {
          tags: ['documents'],
          summary: 'List documents, newest first (cursor pagination)',
          security: securityBoth,
          querystring: {
            type: 'object',
            properties: {
              status: {
                type: 'string',
                enum: [...VERSION_STATUSES],
                description: 'Status of the latest version.',
              },
              q: { type: 'string', maxLength: 200, description: 'Substring of the display name.' },
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
              cursor: { type: 'string', maxLength: 500, description: 'nextCursor of the previous page.' },
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: {
                documents: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      documentId: { type: 'string' },
                      displayName: { type: 'string' },
                      sourceKey: { type: 'string' },
                      latestVersion: { type: 'integer' },
                      activeVersion: { type: ['integer', 'null'] },
                      status: { type: ['string', 'null'] },
                      createdAt: { type: 'string', format: 'date-time' },
                      updatedAt: { type: 'string', format: 'date-time' },
                    },
                    required: [
                      'documentId',
                      'displayName',
                      'sourceKey',
                      'latestVersion',
                      'activeVersion',
                      'status',
                      'createdAt',
                      'updatedAt',
                    ],
                  },
                },
                nextCursor: { type: ['string', 'null'] },
              },
              required: ['documents', 'nextCursor'],
            },
            ...authErrors,
            ...errorResponses({ 400: 'VALIDATION_FAILED' }),
          },
        },
      },
      async (request) =>
        listDocuments(runtime.pool, {
          ...request.query,
          knowledgeBases: knowledgeBaseScope(request.principal),
        }),
    );

    app.get<{ Params: { id: string } }>(
      '/v1/documents/:id',
      {
        config: { access: 'read', session: true },
        schema: {
          tags: ['documents'],
          summary: "A document's status, per-stage progress, warnings and cost",
          security: securityBoth,
          params: documentIdParams,
          response: {
            200: documentStatusSchema,
            ...authErrors,
            ...errorResponses({ 404: 'DOCUMENT_NOT_FOUND' }),
          },
        },
      },
      async (request) => {
        await documentInScope(request, runtime.pool, request.params.id);
        const status = await getDocumentStatus(runtime.pool, request.params.id);
        if (!status)
          throw new AegisError('DOCUMENT_NOT_FOUND', `Document ${request.params.id} does not exist.`);
        return status;
      },
    );

    app.post<{ Params: { id: string }; Querystring: { stage?: Stage; version?: number } }>(
      '/v1/documents/:id/retry',
      {
        config: { access: 'ingest', action: 'document.retry', session: true },
        schema: {
          tags: ['documents'],
          summary: 'Re-run a stage of a version (default the latest) and the stages after it',
          description:
            'Without `stage`, retries the first failed stage. Earlier stages are reused, not re-run.',
          security: securityBoth,
          params: documentIdParams,
          querystring: {
            type: 'object',
            properties: { stage: { type: 'string', enum: [...STAGES] }, version: versionParam },
            additionalProperties: false,
          },
          response: {
            202: {
              type: 'object',
              properties: {
                documentId: { type: 'string' },
                version: { type: 'integer' },
                stage: { type: 'string' },
                run: { type: 'integer' },
              },
              required: ['documentId', 'version', 'stage', 'run'],
            },
            ...authErrors,
            ...errorResponses({ 400: 'VALIDATION_FAILED', 404: 'DOCUMENT_NOT_FOUND' }),
          },
        },
      },
      async (request, reply) => {
        const documentId = request.params.id;
        await documentInScope(request, runtime.pool, documentId);
        const version = request.query.version ?? (await latestVersion(request, documentId));
        let stage = request.query.stage;
        if (stage === undefined) {
          const runs = await runtime.pipeline.repository.stageRuns(documentId, version);
          stage = STAGES.find((name) => runs.find((run) => run.stage === name)?.status === 'failed');
          if (stage === undefined)
            throw new AegisError(
              'VALIDATION_FAILED',
              `No stage of version ${version} failed; name one with ?stage=.`,
            );
        }
        if (!isStage(stage)) throw new AegisError('VALIDATION_FAILED', `unknown stage ${stage}`);
        const { run } = await producer.retry(documentId, version, stage);
        return reply.status(202).send({ documentId, version, stage, run });
      },
    );

    app.post<{ Params: { id: string }; Querystring: { version?: number } }>(
      '/v1/documents/:id/cancel',
      {
        config: { access: 'ingest', action: 'document.cancel', session: true },
        schema: {
          tags: ['documents'],
          summary: 'Cancel a version, default the latest (stops within one batch and removes what it wrote)',
          security: securityBoth,
          params: documentIdParams,
          querystring: {
            type: 'object',
            properties: { version: versionParam },
            additionalProperties: false,
          },
          response: {
            202: {
              type: 'object',
              properties: { documentId: { type: 'string' }, version: { type: 'integer' } },
              required: ['documentId', 'version'],
            },
            ...authErrors,
            ...errorResponses({
              404: 'DOCUMENT_NOT_FOUND',
              409: 'DOCUMENT_FINAL: the version already ended',
            }),
          },
        },
      },
      async (request, reply) => {
        const documentId = request.params.id;
        await documentInScope(request, runtime.pool, documentId);
        const version = request.query.version ?? (await latestVersion(request, documentId));
        await producer.cancel(documentId, version);
        return reply.status(202).send({ documentId, version });
      },
    );

    app.delete<{ Params: { id: string } }>(
      '/v1/documents/:id',
      {
        config: { access: 'admin', action: 'document.delete', session: true },
        schema: {
          tags: ['documents'],
          summary: 'Delete a document from every store (vectors, graph, registry, blobs)',
          security: securityBoth,
          params: documentIdParams,
          response: {
            204: { type: 'null', description: 'Deleted.' },
            ...authErrors,
            ...errorResponses({ 404: 'DOCUMENT_NOT_FOUND' }),
          },
        },
      },
      async (request, reply) => {
        await documentInScope(request, runtime.pool, request.params.id);
        await producer.delete(request.params.id);
        return reply.status(204).send();
      },
    );
  };
}
