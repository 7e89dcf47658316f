import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { picoToUsd, usdToPico } from '../money.ts';
import type { LedgerRow } from './accounting.ts';
import { documentCost, exportLedger, monthlyCosts } from './ledger-reports.ts';
import { createPostgresAccounting } from './postgres-accounting.ts';

let db: TestDatabase;
const rows: LedgerRow[] = [];
const PROVIDERS = ['ollama', 'dashscope', 'openai'] as const;
const TRICKY_STAGE = 'graph, "v2"\nretry';

beforeAll(async () => {
  db = await createTestDatabase();
  const acc = createPostgresAccounting({ pool: db.pool, flushIntervalMs: 60_000 });
  for (let index = 0; index < 60; index += 1) {
    rows.push({
      id: randomUUID(),
      requestGroup: randomUUID(),
      attempt: 1 + (index % 2),
      // All in March 2030, plus a few rows in April that the March report must leave out.
      createdAt: new Date(Date.UTC(2030, index < 50 ? 2 : 3, 1 + (index % 28), index % 24)),
      provider: PROVIDERS[index % 3] as string,
      model: index % 2 === 0 ? 'model-a' : 'model-b',
      task: index % 4 === 0 ? 'embedding' : 'generation',
      inputTokens: 100 + index,
      cachedInputTokens: index % 5,
      outputTokens: 10 * index,
      images: 0,
      usageSource: 'provider',
      costUsd: picoToUsd(BigInt(index) * 1_234_567_891n),
      priceVersion: 'v1',
      latencyMs: index,
      status: 'ok',
      documentId: index % 10 === 0 ? 'doc-special' : `doc-${index % 3}`,
      stage: index === 0 ? TRICKY_STAGE : 'extract',
      userId: index % 2 === 0 ? 'alice' : undefined,
    });
  }
  for (const row of rows) acc.record(row);
  await acc.close();
});
afterAll(async () => {
  await db.drop();
});

function sumPico(selected: readonly LedgerRow[]): string {
  return picoToUsd(selected.reduce((sum, row) => sum + usdToPico(row.costUsd), 0n));
}

const march = (row: LedgerRow) => row.createdAt.getUTCMonth() === 2;

describe('monthlyCosts', () => {
  it('sums each group exactly, only for the requested month', async () => {
    const report = await monthlyCosts(db.pool, { month: '2030-03', groupBy: ['provider', 'model'] });
    const marchRows = rows.filter(march);
    const expected = new Map<string, LedgerRow[]>();
    for (const row of marchRows) {
      const key = `${row.provider}/${row.model}`;
      expected.set(key, [...(expected.get(key) ?? []), row]);
    }
    expect(report).toHaveLength(expected.size);
    for (const group of report) {
      const members = expected.get(`${group.provider}/${group.model}`) ?? [];
      expect(group).toEqual({
        provider: members[0]?.provider,
        model: members[0]?.model,
        requests: members.length,
        inputTokens: members.reduce((sum, row) => sum + row.inputTokens, 0),
        cachedInputTokens: members.reduce((sum, row) => sum + row.cachedInputTokens, 0),
        outputTokens: members.reduce((sum, row) => sum + row.outputTokens, 0),
        images: 0,
        costUsd: sumPico(members),
      });
    }
    const total = await monthlyCosts(db.pool, { month: '2030-03', groupBy: [] });
    expect(total).toEqual([expect.objectContaining({ requests: 50, costUsd: sumPico(marchRows) })]);
  });

  it('groups by user with null for rows without one', async () => {
    const report = await monthlyCosts(db.pool, { month: '2030-03', groupBy: ['user'] });
    expect(report.map((group) => group.user).sort()).toEqual(['alice', null]);
  });

  it('returns no rows for a month without calls and rejects a malformed month', async () => {
    expect(await monthlyCosts(db.pool, { month: '1999-01', groupBy: ['provider'] })).toEqual([]);
    await expect(monthlyCosts(db.pool, { month: '2030-3', groupBy: [] })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('documentCost', () => {
  it('totals a document over all months, per stage', async () => {
    const members = rows.filter((row) => row.documentId === 'doc-special');
    const cost = await documentCost(db.pool, 'doc-special');
    expect(cost).toMatchObject({
      documentId: 'doc-special',
      requests: members.length,
      costUsd: sumPico(members),
    });
    expect(cost.stages.map((stage) => stage.stage).sort()).toEqual(['extract', TRICKY_STAGE]);
    expect(await documentCost(db.pool, 'nope')).toMatchObject({
      requests: 0,
      costUsd: '0.000000000000',
      stages: [],
    });
  });
});

describe('exportLedger', () => {
  async function collect(iterable: AsyncIterable<string>): Promise<string> {
    let text = '';
    for await (const chunk of iterable) text += chunk;
    return text;
  }

  it('writes RFC 4180 CSV: header, CRLF records, and quoted comma/quote/newline values', async () => {
    const csv = await collect(
      exportLedger(db.pool, {
        from: new Date('2030-03-01T00:00:00Z'),
        to: new Date('2030-04-01T00:00:00Z'),
        format: 'csv',
        batchRows: 7,
      }),
    );
    const records = parseCsv(csv);
    // The same field names as the JSON export (one casing for both).
    expect(records[0]?.slice(0, 4)).toEqual(['id', 'requestGroup', 'attempt', 'createdAt']);
    const json = JSON.parse(await collect(exportLedger(db.pool, { format: 'json', batchRows: 16 })));
    expect(records[0]).toEqual(Object.keys(json[0]));
    expect(records).toHaveLength(1 + 50);
    const stageColumn = records[0]?.indexOf('stage') ?? -1;
    const tricky = records.find((record) => record[stageColumn] === TRICKY_STAGE);
    expect(tricky?.[0]).toBe(rows[0]?.id);
    expect(csv).toContain('"graph, ""v2""\nretry"');
    const costColumn = records[0]?.indexOf('costUsd') ?? -1;
    expect(
      picoToUsd(records.slice(1).reduce((sum, record) => sum + usdToPico(record[costColumn] ?? ''), 0n)),
    ).toBe(sumPico(rows.filter(march)));
  });

  it('writes a JSON array of every row, oldest first', async () => {
    const json = JSON.parse(await collect(exportLedger(db.pool, { format: 'json', batchRows: 16 })));
    expect(json).toHaveLength(60);
    expect(json[0]).toMatchObject({ stage: TRICKY_STAGE, costUsd: '0.000000000000', userId: 'alice' });
    const times = json.map((row: { createdAt: string }) => row.createdAt);
    expect(times).toEqual([...times].sort());
    expect(
      JSON.parse(await collect(exportLedger(db.pool, { format: 'json', from: new Date('2100-01-01') }))),
    ).toEqual([]);
  });

  it('releases its connection when the consumer stops early', async () => {
    for await (const chunk of exportLedger(db.pool, { format: 'csv', batchRows: 5 })) {
      expect(chunk).toContain('id,');
      break;
    }
    expect(db.pool.totalCount - db.pool.idleCount).toBe(0);
  });
});

/** Minimal RFC 4180 reader, to check the writer independently of its own quoting code. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[index + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      index += 1;
    } else field += char;
  }
  return records;
}
