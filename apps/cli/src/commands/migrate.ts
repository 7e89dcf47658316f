import { loadConfig } from '@aegis/config';
import { AegisError } from '@aegis/core';
import { runMigrations } from '@aegis/stores';
import pg from 'pg';

/** Creates the configured database when it does not exist yet (Postgres error 3D000), so a fresh setup needs no manual step. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const probe = new pg.Client({ connectionString: databaseUrl });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    return true;
  } finally {
    await client.end();
  }
}

export async function runMigrate(): Promise<void> {
  const config = loadConfig(process.env);
  try {
    if (await ensureDatabase(config.database.url)) console.log('Created the database.');
  } catch (error) {
    throw new AegisError(
      'DATABASE_UNAVAILABLE',
      `cannot reach Postgres at DATABASE_URL: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const { applied } = await runMigrations({ databaseUrl: config.database.url });
  console.log(
    applied.length === 0
      ? 'Database schema is up to date.'
      : `Applied ${applied.length} migration(s):\n${applied.map((file) => `  - ${file}`).join('\n')}`,
  );
}
