import { randomUUID } from 'node:crypto';
import { isAegisError } from '@aegis/core';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { picoToUsd, usdToPico } from '../money.ts';
import type { BudgetStatus, LedgerRow } from './accounting.ts';
import { createBudgetCaps } from './budget-caps.ts';
import { createPostgresAccounting, type PostgresAccountingOptions } from './postgres-accounting.ts';

let db: TestDatabase;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  db = await createTestDatabase({ max: 20 });
});
afterAll(async () => {
  for (const close of closers) await close().catch(() => {});
  await db.drop();
});

// These tests pin down the exact per-call reservation path; budget-leases.test.ts covers leases.
function accounting(options: Partial<PostgresAccountingOptions> = {}) {
  const created = createPostgresAccounting({
    pool: db.pool,
    flushIntervalMs: 60_000,
    leases: false,
    ...options,
  });
  closers.push(() => created.close());
  return created;
}

function row(provider: string, costUsd: string, overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    id: randomUUID(),
    requestGroup: randomUUID(),
    attempt: 1,
    createdAt: new Date(),
    provider,
    model: 'qwen-plus',
    task: 'generation',
    inputTokens: 1000,
    cachedInputTokens: 0,
    outputTokens: 200,
    images: 0,
    usageSource: 'provider',
    costUsd,
    priceVersion: '2026-01',
    latencyMs: 120,
    status: 'ok',
    ...overrides,
  };
}

async function month(provider: string): Promise<BudgetStatus | undefined> {
  const { rows } = await db.pool.query<{
    provider: string;
    month: string;
    l: string | null;
    s: string;
    r: string;
  }>(
    `SELECT provider, month, limit_usd AS l, spent_usd AS s, reserved_usd AS r
       FROM llm_budget_months WHERE provider = $1 ORDER BY month DESC LIMIT 1`,
    [provider],
  );
  const found = rows[0];
  return (
    found && { provider, month: found.month, limitUsd: found.l, spentUsd: found.s, reservedUsd: found.r }
  );
}

