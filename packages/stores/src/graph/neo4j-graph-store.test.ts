import { describe, expect, it } from 'vitest';
import { MERGE_ENTITIES, MERGE_MENTIONS, MERGE_RELATIONS } from './neo4j-cypher.ts';
import { createNeo4jGraphStore, type Neo4jDriverLike } from './neo4j-graph-store.ts';

// No Neo4j runs here: a recording driver shows how writes are cut into transactions. The shared contract
// (test/contracts) runs against a real Neo4j when NEO4J_URI is set.
function recordingDriver() {
  const transactions: Array<Array<{ statement: string; rows: number }>> = [];
  const session = () => ({
    async executeWrite<T>(work: (tx: unknown) => Promise<T>): Promise<T> {
      const statements: Array<{ statement: string; rows: number }> = [];
      transactions.push(statements);
      return work({
        async run(statement: string, parameters: { rows?: unknown[] } = {}) {
          const rows = parameters.rows?.length ?? 0;
          statements.push({ statement, rows });
          return { records: [{ get: () => rows }] };
        },
      });
    },
    async close() {},
  });
  return { driver: { session, close: async () => {} } as unknown as Neo4jDriverLike, transactions };
}

describe('Neo4j graph writes', () => {
  it('writes a big document in bounded transactions split at chunk boundaries, not one per document', async () => {
    const { driver, transactions } = recordingDriver();
    const store = await createNeo4jGraphStore({
      uri: 'bolt://unused',
      user: 'u',
      password: 'p',
      driver,
      batchSize: 200,
    });
    const entities = Array.from({ length: 400 }, (_, i) => ({
      key: `e${i}`,
      name: `E${i}`,
      type: 'THING',
      description: `d${i}`,
    }));
    const mentions = Array.from({ length: 2_000 }, (_, i) => ({
      chunkId: `c${Math.floor(i / 4)}`,
      entityKey: `e${(i * 3) % 400}`,
    }));
    const relations = Array.from({ length: 500 }, (_, i) => ({
      sourceKey: `e${(i * 12) % 400}`,
      targetKey: `e${(i * 12 + 3) % 400}`,
      type: 'RELATED_TO',
      description: '',
      chunkId: `c${i}`,
    }));
    await store.upsertEntities({ documentId: 'd', version: 1 }, entities, mentions, relations);
    expect(transactions.length).toBeGreaterThan(10);
    const written = { mentions: 0, relations: 0 };
    for (const statements of transactions) {
      const rows = statements.reduce((sum, entry) => sum + entry.rows, 0);
      expect(rows).toBeLessThanOrEqual(200);
      // Entities first, then their mentions, then relations: an entity never stands alone in a transaction.
      expect(statements[0]?.statement).toBe(MERGE_ENTITIES);
      for (const entry of statements) {
        if (entry.statement === MERGE_MENTIONS) written.mentions += entry.rows;
        if (entry.statement === MERGE_RELATIONS) written.relations += entry.rows;
      }
    }
    expect(written.relations).toBe(500);
    expect(written.mentions).toBeGreaterThanOrEqual(2_000);
  });
});
