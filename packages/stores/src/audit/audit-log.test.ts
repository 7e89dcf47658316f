import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAuditLog } from './audit-log.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});

it('lists newest first by numeric id, and pages with beforeId across digit-count boundaries', async () => {
  const log = createAuditLog({ pool: db.pool });
  // 1..120 crosses 9 -> 10 and 99 -> 100, where text order (9, 8, ..., 57, 56...) and numeric order part.
  for (let index = 0; index < 120; index++)
    await log.record({
      keyId: null,
      keyName: null,
      action: `action-${index}`,
      target: null,
      ip: '127.0.0.1',
      userAgent: null,
      status: 200,
    });
  const all = (await db.pool.query<{ id: string }>('SELECT id::text AS id FROM audit_log')).rows.map((row) =>
    BigInt(row.id),
  );
  const expected = [...all].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)).map(String);

  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (pageSize) => {
      const seen: string[] = [];
      let beforeId: string | undefined;
      for (;;) {
        const page = await log.list({ limit: pageSize, beforeId });
        if (page.length === 0) break;
        seen.push(...page.map((entry) => entry.id));
        beforeId = page.at(-1)?.id;
      }
      expect(seen).toEqual(expected);
    }),
    { numRuns: 15 },
  );
});
