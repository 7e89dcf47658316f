import { readdir } from 'node:fs/promises';
import type pg from 'pg';
import { MIGRATIONS_DIR } from '../run-migrations.ts';

/**
 * Migrations in the project that the database has not applied yet, oldest first (empty when up to date).
 * @throws the Postgres error when the database cannot be read.
 */
export async function pendingMigrations(pool: pg.Pool): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR))
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.replace(/\.sql$/, ''))
    .sort();
  const exists = await pool.query<{ found: string | null }>(
    `SELECT to_regclass('pgmigrations')::text AS found`,
  );
  if (!exists.rows[0]?.found) return files;
  const { rows } = await pool.query<{ name: string }>('SELECT name FROM pgmigrations');
  const applied = new Set(rows.map((row) => row.name));
  return files.filter((file) => !applied.has(file));
}

/** A knowledge base bound to one embedding model: its chunks and queries go to that model only. */
export interface EmbeddingBinding {
  knowledgeBase: string;
  provider: string;
  model: string;
}

/** Every knowledge base that is bound to an embedding model (unbound ones take the chain's first answer). */
export async function embeddingBindings(pool: pg.Pool): Promise<EmbeddingBinding[]> {
  const { rows } = await pool.query<EmbeddingBinding>(
    `SELECT name AS "knowledgeBase", embedding_provider AS provider, embedding_model AS model
       FROM knowledge_bases WHERE embedding_model IS NOT NULL ORDER BY name`,
  );
  return rows;
}