async function ledgerCount(where: string, values: unknown[]): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM llm_ledger WHERE ${where}`,
    values,
  );
  return rows[0]?.n ?? 0;
}

/** Sets caps the way an operator does (audited), in the month of `now`. */
const setCaps = (pool: TestDatabase['pool'], caps: Record<string, string | null>, now = new Date()) =>
  createBudgetCaps({ pool, now: () => now }).applyConfigured(caps, { source: 'cli', name: 'test' });

describe('reserve', () => {
  it('lets exactly as many concurrent reserves through as the limit covers, never overspending', async () => {
    const acc = accounting();
    const provider = `p-${randomUUID()}`;
    await setCaps(db.pool, { [provider]: '1' });
    let worstPico = 0n;
    acc.onStatus((status) => {
      if (status.provider !== provider) return;
      const used = usdToPico(status.spentUsd) + usdToPico(status.reservedUsd);
      if (used > worstPico) worstPico = used;
    });

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        acc.reserve({ provider, amountUsd: '0.1', holder: 'test', ttlMs: 60_000 }),
      ),
    );

    expect(results.filter((result) => result.ok)).toHaveLength(10);
    expect(worstPico).toBe(usdToPico('1'));
    expect(await month(provider)).toMatchObject({
      spentUsd: '0.000000000000',
      reservedUsd: '1.000000000000',
    });
    const { rows } = await db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM llm_budget_reservations WHERE provider = $1',
      [provider],
    );
    expect(rows[0]?.n).toBe(10);
    const refused = results.find((result) => !result.ok);
    expect(refused?.status.limitUsd).toBe('1.000000000000');
  });

  it('refuses a provider no cap was ever stored for (not-set, fail closed), with its month row at limit 0', async () => {
    const acc = accounting();
    const provider = `p-${randomUUID()}`;
    const result = await acc.reserve({ provider, amountUsd: '0.000001', holder: 'test', ttlMs: 60_000 });
    expect(result).toMatchObject({ ok: false, reason: 'not-set', status: { limitUsd: '0.000000000000' } });
    await setCaps(db.pool, { [provider]: null });
    const unlimited = await acc.reserve({ provider, amountUsd: '123.45', holder: 'test', ttlMs: 60_000 });
    expect(unlimited.ok).toBe(true);
    expect(unlimited.status).toMatchObject({ limitUsd: null, reservedUsd: '123.450000000000' });
  });

  it('rejects a non-positive amount as VALIDATION_FAILED', async () => {
    const acc = accounting();
    const error = await acc
      .reserve({ provider: 'x', amountUsd: '0', holder: 'test', ttlMs: 1000 })
      .catch((caught: unknown) => caught);
    expect(isAegisError(error, 'VALIDATION_FAILED')).toBe(true);
  });
});

describe('record and flush', () => {
  it('settles a reservation exactly once when the same batch is flushed again (retry after an ambiguous failure)', async () => {
    const provider = `p-${randomUUID()}`;
    const first = accounting();
    await setCaps(db.pool, { [provider]: '10' });
    const reserved = await first.reserve({ provider, amountUsd: '0.5', holder: 'test', ttlMs: 60_000 });
    if (!reserved.ok) throw new Error('reserve refused');
    const settled = row(provider, '0.123456789012');
    const unreserved = row(provider, '0.000000000001');

    first.record(settled, reserved.reservation.id);
    first.record(unreserved);
    await first.flush();
    expect(first.pendingRows()).toBe(0);

    // Two more processes replay the same batch at the same time, as a retry would after losing the reply.
    const replays = [accounting(), accounting()];
    for (const replay of replays) {
      replay.record(settled, reserved.reservation.id);
      replay.record(unreserved);
    }
    await Promise.all(replays.map((replay) => replay.flush()));

    expect(await ledgerCount('provider = $1', [provider])).toBe(2);
    expect(await month(provider)).toMatchObject({
      spentUsd: picoToUsd(usdToPico('0.123456789012') + 1n),
      reservedUsd: '0.000000000000',
    });
  });

  it('reports the new status of every provider a flush touched', async () => {
    const acc = accounting();
    const [a, b] = [`p-${randomUUID()}`, `p-${randomUUID()}`];
    const seen: BudgetStatus[] = [];
    acc.onStatus((status) => seen.push(status));
    acc.record(row(a, '0.25'));
    acc.record(row(a, '0.25'));
    acc.record(row(b, '1'));
    await acc.flush();
    expect(seen.find((status) => status.provider === a)?.spentUsd).toBe('0.500000000000');
    expect(seen.find((status) => status.provider === b)?.spentUsd).toBe('1.000000000000');
  });

  it('flushes on its own after flushIntervalMs and immediately at maxBatchRows', async () => {
    const provider = `p-${randomUUID()}`;
    const timed = accounting({ flushIntervalMs: 5 });
    const flushed = new Promise<BudgetStatus>((resolve) => timed.onStatus(resolve));
    timed.record(row(provider, '0.1'));
    expect((await flushed).spentUsd).toBe('0.100000000000');

    const batched = accounting({ maxBatchRows: 3 });
    const batchFlushed = new Promise<BudgetStatus>((resolve) => batched.onStatus(resolve));
    for (let index = 0; index < 3; index += 1) batched.record(row(provider, '0.1'));
    expect((await batchFlushed).spentUsd).toBe('0.400000000000');
  });

  it('drops only a row Postgres rejects as bad data, writes the rest of its batch, and reports it', async () => {
    const errors: unknown[] = [];
    const acc = accounting({ onError: (error) => errors.push(error) });
    const provider = `p-${randomUUID()}`;
    const good = [row(provider, '0.1'), row(provider, '0.2')];
    acc.record(good[0] as LedgerRow);
    acc.record(row(provider, '5', { stage: 'nul\u0000byte' }));
    acc.record(good[1] as LedgerRow);
    await acc.flush();
    expect(acc.droppedRows()).toBe(1);
    expect(errors).toEqual([expect.objectContaining({ code: 'VALIDATION_FAILED' })]);
    expect(await ledgerCount('provider = $1', [provider])).toBe(2);
    expect((await month(provider))?.spentUsd).toBe('0.300000000000');
  });

  it('rejects an invalid row at record time', () => {
    const acc = accounting();
    expect(() => acc.record(row('p', '-1'))).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => acc.record(row('p', '1', { inputTokens: -3 }))).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
    expect(acc.pendingRows()).toBe(0);
  });
});

describe('reapExpired', () => {
  it('charges an expired reservation in full and writes one attributed reaped row; a late record adds nothing', async () => {
    // Its own schema: the reaper settles every expired reservation, including other tests'.
    const own = await createTestDatabase();
    closers.push(() => own.drop());
    let clock = new Date('2031-05-10T12:00:00Z');
    const acc = createPostgresAccounting({ pool: own.pool, now: () => clock, leases: false });
    const provider = `p-${randomUUID()}`;
    const requestGroup = randomUUID();
    await setCaps(own.pool, { [provider]: '5' }, clock);
    const reserved = await acc.reserve({
      provider,
      amountUsd: '0.75',
      holder: 'worker-1',
      ttlMs: 60_000,
      context: {
        requestGroup,
        attempt: 2,
        model: 'qwen-max',
        task: 'extraction',
        documentId: 'doc-1',
        stage: 'graph',
      },
    });
    if (!reserved.ok) throw new Error('reserve refused');
    expect(await acc.reapExpired()).toBe(0);

    clock = new Date('2031-05-10T12:01:01Z');
    const seen: BudgetStatus[] = [];
    acc.onStatus((status) => seen.push(status));
    expect(await acc.reapExpired()).toBe(1);
    expect(await acc.reapExpired()).toBe(0);

    expect(seen).toEqual([
      {
        provider,
        month: '2031-05',
        limitUsd: '5.000000000000',
        spentUsd: '0.750000000000',
        reservedUsd: '0.000000000000',
      },
    ]);
    const { rows } = await own.pool.query(
      `SELECT request_group, attempt, model, task, status, usage_source, cost_usd, document_id, stage, latency_ms
         FROM llm_ledger WHERE provider = $1`,
      [provider],
    );
    expect(rows).toEqual([
      {
        request_group: requestGroup,
        attempt: 2,
        model: 'qwen-max',
        task: 'extraction',
        status: 'reaped',
        usage_source: 'estimated',
        cost_usd: '0.750000000000',
        document_id: 'doc-1',
        stage: 'graph',
        latency_ms: 61_000,
      },
    ]);

    // The holder was only slow: its row still lands in the ledger, but the budget was already charged.
    acc.record(row(provider, '0.2', { createdAt: clock }), reserved.reservation.id);
    await acc.flush();
    const { rows: count } = await own.pool.query('SELECT 1 FROM llm_ledger WHERE provider = $1', [provider]);
    expect(count).toHaveLength(2);
    expect(await acc.status()).toContainEqual({
      provider,
      month: '2031-05',
      limitUsd: '5.000000000000',
      spentUsd: '0.750000000000',
      reservedUsd: '0.000000000000',
    });
  });
});

describe('status', () => {
  it("lists every provider with a stored cap, without spend, in the current month's terms", async () => {
    const clock = new Date('2032-02-01T00:00:00Z');
    const acc = accounting({ now: () => clock });
    const [limited, unlimited] = [`p-${randomUUID()}`, `p-${randomUUID()}`];
    await setCaps(db.pool, { [limited]: '10', [unlimited]: null }, clock);
    await setCaps(db.pool, { [limited]: '20' }, clock);
    const statuses = await acc.status();
    expect(statuses).toContainEqual({
      provider: limited,
      month: '2032-02',
      limitUsd: '20.000000000000',
      spentUsd: '0.000000000000',
      reservedUsd: '0.000000000000',
    });
    expect(statuses.find((status) => status.provider === unlimited)?.limitUsd).toBeNull();
  });
});
