import { createPostgresVectorStore, createQdrantVectorStore } from '@aegis/stores';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { QdrantClient } from '@qdrant/js-client-rest';
import { afterAll, beforeAll } from 'vitest';
import { describeVectorStoreContract } from './vector-store.contract.ts';

let db: TestDatabase | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describeVectorStoreContract('postgres (lite)', async ({ collection }) => {
  if (db === undefined) throw new Error('test database not ready');
  const pool = db.pool;
  return {
    store: createPostgresVectorStore({ pool, collection }),
    async cleanup() {
      await pool.query('DELETE FROM vector_collections WHERE left(name, length($1) + 2) = $1 || $2', [
        collection,
        '__',
      ]);
    },
  };
});

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
      store: createQdrantVectorStore({ url, apiKey, collection, batchSize: 64 }),
      async cleanup() {
        const { collections } = await admin.getCollections();
        for (const { name } of collections)
          if (name.startsWith(`${collection}__`)) await admin.deleteCollection(name);
      },
    };
  },
  { skip: qdrantSkip },
);
