import { createHash } from 'node:crypto';
import type pg from 'pg';
import { toFloat32 } from './point-codec.ts';

/** How the lite store keeps vectors: pgvector (`embedding` column, HNSW) or the exact scan of `vector_f32`. */
export type VectorMode =
  | { kind: 'pgvector'; schema: string; version: string }
  | { kind: 'exact'; reason: string };

/**
 * Which mode the migrated schema is in: pgvector when `vector_points.embedding` exists (the migration added it
 * because the extension was there), else exact, with the reason.
 */
export async function detectVectorMode(pool: pg.Pool): Promise<VectorMode> {
  const { rows } = await pool.query<{ schema: string | null; version: string | null; column: boolean }>(
    `SELECT (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
              WHERE e.extname = 'vector') AS schema,
            (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS version,
            EXISTS (SELECT 1 FROM pg_attribute
                     WHERE attrelid = to_regclass('vector_points') AND attname = 'embedding' AND NOT attisdropped) AS column`,
  );
  const row = rows[0];
  if (row?.column && row.schema !== null && row.version !== null)
    return { kind: 'pgvector', schema: row.schema, version: row.version };
  const available = await pool.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  return {
    kind: 'exact',
    reason:
      available.rowCount === 0
        ? 'the vector extension (pgvector) is not installed on the Postgres server'
        : 'pgvector is installed but not enabled for this schema; run `aegis migrate`',
  };
}

/** `"schema".vector(dims)`: the typed cast the per-collection HNSW index is built on and queried with. */
export function vectorType(schema: string, dimensions: number): string {
  return `"${schema.replaceAll('"', '""')}".vector(${dimensions})`;
}

export function cosineOperator(schema: string): string {
  return `OPERATOR("${schema.replaceAll('"', '""')}".<=>)`;
}

/**
 * The collection's HNSW index (cosine), partial on the collection so each embedding space gets an index of
 * its own size. Built once per space, when its collection is new and empty, under an advisory lock so two
 * workers do not race on the name. Not CONCURRENTLY: that waits for every older transaction of the database
 * to end, so one long-running session elsewhere would stall the embed stage; a plain build of an empty
 * partial index holds writes to the table for the one scan it needs.
 */
export async function ensureHnswIndex(
  pool: pg.Pool,
  schema: string,
  collection: string,
  dimensions: number,
): Promise<void> {
  const name = `vector_points_hnsw_${createHash('md5').update(collection).digest('hex').slice(0, 16)}`;
  const quotedSchema = `"${schema.replaceAll('"', '""')}"`;
  const exists = await pool.query(
    'SELECT 1 FROM pg_class WHERE relname = $1 AND relnamespace = current_schema()::regnamespace',
    [name],
  );
  if (exists.rowCount === 1) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`aegis:hnsw:${name}`]);
    await client.query(
      `CREATE INDEX IF NOT EXISTS ${name} ON vector_points
         USING hnsw ((embedding::${vectorType(schema, dimensions)}) ${quotedSchema}.vector_cosine_ops)
         WHERE collection = ${literal(collection)}`,
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

/** A SQL string literal (standard_conforming_strings: only quotes need doubling). */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Turns pgvector on for a schema migrated while the extension was missing: creates the extension, adds the
 * `embedding` column and moves every exact-scan vector into it, a page at a time. Idempotent; returns the
 * mode afterwards (still `exact`, with the reason, when the extension cannot be created).
 */
export async function enablePgvector(
  pool: pg.Pool,
  log: (message: string) => void = () => {},
): Promise<VectorMode> {
  const before = await detectVectorMode(pool);
  if (before.kind === 'pgvector') return before;
  const available = await pool.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  if (available.rowCount === 0) return before;
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS vector SCHEMA public');
  } catch (error) {
    const reason = `CREATE EXTENSION vector failed: ${error instanceof Error ? error.message : String(error)}`;
    log(`pgvector skipped: ${reason}`);
    return { kind: 'exact', reason };
  }
  const { rows } = await pool.query<{ schema: string }>(
    `SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'vector'`,
  );
  const schema = rows[0]?.schema ?? 'public';
  await pool.query(
    `ALTER TABLE vector_points ADD COLUMN IF NOT EXISTS embedding "${schema.replaceAll('"', '""')}".vector`,
  );
  let moved = 0;
  for (;;) {
    const page = await pool.query<{ collection: string; id: string; vector: string }>(
      `SELECT collection, id, encode(vector_f32, 'base64') AS vector FROM vector_points
        WHERE embedding IS NULL AND vector_f32 IS NOT NULL LIMIT 500`,
    );
    if (page.rows.length === 0) break;
    await pool.query(
      `UPDATE vector_points p SET embedding = t.vector::"${schema.replaceAll('"', '""')}".vector, vector_f32 = NULL
         FROM unnest($1::text[], $2::uuid[], $3::text[]) AS t(collection, id, vector)
        WHERE p.collection = t.collection AND p.id = t.id`,
      [
        page.rows.map((row) => row.collection),
        page.rows.map((row) => row.id),
        page.rows.map((row) => decodeToLiteral(row.vector)),
      ],
    );
    moved += page.rows.length;
  }
  const collections = await pool.query<{ name: string; dimensions: number }>(
    'SELECT name, dimensions FROM vector_collections',
  );
  for (const { name, dimensions } of collections.rows) await ensureHnswIndex(pool, schema, name, dimensions);
  log(
    `pgvector enabled: moved ${moved} vectors out of the exact-scan column, indexed ${collections.rows.length} collection(s)`,
  );
  return detectVectorMode(pool);
}

function decodeToLiteral(base64: string): string {
  const bytes = Buffer.from(base64, 'base64');
  const values: number[] = [];
  for (let offset = 0; offset + 4 <= bytes.length; offset += 4)
    values.push(toFloat32(bytes.readFloatBE(offset)));
  return `[${values.join(',')}]`;
}
