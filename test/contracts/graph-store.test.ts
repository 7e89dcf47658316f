import { createNeo4jGraphStore, createPostgresGraphStore } from '@aegis/stores';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll } from 'vitest';
import { describeGraphStoreContract } from './graph-store.contract.ts';

let db: TestDatabase | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describeGraphStoreContract('postgres (lite)', async () => {
  if (db === undefined) throw new Error('test database not ready');
  return { store: createPostgresGraphStore({ pool: db.pool, batchSize: 2 }), cleanup: async () => {} };
});

// The Neo4j run writes Document/Chunk/Entity nodes with random ids into NEO4J_DATABASE (default neo4j)
// and deletes them again; point it at a disposable instance.
const neo4jUri = process.env.NEO4J_URI;
const neo4jSkip =
  neo4jUri === undefined
    ? 'NEO4J_URI is not set; set NEO4J_URI (and NEO4J_USER / NEO4J_PASSWORD) to run the Neo4j adapter contract'
    : undefined;
if (neo4jSkip !== undefined) console.warn(`skipping GraphStore contract for neo4j: ${neo4jSkip}`);

describeGraphStoreContract(
  'neo4j',
  async () => ({
    store: await createNeo4jGraphStore({
      uri: neo4jUri ?? '',
      user: process.env.NEO4J_USER ?? 'neo4j',
      password: process.env.NEO4J_PASSWORD ?? '',
      database: process.env.NEO4J_DATABASE || undefined,
      // Small batches so the contract exercises multi-batch writes and bounded deletes.
      batchSize: 2,
    }),
    cleanup: async () => {},
  }),
  { skip: neo4jSkip },
);
