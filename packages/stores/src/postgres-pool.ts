import pg from 'pg';

export interface PostgresPoolOptions {
  url: string;
  /** Maximum connections of this process. Default 10. */
  max?: number | undefined;
  /** Shows in `pg_stat_activity`, so operators can tell api, worker and cli connections apart. */
  applicationName?: string | undefined;
  /** Waiting for a new connection, in ms. Default 5000. */
  connectionTimeoutMs?: number | undefined;
  /** Told about errors of idle connections (server restart, network cut). */
  onIdleError?: ((error: Error) => void) | undefined;
}

/**
 * The one way processes open a Postgres pool. An idle client whose connection dies emits `error` on the
 * pool; without a listener Node would crash the process, so one is always attached (the pool replaces
 * the client on next use).
 */
export function createPostgresPool(options: PostgresPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}
