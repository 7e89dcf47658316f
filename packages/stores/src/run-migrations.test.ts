import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { isAegisError } from '@aegis/core';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, runMigrations } from './run-migrations.ts';

/** Every migration file, in the order they must apply. */
const ALL_MIGRATIONS = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.sql'))
  .map((file) => file.replace(/\.sql$/, ''))
  .sort();

const databaseUrl = process.env.AEGIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemas: string[] = [];

function freshSchema(): string {
  const schema = `t_mig_${randomBytes(5).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

async function tablesIn(schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    return rows.map((row) => row.table_name);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

describe('runMigrations', () => {
  it('creates the schema, applies every migration, and applies nothing the second time', async () => {
    const schema = freshSchema();
    const first = await runMigrations({ databaseUrl, schema });
    expect(first.applied).toEqual(ALL_MIGRATIONS);
    expect(ALL_MIGRATIONS.length).toBeGreaterThanOrEqual(2);
    expect(await tablesIn(schema)).toEqual([
      'api_keys',
      'audit_log',
      'document_chunks',
      'document_images',
      'document_pages',
      'document_versions',
      'documents',
      'embed_batches',
      'events',
      'graph_chunks',
      'graph_documents',
      'graph_entities',
      'graph_extractions',
      'graph_mentions',
      'graph_relations',
      'knowledge_bases',
      'llm_budget_limits',
      'llm_budget_months',
      'llm_budget_reservations',
      'llm_call_intents',
      'llm_ledger',
      'pgmigrations',
      'stage_runs',
      'vector_collections',
      'vector_points',
      'webhook_deliveries',
      'webhook_delivery_attempts',
      'webhooks',
    ]);

    const second = await runMigrations({ databaseUrl, schema });
    expect(second.applied).toEqual([]);
  });

  it("migrates the schema of the URL's search_path when no schema is given", async () => {
    const schema = freshSchema();
    const url = new URL(databaseUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    expect((await runMigrations({ databaseUrl: url.toString() })).applied).toEqual(ALL_MIGRATIONS);
    expect(await tablesIn(schema)).toContain('knowledge_bases');
  });

  it('lets concurrent runs on one schema succeed, applying each migration exactly once', async () => {
    const schema = freshSchema();
    const results = await Promise.all([1, 2, 3].map(() => runMigrations({ databaseUrl, schema })));
    expect(results.flatMap((result) => result.applied).sort()).toEqual(ALL_MIGRATIONS);
  });

  it('wraps an unreachable database as MIGRATION_FAILED', async () => {
    const error = await runMigrations({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/none',
      schema: freshSchema(),
      connectTimeoutMs: 1000,
    }).catch((caught: unknown) => caught);
    expect(isAegisError(error, 'MIGRATION_FAILED')).toBe(true);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    const error = await runMigrations({ databaseUrl, schema: 'x"; DROP TABLE y; --' }).catch(
      (caught: unknown) => caught,
    );
    expect(isAegisError(error, 'VALIDATION_FAILED')).toBe(true);
  });
});
