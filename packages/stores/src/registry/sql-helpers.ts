import type pg from 'pg';

/** Orders stage_runs rows in pipeline order. */
export const STAGE_ORDER_SQL =
  "array_position(ARRAY['memory-check', 'extract', 'enrich-images', 'chunk', 'embed', 'graph'], stage)";

/** Runs `work` in one transaction on one pooled client; rolls back on any error. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no error listener (pg-pool removes its own): a connection that dies between two
  // statements would emit an unhandled 'error' and kill the process. The failing statement rejects anyway.
  client.on('error', ignoreConnectionError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.removeListener('error', ignoreConnectionError);
    client.release();
  }
}

function ignoreConnectionError(): void {}
