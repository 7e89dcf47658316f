import { isAegisError } from './errors.ts';

/**
 * The infrastructure an error says is out of reach: Postgres (`database`), Redis (`queue`), the vector or
 * graph store (`store`), the blob folder (`blob`), or a connection failure whose server the error does not
 * name (`network`).
 */
export type Dependency = 'database' | 'queue' | 'store' | 'blob' | 'network';

/** Node's socket error codes for a server that is down or unreachable. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNABORTED',
]);

/** node-postgres says so in words when a connection dies or cannot be made. */
const POSTGRES_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable|the database system is (starting up|shutting down|in recovery mode)|terminating connection due to administrator command/i;

/** ioredis, when Redis is gone and a command cannot be sent or was given up. */
const REDIS_MESSAGES =
  /Connection is closed|Stream isn't writeable|Reached the max retries per request|enableOfflineQueue options is false/i;

/** Blob-folder failures that are the folder's (disk, mount, permissions), not a document's. */
const FILE_SYSTEM_CODES = new Set([
  'EIO',
  'ENOSPC',
  'EROFS',
  'EACCES',
  'EPERM',
  'ESTALE',
  'ENOTCONN',
  'EMFILE',
]);

/**
 * Which dependency `error` says is down, or undefined when it is no outage (a bug, a bad document, a provider
 * refusal). Workers wait out an outage without consuming the document's attempts; the API answers 503 with the
 * dependency's code. AegisErrors decide by their code only: a provider's ECONNREFUSED is the provider's, not ours.
 */
export function outageOf(error: unknown, depth = 0): Dependency | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  if (isAegisError(error)) {
    switch (error.code) {
      case 'DATABASE_UNAVAILABLE':
      case 'BUDGET_UNAVAILABLE':
        return 'database';
      case 'REDIS_UNAVAILABLE':
      case 'QUEUE_UNAVAILABLE':
        return 'queue';
      case 'STORE_UNAVAILABLE':
        return error.details.store === 'blob' ? 'blob' : 'store';
      default:
        return undefined;
    }
  }
  const { code, message, name } = error as { code?: unknown; message?: unknown; name?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string') {
    // SQLSTATE 08xxx connection exceptions, 57P0x shutdowns, 53300 too many connections.
    if (/^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/.test(code)) return 'database';
  }
  if (POSTGRES_MESSAGES.test(text)) return 'database';
  if (name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.test(text)) return 'queue';
  if (typeof code === 'string' && SOCKET_CODES.has(code)) return 'network';
  if (typeof code === 'string' && FILE_SYSTEM_CODES.has(code)) return 'blob';
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const found = outageOf(inner, depth + 1);
      if (found) return found;
    }
  }
  return outageOf((error as { cause?: unknown }).cause, depth + 1);
}
