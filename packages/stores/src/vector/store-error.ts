import { AegisError, isAegisError } from '@aegis/core';

/**
 * Maps a Postgres (node-postgres) failure of a lite store to an AegisError. Data and constraint errors
 * (SQLSTATE classes 22 and 23) mean the caller sent something the schema refuses: retrying cannot help.
 * Everything else (connection refused, server shutting down, timeouts) is `STORE_UNAVAILABLE`, which the
 * worker retries with backoff. AegisErrors pass through unchanged.
 */
export function toStoreError(error: unknown, store: string, operation: string): AegisError {
  if (isAegisError(error)) return error;
  const sqlState = sqlStateOf(error);
  const message = error instanceof Error ? error.message : String(error);
  if (sqlState !== undefined && (sqlState.startsWith('22') || sqlState.startsWith('23'))) {
    return new AegisError('VALIDATION_FAILED', `${store} ${operation} refused: ${message}`, {
      cause: error,
      details: { store, operation, sqlState },
    });
  }
  return new AegisError('STORE_UNAVAILABLE', `${store} ${operation} failed: ${message}`, {
    cause: error,
    details: { store, operation, ...(sqlState === undefined ? {} : { sqlState }) },
  });
}

function sqlStateOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  // node-postgres puts the 5-character SQLSTATE in `code`; Node's socket errors use names like ECONNREFUSED.
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}
