import { AegisError, type Dependency, type ErrorCode, isAegisError, outageOf } from '@aegis/core';
import { createSecretMasker } from '@aegis/observability';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** HTTP status per error code; codes not listed are 500 (system) or 502 (provider) by category. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  PATH_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  DOCUMENT_NOT_FOUND: 404,
  CANCELLED: 409,
  REQUEST_TIMEOUT: 408,
  TOO_MANY_FILES: 400,
  DOCUMENT_AMBIGUOUS: 409,
  DOCUMENT_FINAL: 409,
  PAYLOAD_TOO_LARGE: 413,
  DOCUMENT_TOO_LARGE: 413,
  UNSUPPORTED_TYPE: 415,
  EMPTY_DOCUMENT: 422,
  PDF_ENCRYPTED: 422,
  PDF_INVALID: 422,
  NO_ROUTE: 422,
  RATE_LIMITED: 429,
  BUDGET_EXHAUSTED: 503,
  BUDGET_UNAVAILABLE: 503,
  NO_PROVIDER_AVAILABLE: 503,
  CIRCUIT_OPEN: 503,
  STORE_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  REDIS_UNAVAILABLE: 503,
  QUEUE_UNAVAILABLE: 503,
};

/** Seconds a client should wait before trying again after an outage answer (503 Retry-After). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** Where Postgres and Redis listen, to tell which one a bare `connect ECONNREFUSED host:port` is about. */
export interface DependencyPorts {
  database?: number | undefined;
  queue?: number | undefined;
}

/**
 * An error that says Postgres or Redis (or a store) is out of reach, as the AegisError the caller gets: 503 with
 * `DATABASE_UNAVAILABLE`, `QUEUE_UNAVAILABLE` or `STORE_UNAVAILABLE`. Undefined for anything else.
 */
export function outageError(error: unknown, ports: DependencyPorts = {}): AegisError | undefined {
  if (isAegisError(error)) return undefined;
  let dependency: Dependency | undefined = outageOf(error);
  if (dependency === 'network') {
    const port = (error as { port?: unknown }).port;
    dependency = port !== undefined && port === ports.queue ? 'queue' : 'database';
  }
  switch (dependency) {
    case 'database':
      return new AegisError('DATABASE_UNAVAILABLE', 'Postgres is unreachable; try again shortly.', {
        cause: error,
      });
    case 'queue':
      return new AegisError('QUEUE_UNAVAILABLE', 'Redis (the queues) is unreachable; try again shortly.', {
        cause: error,
      });
    case 'store':
    case 'blob':
      return new AegisError('STORE_UNAVAILABLE', 'A store is unreachable; try again shortly.', {
        cause: error,
      });
    default:
      return undefined;
  }
}

// Credential patterns in every error body; the configured secret values are masked in every payload by the
// app's onSend hook (`maskSecretValues`), which knows the config.
const errorMasker = createSecretMasker();

/** The one error body every route returns. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function statusOf(error: AegisError): number {
  return (
    STATUS_BY_CODE[error.code] ??
    (error.category === 'provider' ? 502 : error.category === 'user' ? 400 : 500)
  );
}

/** Fastify's own errors (bad JSON, wrong content type, body too large, schema validation) as AegisErrors. */
function fromFastifyError(error: FastifyError): AegisError | undefined {
  if (error.validation) {
    return new AegisError('VALIDATION_FAILED', error.message, {
      details: {
        issues: error.validation.map((issue) => ({
          path: issue.instancePath || issue.params?.missingProperty || '',
          message: issue.message,
        })),
        in: error.validationContext,
      },
    });
  }
  const status = error.statusCode;
  if (status === 413) return new AegisError('PAYLOAD_TOO_LARGE', error.message);
  if (status === 415) return new AegisError('UNSUPPORTED_TYPE', error.message);
  if (status === 404) return new AegisError('NOT_FOUND', error.message);
  if (status === 429) return new AegisError('RATE_LIMITED', error.message);
  if (status !== undefined && status >= 400 && status < 500)
    return new AegisError('VALIDATION_FAILED', error.message);
  return undefined;
}

/**
 * Postgres "data exception" (SQLSTATE class 22: invalid text representation, datetime out of range, NUL in
 * text, numeric overflow...): a value from the request that the database cannot take. The driver's message
 * may quote the value, so the caller gets a fixed text.
 */
function fromDataException(error: unknown): AegisError | undefined {
  if (!(error instanceof Error) || !('severity' in error) || !('code' in error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^22[0-9A-Z]{3}$/.test(code)) return undefined;
  return new AegisError('VALIDATION_FAILED', 'A value in the request is out of range or malformed.', {
    details: { sqlState: code },
  });
}

/** Maps any error to the status and JSON body; unknown errors become a generic 500 (details stay in the log). */
export function errorResponse(
  error: unknown,
  ports: DependencyPorts = {},
): { status: number; body: ErrorBody; known: boolean; retryAfterSeconds?: number } {
  const aegis = isAegisError(error)
    ? error
    : (outageError(error, ports) ??
      (error instanceof Error && 'statusCode' in error
        ? fromFastifyError(error as FastifyError)
        : fromDataException(error)));
  if (!aegis) {
    return {
      status: 500,
      known: false,
      body: { error: { code: 'INTERNAL', message: 'Internal error; the server log has the details.' } },
    };
  }
  const details = errorMasker.maskDeep({ ...aegis.details });
  const status = statusOf(aegis);
  return {
    status,
    ...(status === 503 && aegis.category === 'system'
      ? { retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS }
      : {}),
    known: true,
    body: {
      error: {
        code: aegis.code,
        message: errorMasker.excerpt(aegis.message),
        ...(Object.keys(details).length > 0 ? { details } : {}),
      },
    },
  };
}

/**
 * Fastify error handler: logs server faults, answers with `{ error: { code, message, details? } }`; an outage of
 * Postgres or Redis is a 503 with its code and Retry-After, never a 500.
 */
export function createErrorHandler(ports: DependencyPorts = {}) {
  return function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    // Already answered (a stalled body got its 408 from the timeout): the reader's failure is the aftermath.
    if (reply.sent) return;
    const { status, body, known, retryAfterSeconds } = errorResponse(error, ports);
    request.errorCode = body.error.code;
    if (retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(retryAfterSeconds));
      request.log.warn({ code: body.error.code, err: error }, 'request refused: a dependency is down');
    } else if (status >= 500) request.log.error({ err: error, code: body.error.code }, 'request failed');
    else if (!known) request.log.warn({ err: error }, 'request failed');
    void reply.status(status).send(body);
  };
}

export const handleError = createErrorHandler();

/** Answers with an error directly (from hooks, bypassing whichever error handler the route's context has). */
export function sendError(request: FastifyRequest, reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body, retryAfterSeconds } = errorResponse(error);
  request.errorCode = body.error.code;
  if (retryAfterSeconds !== undefined) void reply.header('retry-after', String(retryAfterSeconds));
  return reply.status(status).send(body);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The error code sent to the caller, for the audit log. */
    errorCode: string | undefined;
  }
}
