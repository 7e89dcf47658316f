import { createHash } from 'node:crypto';
import path from 'node:path';
import { AegisError } from '@aegis/core';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

/** Where the SQL migrations live (`-- Up Migration` / `-- Down Migration` files, applied in name order). */
export const MIGRATIONS_DIR = path.join(import.meta.dirname, '..', 'migrations');

/** Table (inside `schema`) recording which migrations ran; node-pg-migrate's default name. */
const MIGRATIONS_TABLE = 'pgmigrations';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface RunMigrationsOptions {
  /** `postgres://user@host:port/db`. */
  databaseUrl: string;
  /**
   * Schema the tables (and the migrations table) go into; created when missing. Default: the first schema of a
   * `search_path` the URL sets (`?options=-c search_path=...`), so the app and its migrations agree; else `public`.
   */
  schema?: string | undefined;
  /** Receives node-pg-migrate's progress lines. Default: silent. */
  log?: ((message: string) => void) | undefined;
  /** Receives the NOTICEs migrations raise (e.g. why pgvector was skipped). Default: silent. */
  onNotice?: ((message: string) => void) | undefined;
  /** How long to wait for the first connection, in ms. Default 10_000. */
  connectTimeoutMs?: number | undefined;
}

export interface RunMigrationsResult {
  /** Names of the migrations this run applied, in order; empty when the schema was already current. */
  applied: string[];
}

/**
 * Applies every pending migration in one transaction. Idempotent, and safe to run from several
 * processes at once: node-pg-migrate only *tries* its advisory lock and fails when another runner
 * holds it, so we first take the same lock *blocking* on the same session (advisory locks are
 * re-entrant per session). A second runner therefore waits, then finds nothing to apply.
 * The lock key is derived from the schema, so test schemas migrate in parallel.
 *
 * @throws AegisError `VALIDATION_FAILED` for a bad schema name, `MIGRATION_FAILED` for everything else.
 */
export async function runMigrations(options: RunMigrationsOptions): Promise<RunMigrationsResult> {
  const schema = options.schema ?? searchPathSchema(options.databaseUrl) ?? 'public';
  if (!SCHEMA_NAME.test(schema)) {
    throw new AegisError('VALIDATION_FAILED', `schema name "${schema}" must match ${SCHEMA_NAME}`, {
      details: { schema },
    });
  }
  const log = options.log ?? (() => {});
  const lockValue = migrationLockValue(schema);
  const client = new pg.Client({
    connectionString: options.databaseUrl,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
  client.on('error', () => {});
  if (options.onNotice) {
    const onNotice = options.onNotice;
    client.on('notice', (notice) => onNotice(notice.message ?? String(notice)));
  }
  try {
    await client.connect();
    await client.query('SELECT pg_advisory_lock($1)', [lockValue]);
    try {
      const ran = await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        direction: 'up',
        schema,
        createSchema: true,
        migrationsTable: MIGRATIONS_TABLE,
        lockValue,
        singleTransaction: true,
        checkOrder: true,
        log,
      });
      return { applied: ran.map((migration) => migration.name) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [lockValue]).catch(() => {});
    }
  } catch (error) {
    throw new AegisError('MIGRATION_FAILED', `migrating schema "${schema}" failed: ${messageOf(error)}`, {
      cause: error,
      details: { schema },
    });
  } finally {
    await client.end().catch(() => {});
  }
}

/** A stable per-schema advisory lock key within JavaScript's safe integer range. */
function migrationLockValue(schema: string): number {
  const digest = createHash('sha256').update(`aegis-migrations:${schema}`).digest();
  return digest.readUIntBE(0, 6);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first schema of `-c search_path=...` in the URL's `options` parameter, if any. */
function searchPathSchema(databaseUrl: string): string | undefined {
  let options: string | null;
  try {
    options = new URL(databaseUrl).searchParams.get('options');
  } catch {
    return undefined;
  }
  const match = /(?:^|\s)-c\s*search_path=([^\s,]+)/.exec(options ?? '');
  return match?.[1]?.replace(/^"|"$/g, '');
}
