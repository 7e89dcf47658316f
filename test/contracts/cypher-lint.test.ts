import { randomBytes } from 'node:crypto';
import { chunkPointId } from '@aegis/core';
import type { Neo4jDriverLike } from '@aegis/stores';
import { ALL_CYPHER_STATEMENTS, CYPHER_STATEMENTS, createNeo4jGraphStore } from '@aegis/stores';
import { isNotParamError, lintCypherQuery } from '@neo4j-cypher/language-support';
import neo4j from 'neo4j-driver';
import { describe, expect, it } from 'vitest';

/**
 * Every Cypher statement of the Neo4j adapter goes through Neo4j's own ANTLR-based Cypher parser and
 * semantic checker (@neo4j-cypher/language-support). Without a Neo4j on this machine this is what
 * catches a typo in a statement before production does. Warnings (deprecated syntax) fail too.
 * "Parameter $x is not defined" is the linter not knowing our parameters, not a fault.
 */
function diagnosticsOf(statement: string): string[] {
  return lintCypherQuery(statement, {})
    .diagnostics.map((diagnostic) => ({
      message: typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value,
      offsets: diagnostic.offsets,
    }))
    .filter((diagnostic) => isNotParamError(diagnostic))
    .map((diagnostic) => `${diagnostic.message} at ${JSON.stringify(diagnostic.offsets)}`);
}

interface SentStatement {
  statement: string;
  parameters: Record<string, unknown>;
}

/** A driver that records what the store sends and answers with plausible records. */
function recordingDriver(sent: SentStatement[]): Neo4jDriverLike {
  const tx = {
    async run(statement: string, parameters: Record<string, unknown> = {}) {
      sent.push({ statement, parameters });
      const rows = Array.isArray(parameters.rows) ? parameters.rows.length : 0;
      const values: Record<string, unknown> = { written: rows, deleted: 0, count: 0, key: 'k|CONCEPT' };
      return { records: [record(values)], summary: {} };
    },
  };
  const session = {
    executeWrite: async <T>(work: (t: typeof tx) => Promise<T>) => work(tx),
    executeRead: async <T>(work: (t: typeof tx) => Promise<T>) => work(tx),
    close: async () => {},
  };
  return { session: () => session, close: async () => {} } as unknown as Neo4jDriverLike;
}

function record(values: Record<string, unknown>) {
  return { get: (key: string) => values[key] };
}

describe('Cypher lint of the Neo4j graph store', () => {
  it('has statements to lint', () => {
    expect(ALL_CYPHER_STATEMENTS.length).toBeGreaterThan(15);
  });

  it.each(Object.entries(CYPHER_STATEMENTS))('parses without errors or warnings: %s', (_title, statement) => {
    expect(diagnosticsOf(statement)).toEqual([]);
  });

  it('rejects deliberately broken statements (the lint can fail)', () => {
    const [merge] = ALL_CYPHER_STATEMENTS.filter((statement) => statement.includes('MERGE (e:Entity'));
    expect(merge).toBeDefined();
    const broken = [
      (merge ?? '').replace('MERGE (e:Entity {key: row.key})', 'MERGE (e:Entity {key: row.key}'),
      'UNWIND $rows AS row MATCH (c:Chunk {id: row.id}) RETRUN c',
      'CREATE CONSTRAINT x IF NOT EXISTS FOR (e:Entity) REQUIRE e.key IS UNIQUEE',
      // Deprecated, not invalid: warnings count as failures too.
      'MATCH (n) CALL { WITH n DETACH DELETE n } RETURN count(*)',
    ];
    for (const statement of broken) expect(diagnosticsOf(statement), statement).not.toEqual([]);
  });

  it('sends only linted statements, with every parameter bound and integers as Neo4j integers', async () => {
    const sent: SentStatement[] = [];
    const store = await createNeo4jGraphStore({
      uri: 'neo4j://unused',
      user: 'neo4j',
      password: 'unused',
      batchSize: 2,
      driver: recordingDriver(sent),
    });
    const documentId = randomBytes(32).toString('hex');
    const chunks = [0, 1, 2].map((chunkIndex) => ({
      id: chunkPointId(documentId, 1, chunkIndex),
      chunkIndex,
      pageStart: 1,
      pageEnd: 2,
      preview: 'text',
    }));
    const [c0 = '', c1 = ''] = chunks.map((chunk) => chunk.id);
    const a = { key: 'a|CONCEPT', name: 'A', type: 'CONCEPT', description: 'first' };
    const b = { key: 'b|CONCEPT', name: 'B', type: 'CONCEPT', description: 'second' };
    await store.ensureSchema();
    await store.upsertChunks({ documentId, version: 1, source: 'x.pdf' }, chunks);
    await store.upsertEntities(
      { documentId, version: 1 },
      [a, b],
      [
        { chunkId: c0, entityKey: a.key },
        { chunkId: c1, entityKey: b.key },
      ],
      [{ sourceKey: a.key, targetKey: b.key, type: 'RELATES_TO', description: 'a to b', chunkId: c0 }],
    );
    await store.entitiesOfChunks([c0]);
    await store.counts();
    await store.counts({ documentId, version: 1 });
    await store.deleteVersion(documentId, 1);
    await store.deleteOlderVersions(documentId, 2);
    await store.deleteDocument(documentId);
    await store.close();

    const known = new Set(ALL_CYPHER_STATEMENTS);
    const integerParameters = new Set(['version', 'beforeVersion', 'batchSize', 'maxLength']);
    for (const { statement, parameters } of sent) {
      expect(known.has(statement), `not in ALL_CYPHER_STATEMENTS: ${statement}`).toBe(true);
      for (const [, name = ''] of statement.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
        expect(Object.hasOwn(parameters, name), `$${name} unbound in: ${statement}`).toBe(true);
        const value = parameters[name];
        if (integerParameters.has(name) && value !== null) expect(neo4j.isInt(value), `$${name}`).toBe(true);
      }
    }
    const used = new Set(sent.map((entry) => entry.statement));
    expect(ALL_CYPHER_STATEMENTS.filter((statement) => !used.has(statement))).toEqual([]);
  });
});
