import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENT_LIST_SQL, listDocuments } from './document-list.ts';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

describe('document keyset paging', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(
      `INSERT INTO documents (id, source_key, display_name, created_at)
       SELECT 'doc-' || n, 'upload:' || n, 'file-' || n || '.pdf', now() - (n || ' seconds')::interval
         FROM generate_series(1, 20000) AS n`,
    );
    await db.pool.query('ANALYZE documents');
  });
  afterAll(async () => db?.drop());

  it('reads a deep page through the (created_at, id) index instead of sorting the table', async () => {
    const first = await listDocuments(db.pool, { limit: 50 });
    const cursor = Buffer.from(first.nextCursor ?? '', 'base64url').toString('utf8');
    const [createdAt, id] = JSON.parse(cursor) as [string, string];
    for (const params of [
      [null, null, null, null, 51, null],
      [null, null, createdAt, id, 51, null],
    ]) {
      const { rows } = await db.pool.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        `EXPLAIN (FORMAT JSON) ${DOCUMENT_LIST_SQL}`,
        params,
      );
      const plan = nodes(rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode);
      expect(plan.some((node) => node['Index Name'] === 'documents_created_at_id_idx')).toBe(true);
      expect(plan.some((node) => node['Node Type'] === 'Sort')).toBe(false);
    }
    const second = await listDocuments(db.pool, { limit: 50, cursor: first.nextCursor ?? undefined });
    expect(second.documents[0]?.documentId).toBe('doc-51');
  });
});
