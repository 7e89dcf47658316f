import { randomUUID } from 'node:crypto';
import { isAegisError } from '@aegis/core';
import { createTestDatabase, startTcpProxy, type TcpProxy, type TestDatabase } from '@aegis/testkit';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LedgerRow } from './accounting.ts';
import { createBudgetCaps } from './budget-caps.ts';
import { createPostgresAccounting } from './postgres-accounting.ts';

let db: TestDatabase;
let proxy: TcpProxy;
let viaProxy: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  const target = new URL(db.connectionString);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  viaProxy = new pg.Pool({ connectionString: db.connectionStringVia(proxy), max: 4 });
  viaProxy.on('error', () => {});
});
afterAll(async () => {
  await viaProxy.end();
  await proxy.close();
  await db.drop();
});
beforeEach(async () => {
  await proxy.restore();
});

function row(provider: string, costUsd: string): LedgerRow {
  return {
    id: randomUUID(),
    requestGroup: randomUUID(),
    attempt: 1,
    createdAt: new Date(),
    provider,
    model: 'gpt-4o',
    task: 'vision',
    inputTokens: 10,
    cachedInputTokens: 0,
    outputTokens: 5,
    images: 1,
    usageSource: 'provider',
    costUsd,
    priceVersion: 'v1',
    latencyMs: 50,
    status: 'ok',
  };
}

async function ledgerIds(provider: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ id: string }>(
    'SELECT id FROM llm_ledger WHERE provider = $1 ORDER BY created_at, id',
    [provider],
  );
  return rows.map((found) => found.id);
}

describe('write-behind while Postgres is unreachable', () => {
  it('keeps rows during an outage and writes them exactly once when Postgres returns', async () => {
    const acc = createPostgresAccounting({ pool: viaProxy, flushIntervalMs: 60_000, connectTimeoutMs: 500 });
    const provider = `p-${randomUUID()}`;
    await createBudgetCaps({ pool: db.pool }).applyConfigured(
      { [provider]: '10' },
      { source: 'cli', name: 'test' },
    );
    const reserved = await acc.reserve({ provider, amountUsd: '1', holder: 'test', ttlMs: 60_000 });
    if (!reserved.ok) throw new Error('reserve refused');

    await proxy.cut();
    const rows = [row(provider, '0.4'), row(provider, '0.1'), row(provider, '0.2')];
    acc.record(rows[0] as LedgerRow, reserved.reservation.id);
    acc.record(rows[1] as LedgerRow);
    acc.record(rows[2] as LedgerRow);

    const failed = await acc.flush().catch((caught: unknown) => caught);
    expect(isAegisError(failed, 'DATABASE_UNAVAILABLE')).toBe(true);
    expect(acc.pendingRows()).toBe(3);
    const budget = await acc
      .reserve({ provider, amountUsd: '1', holder: 'test', ttlMs: 60_000 })
      .catch((caught: unknown) => caught);
    expect(isAegisError(budget, 'BUDGET_UNAVAILABLE')).toBe(true);

    await proxy.restore();
    await acc.flush();
    await acc.flush();
    expect(acc.pendingRows()).toBe(0);
    expect((await ledgerIds(provider)).sort()).toEqual(rows.map((written) => written.id).sort());
    expect(await acc.status()).toContainEqual(
      expect.objectContaining({ provider, spentUsd: '0.700000000000', reservedUsd: '0.000000000000' }),
    );
  });

  it('fails a reserve with BUDGET_UNAVAILABLE when connections are black-holed instead of hanging', async () => {
    const acc = createPostgresAccounting({ pool: viaProxy, connectTimeoutMs: 300, queryTimeoutMs: 300 });
    await proxy.cut({ mode: 'blackhole' });
    const error = await acc
      .reserve({ provider: 'any', amountUsd: '1', holder: 'test', ttlMs: 1000 })
      .catch((caught: unknown) => caught);
    expect(isAegisError(error, 'BUDGET_UNAVAILABLE')).toBe(true);
  });

  it('retries in the background with backoff and reports each failure through onError', async () => {
    const errors: unknown[] = [];
    const acc = createPostgresAccounting({
      pool: viaProxy,
      flushIntervalMs: 5,
      maxRetryDelayMs: 50,
      connectTimeoutMs: 300,
      onError: (error) => errors.push(error),
    });
    const provider = `p-${randomUUID()}`;
    await proxy.cut();
    const written = row(provider, '0.3');
    acc.record(written);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    expect(errors.every((error) => isAegisError(error, 'DATABASE_UNAVAILABLE'))).toBe(true);

    await proxy.restore();
    await vi.waitFor(() => expect(acc.pendingRows()).toBe(0), { timeout: 5_000 });
    expect(await ledgerIds(provider)).toEqual([written.id]);
  });

  it('drops the oldest rows beyond maxPendingRows and counts them', async () => {
    const acc = createPostgresAccounting({
      pool: viaProxy,
      flushIntervalMs: 60_000,
      maxPendingRows: 3,
      connectTimeoutMs: 300,
    });
    const provider = `p-${randomUUID()}`;
    await proxy.cut();
    const rows = Array.from({ length: 5 }, () => row(provider, '0.01'));
    for (const queued of rows) acc.record(queued);
    await expect(acc.flush()).rejects.toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(acc.pendingRows()).toBe(3);
    expect(acc.droppedRows()).toBe(2);

    await proxy.restore();
    await acc.close();
    expect((await ledgerIds(provider)).sort()).toEqual(
      rows
        .slice(2)
        .map((kept) => kept.id)
        .sort(),
    );
  });
});
