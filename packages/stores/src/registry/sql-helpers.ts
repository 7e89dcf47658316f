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
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
