import { MAX_DESCRIPTION_LENGTH, mergeDescriptions } from '@aegis/stores';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The description merge rule exists three times: TypeScript (batch de-duplication), SQL (Postgres lite
// store, inside ON CONFLICT) and Cypher (Neo4j store). This pins the SQL copy to the TypeScript one;
// the Cypher copy is covered by the GraphStore contract when NEO4J_URI is set.
let db: TestDatabase | undefined;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const long = (label: string) => `${label} `.padEnd(120, '-');

const cases: [string, string, number][] = [
  ['', '', MAX_DESCRIPTION_LENGTH],
  ['makes Firefox', 'a non-profit | makes Firefox', MAX_DESCRIPTION_LENGTH],
  ['  a  |  | b ', 'b |\tc\n', MAX_DESCRIPTION_LENGTH],
  ['aaaa', 'bbbbbbbb | cc', 10],
  ['', 'x'.repeat(30), 10],
  [
    Array.from({ length: 12 }, (_, index) => long(`p${index}`)).join(' | '),
    long('late'),
    MAX_DESCRIPTION_LENGTH,
  ],
  ['same | same', 'same', MAX_DESCRIPTION_LENGTH],
  ['very vivid v', 'v | vv', MAX_DESCRIPTION_LENGTH],
];

describe('description merge: SQL graph_merge_description matches mergeDescriptions', () => {
  it.each(cases)('merge(%j, %j, %d)', async (existing, incoming, max) => {
    const result = await db?.pool.query<{ merged: string }>(
      'SELECT graph_merge_description($1, $2, $3) AS merged',
      [existing, incoming, max],
    );
    expect(result?.rows[0]?.merged).toBe(mergeDescriptions(existing, incoming, max));
  });
});
