import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { collectionNameFor, type EmbeddingSpace } from '@aegis/core';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, runMigrations } from '../run-migrations.ts';
import { createKnowledgeBaseQueries } from './knowledge-bases.ts';

const databaseUrl = process.env.AEGIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('knowledge base embedding bindings', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db?.drop());

  it('binds once: concurrent first embeddings of different models agree on one winner', async () => {
    const queries = createKnowledgeBaseQueries(db.pool);
    const name = `kb-${randomBytes(3).toString('hex')}`;
    const models = ['bge-m3', 'text-embedding-3-small', 'nomic-embed-text', 'glove', 'e5', 'gte'];
    const results = await Promise.all(
      models.map((model, index) =>
        queries.bindEmbedding(name, { provider: index % 2 ? 'openai' : 'ollama', model, dimensions: 1024 }),
      ),
    );
    const winner = results[0];
    expect(results.every((result) => JSON.stringify(result) === JSON.stringify(winner))).toBe(true);
    expect((await queries.knowledgeBase(name))?.embedding).toEqual(winner);
    // The binding never changes by itself.
    expect(await queries.bindEmbedding(name, { provider: 'x', model: 'y', dimensions: 3 })).toEqual(winner);
  });

  it('fills in the size of a model bound ahead of time, and refuses a changed size', async () => {
    const queries = createKnowledgeBaseQueries(db.pool);
    await db.pool.query(
      "INSERT INTO knowledge_bases (name, embedding_provider, embedding_model) VALUES ('pre', 'ollama', 'bge-m3')",
    );
    expect((await queries.knowledgeBase('pre'))?.embedding).toEqual({
      provider: 'ollama',
      model: 'bge-m3',
      dimensions: null,
    });
    expect(
      await queries.bindEmbedding('pre', { provider: 'ollama', model: 'bge-m3', dimensions: 1024 }),
    ).toEqual({ provider: 'ollama', model: 'bge-m3', dimensions: 1024 });
    await expect(
      queries.bindEmbedding('pre', { provider: 'ollama', model: 'bge-m3', dimensions: 768 }),
    ).rejects.toMatchObject({ code: 'VECTOR_DIM_MISMATCH' });
    expect(await queries.knowledgeBase('missing')).toBeUndefined();
  });

  it('has a default knowledge base after migrating', async () => {
    expect((await createKnowledgeBaseQueries(db.pool).knowledgeBase('default'))?.name).toBe('default');
  });
});

describe('migrating a collection that mixed two models', () => {
  const schema = `t_kb_${randomBytes(5).toString('hex')}`;
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
  });
  afterAll(async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it('moves every point into the collection of its own space and binds the default base', async () => {
    // The schema as it was before embedding spaces: every migration older than this one.
    await runner({
      databaseUrl,
      dir: MIGRATIONS_DIR,
      direction: 'up',
      schema,
      createSchema: true,
      migrationsTable: 'pgmigrations',
      count: readdirSync(MIGRATIONS_DIR).filter((file) => file < '20261205000000000').length,
      log: () => {},
    });
    await client.query(`SET search_path = "${schema}"`);
    await client.query("INSERT INTO vector_collections (name, dimensions) VALUES ('aegis_chunks', 3)");
    await client.query(
      `INSERT INTO documents (id, source_key, display_name, latest_version, active_version)
       VALUES ('d1', 'a', 'a', 1, 1), ('d2', 'b', 'b', 1, 1)`,
    );
    await client.query(
      `INSERT INTO document_versions (document_id, version, sha256, byte_size, kind, mime_type, blob_path, status)
       VALUES ('d1', 1, repeat('a', 64), 1, 'text', 'text/plain', 'x', 'completed'),
              ('d2', 1, repeat('b', 64), 1, 'text', 'text/plain', 'y', 'completed')`,
    );
    const models = { d1: 'ollama:bge-m3', d2: 'openai:text-embedding-3-small' } as const;
    for (const [doc, model] of Object.entries(models)) {
      for (const index of doc === 'd1' ? [0, 1] : [0]) {
        await client.query(
          `INSERT INTO vector_points (collection, id, document_id, version, chunk_index, vector, payload)
           VALUES ('aegis_chunks', gen_random_uuid(), $1, 1, $2, '{1,0,0}', $3)`,
          [doc, index, JSON.stringify({ embeddingModel: model, text: 't' })],
        );
        await client.query(
          `INSERT INTO embed_batches (document_id, version, batch_index, first_chunk, last_chunk, model, dimensions)
           VALUES ($1, 1, $2, $2, $2, $3, 3)`,
          [doc, index, model],
        );
      }
    }
    await runMigrations({ databaseUrl, schema });

    const space = (provider: string, model: string): EmbeddingSpace => ({
      provider,
      model,
      dimensions: 3,
      normalisation: 'l2',
    });
    const bge = collectionNameFor('aegis_chunks', space('ollama', 'bge-m3'));
    const openai = collectionNameFor('aegis_chunks', space('openai', 'text-embedding-3-small'));
    const { rows } = await client.query<{ collection: string; count: string }>(
      'SELECT collection, count(*) FROM vector_points GROUP BY collection ORDER BY collection',
    );
    expect(rows).toEqual(
      [
        { collection: bge, count: '2' },
        { collection: openai, count: '1' },
      ].sort((a, b) => a.collection.localeCompare(b.collection)),
    );
    const collections = await client.query(
      'SELECT name, provider, model, dimensions FROM vector_collections ORDER BY name',
    );
    expect(collections.rows.map((row) => row.name).sort()).toEqual([bge, openai].sort());
    const kb = await client.query(
      "SELECT embedding_provider, embedding_model, embedding_dimensions FROM knowledge_bases WHERE name = 'default'",
    );
    expect(kb.rows).toEqual([
      { embedding_provider: 'ollama', embedding_model: 'bge-m3', embedding_dimensions: 3 },
    ]);
  });
});
