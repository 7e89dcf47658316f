/**
 * JSON schemas shared by the routes. Fastify validates requests with them (ajv) and @fastify/swagger turns
 * them into the OpenAPI document at /docs; response schemas also make serialisation drop unknown fields.
 */

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  description: 'Every error: a stable code to branch on, a message for people, and non-secret details.',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', examples: ['UNAUTHENTICATED'] },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

const errorRef = { $ref: 'Error#' } as const;

/** Error responses every authenticated route can give. */
export const authErrors = {
  401: { ...errorRef, description: 'UNAUTHENTICATED: no key, or an invalid or revoked one.' },
  403: { ...errorRef, description: 'FORBIDDEN: the key lacks the role this route needs.' },
  429: { ...errorRef, description: 'RATE_LIMITED: too many requests for this key; see Retry-After.' },
} as const;

export const errorResponses = (codes: Record<number, string>) =>
  Object.fromEntries(
    Object.entries(codes).map(([status, description]) => [status, { ...errorRef, description }]),
  );

export const documentIdParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['id'],
} as const;

export const registrationSchema = {
  type: 'object',
  properties: {
    documentId: { type: 'string' },
    version: { type: 'integer' },
    created: {
      type: 'boolean',
      description: 'False when these bytes were already registered (no new work).',
    },
    status: { type: 'string' },
    kind: {
      type: 'string',
      description: 'Detected from the bytes: pdf, docx, text, markdown, html or image.',
    },
  },
  required: ['documentId', 'version', 'created', 'status'],
} as const;

/** Either credential works: `Authorization: Bearer <key>` or `x-api-key`. */
export const securityBoth: Array<Record<string, string[]>> = [{ bearerAuth: [] }, { apiKeyHeader: [] }];

const stageSchema = {
  type: 'object',
  properties: {
    stage: { type: 'string' },
    status: { type: 'string' },
    itemsDone: { type: 'integer' },
    itemsTotal: { type: ['integer', 'null'] },
    attempts: { type: 'integer' },
    durationMs: { type: ['integer', 'null'] },
    errorCode: { type: ['string', 'null'] },
    errorMessage: { type: ['string', 'null'] },
  },
  required: [
    'stage',
    'status',
    'itemsDone',
    'itemsTotal',
    'attempts',
    'durationMs',
    'errorCode',
    'errorMessage',
  ],
} as const;

export const documentStatusSchema = {
  type: 'object',
  properties: {
    documentId: { type: 'string' },
    displayName: { type: 'string' },
    sourceKey: { type: 'string' },
    activeVersion: { type: ['integer', 'null'] },
    latestVersion: { type: 'integer' },
    costUsd: { type: 'string', description: 'Exact decimal USD over all versions.' },
    versions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          version: { type: 'integer' },
          status: { type: 'string' },
          progress: { type: 'number', minimum: 0, maximum: 1 },
          errorCode: { type: ['string', 'null'] },
          errorMessage: { type: ['string', 'null'] },
          warnings: { type: 'array', items: { type: 'string' } },
          missing: {
            type: 'object',
            description:
              'What the version left out (the reason for completed_with_warnings); a retry of enrich-images or graph fills it in.',
            properties: {
              imagesNotDescribed: { type: 'integer' },
              chunksWithoutGraph: { type: 'integer' },
            },
          },
          pageCount: { type: ['integer', 'null'] },
          stages: { type: 'array', items: stageSchema },
        },
        required: [
          'version',
          'status',
          'progress',
          'errorCode',
          'errorMessage',
          'warnings',
          'pageCount',
          'stages',
        ],
      },
    },
  },
  required: [
    'documentId',
    'displayName',
    'sourceKey',
    'activeVersion',
    'latestVersion',
    'costUsd',
    'versions',
  ],
} as const;
