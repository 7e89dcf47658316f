import { createPostgresVectorStore, createQdrantVectorStore } from '@aegis/stores';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { QdrantClient } from '@qdrant/js-client-rest';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { describeVectorStoreContract } from './vector-store.contract.ts';

let db: TestDatabase | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function liteStore(vectorMode: 'auto' | 'exact') {
  return async ({ collection }: { collection: string }) => {
    if (db === undefined) throw new Error('test database not ready');
    const pool = db.pool;
    return {
      store: createPostgresVectorStore({ pool, collection, vectorMode }),
      async cleanup() {
        await pool.query('DELETE FROM vector_collections WHERE left(name, length($1) + 2) = $1 || $2', [
          collection,
          '__',
        ]);
      },
    };
  };
}

describeVectorStoreContract('postgres (lite, exact scan)', liteStore('exact'));

// The pgvector path runs wherever the extension is installed (.ci/run builds it from Debian's source package).
const pgvectorSkip = (await pgvectorAvailable())
  ? undefined
  : 'the vector extension (pgvector) is not installed on this Postgres; `bash .ci/run` builds it';
if (pgvectorSkip !== undefined) console.warn(`skipping VectorStore contract for pgvector: ${pgvectorSkip}`);
describeVectorStoreContract('postgres (lite, pgvector HNSW)', liteStore('auto'), { skip: pgvectorSkip });

async function pgvectorAvailable(): Promise<boolean> {
  const client = new pg.Client({
    connectionString: process.env.AEGIS_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

const qdrantUrl = process.env.QDRANT_URL;
const qdrantSkip =
  qdrantUrl === undefined ? 'QDRANT_URL is not set; set it to run the Qdrant adapter contract' : undefined;
if (qdrantSkip !== undefined) console.warn(`skipping VectorStore contract for qdrant: ${qdrantSkip}`);

describeVectorStoreContract(
  'qdrant',
  async ({ collection }) => {
    const url = qdrantUrl ?? '';
    const apiKey = process.env.QDRANT_API_KEY || undefined;
    const admin = new QdrantClient({ url, ...(apiKey ? { apiKey } : {}), checkCompatibility: false });
    return {
      store: await createQdrantVectorStore({ url, apiKey, collection, batchSize: 64 }),
      async cleanup() {
        const { collections } = await admin.getCollections();
        for (const { name } of collections)
          if (name.startsWith(`${collection}__`)) await admin.deleteCollection(name);
      },
    };
  },
  { skip: qdrantSkip },
);
