import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { picoToUsd, usdToPico } from '../money.ts';
import type { LedgerRow } from './accounting.ts';
import { FLUSH_SQL, flushParams } from './accounting-sql.ts';
import { createBudgetCaps } from './budget-caps.ts';
import { createLeaseBook, newLease } from './budget-leases.ts';
import { createPostgresAccounting, type PostgresAccountingOptions } from './postgres-accounting.ts';
import { utcMonth } from './utc-month.ts';

const usd = (value: string) => usdToPico(value);

/** Sets caps the way an operator does (audited), in the month of `now`. */
const setCaps = (pool: TestDatabase['pool'], caps: Record<string, string | null>, now = new Date()) =>
  createBudgetCaps({ pool, now: () => now }).applyConfigured(caps, { source: 'cli', name: 'test' });

describe('lease book', () => {
  const policy = { maxLeasePico: usd('1'), freeFraction: 0.1, maxAgeMs: 60_000, idleMs: 2_000 };

  it('sizes leases by the free budget, never below the call', () => {
    const book = createLeaseBook(policy);
    expect(book.sizeFor(usd('0.01'), undefined)).toBe(usd('1'));
    expect(book.sizeFor(usd('0.01'), usd('5'))).toBe(usd('0.5'));
    expect(book.sizeFor(usd('0.01'), usd('0.05'))).toBe(usd('0.01'));
  });

  it('draws until the lease is used up, frees the unused worst case on settle, releases a retired lease when drained', () => {
    const book = createLeaseBook(policy);
    const lease = newLease('openai', '2026-11', usd('1'), 0);
    expect(book.add(lease)).toEqual([]);
    const first = book.draw('openai', '2026-11', usd('0.6'), 1);
    expect(first).toBeDefined();
    expect(book.draw('openai', '2026-11', usd('0.6'), 2)).toBeUndefined();
    expect(book.settle(first?.id ?? '', usd('0.1'))).toEqual({ lease, release: false });
    expect(lease.remainingPico).toBe(usd('0.9'));
    const second = book.draw('openai', '2026-11', usd('0.6'), 3);
    expect(second).toBeDefined();
    const next = newLease('openai', '2026-11', usd('1'), 4);
    expect(book.add(next)).toEqual([]);
    expect(lease.retired).toBe(true);
    expect(book.settle(second?.id ?? '', usd('0.2'))).toEqual({ lease, release: true });
    expect(book.draw('openai', '2026-12', usd('0.1'), 5)).toBeUndefined();
    expect(book.retireStale(10_000, '2026-11')).toEqual([next]);
  });
});

describe('budget leases in Postgres', () => {
  let db: TestDatabase;
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    db = await createTestDatabase({ max: 20 });
  });
  afterAll(async () => {
    for (const close of closers) await close().catch(() => {});
    await db.drop();
  });

  function accounting(options: Partial<PostgresAccountingOptions> = {}) {
    const created = createPostgresAccounting({ pool: db.pool, flushIntervalMs: 5, ...options });
    closers.push(() => created.close());
    return created;
  }

  function row(provider: string, costUsd: string): LedgerRow {
    return {
      id: randomUUID(),
      requestGroup: randomUUID(),
      attempt: 1,
      createdAt: new Date(),
      provider,
      model: 'gpt-4o',
      task: 'generation',
      inputTokens: 100,
      cachedInputTokens: 0,
      outputTokens: 10,
      images: 0,
      usageSource: 'provider',
      costUsd,
      priceVersion: 'test',
      latencyMs: 1,
      status: 'ok',
    };
  }

  async function budget(provider: string) {
    const { rows } = await db.pool.query<{
      limit_usd: string;
      spent_usd: string;
      reserved_usd: string;
      committed: string;
    }>(
      'select limit_usd, spent_usd, reserved_usd, (spent_usd + reserved_usd)::text as committed from llm_budget_months where provider = $1',
      [provider],
    );
    return rows[0];
  }

  async function statementsOfKind(provider: string) {
    const { rows } = await db.pool.query<{ kind: string; n: number }>(
      'select kind, count(*)::int as n from llm_budget_reservations where provider = $1 group by kind',
      [provider],
    );
    return Object.fromEntries(rows.map((entry) => [entry.kind, entry.n]));
  }

  it('serves many concurrent calls of two processes from a few leases, never over the limit, exact after close', async () => {
    const provider = `p-${randomUUID()}`;
    const [a, b] = [accounting(), accounting()];
    await setCaps(db.pool, { [provider]: '10' }); // 2,560 calls at ~$0.00123 spend ~$3.16
    let maxCommitted = 0;
    let running = true;
    const watcher = (async () => {
      while (running) maxCommitted = Math.max(maxCommitted, Number((await budget(provider))?.committed ?? 0));
    })();
    let spentPico = 0n;
    let refused = 0;
    let leasesSeen = 0;
    await Promise.all(
      Array.from({ length: 64 }, async (_, worker) => {
        const acc = worker % 2 === 0 ? a : b;
        for (let call = 0; call < 40; call += 1) {
          const reserved = await acc.reserve({
            provider,
            amountUsd: '0.01',
            holder: `w${worker}`,
            ttlMs: 60_000,
          });
          if (!reserved.ok) {
            refused += 1;
            continue;
          }
          leasesSeen = Math.max(leasesSeen, (await statementsOfKind(provider)).lease ?? 0);
          const cost = '0.001234567891';
          spentPico += usd(cost);
          acc.record(row(provider, cost), reserved.reservation.id);
        }
      }),
    );
    await Promise.all([a.close(), b.close()]);
    running = false;
    await watcher;
    const after = await budget(provider);
    expect(maxCommitted).toBeLessThanOrEqual(10);
    expect(refused).toBe(0);
    expect(after?.spent_usd).toBe(picoToUsd(spentPico));
    expect(after?.reserved_usd).toBe('0.000000000000');
    expect(await statementsOfKind(provider)).toEqual({});
    expect(leasesSeen).toBeGreaterThan(0);
    const { rows } = await db.pool.query<{ n: number }>(
      'select count(*)::int as n from llm_ledger where provider = $1',
      [provider],
    );
    expect(rows[0]?.n).toBe(64 * 40);
  });

  it('settles a lease-drawn row once when its flush is replayed', async () => {
    const provider = `p-${randomUUID()}`;
    const acc = accounting({ flushIntervalMs: 60_000 });
    await setCaps(db.pool, { [provider]: '10' });
    const reserved = await acc.reserve({ provider, amountUsd: '0.5', holder: 'test', ttlMs: 60_000 });
    if (!reserved.ok) throw new Error('refused');
    const charged = row(provider, '0.25');
    acc.record(charged, reserved.reservation.id);
    await acc.flush();
    const { rows } = await db.pool.query<{ id: string; amount_usd: string }>(
      "select id, amount_usd from llm_budget_reservations where provider = $1 and kind = 'lease'",
      [provider],
    );
    const lease = rows[0];
    if (!lease) throw new Error('no lease row');
    expect(lease.amount_usd).toBe('0.750000000000');
    await db.pool.query(
      FLUSH_SQL,
      flushParams([
        { row: charged, reservationId: undefined, leaseId: lease.id, month: utcMonth(charged.createdAt) },
      ]),
    );
    expect(await budget(provider)).toMatchObject({
      spent_usd: '0.250000000000',
      reserved_usd: '0.750000000000',
    });
    await acc.close();
    expect(await budget(provider)).toMatchObject({
      spent_usd: '0.250000000000',
      reserved_usd: '0.000000000000',
    });
  });

  it("reaps a crashed holder's lease at exactly what it had not settled", async () => {
    const own = await createTestDatabase();
    try {
      let clock = new Date();
      const crashed = createPostgresAccounting({ pool: own.pool, flushIntervalMs: 60_000, now: () => clock });
      await setCaps(own.pool, { openai: '10' }, clock);
      const reserved = await crashed.reserve({
        provider: 'openai',
        amountUsd: '0.5',
        holder: 'crashed',
        ttlMs: 60_000,
      });
      if (!reserved.ok) throw new Error('refused');
      crashed.record(row('openai', '0.1'), reserved.reservation.id);
      await crashed.flush();
      // The process dies here: no close(), the lease row stays. Another process reaps it after its TTL.
      clock = new Date(clock.getTime() + 120_000);
      const reaper = createPostgresAccounting({ pool: own.pool, now: () => clock, leases: false });
      expect(await reaper.reapExpired()).toBe(1);
      const { rows } = await own.pool.query<{ spent_usd: string; reserved_usd: string }>(
        "select spent_usd, reserved_usd from llm_budget_months where provider = 'openai'",
      );
      // 0.1 settled + the 0.9 the lease still held: the budget never under-counts a crash.
      expect(rows[0]).toEqual({ spent_usd: '1.000000000000', reserved_usd: '0.000000000000' });
    } finally {
      await own.drop();
    }
  });

  it('falls back to one reservation per call near the limit', async () => {
    const provider = `p-${randomUUID()}`;
    const acc = accounting({ flushIntervalMs: 60_000 });
    await setCaps(db.pool, { [provider]: '0.05' });
    await acc.status();
    const first = await acc.reserve({ provider, amountUsd: '0.02', holder: 'test', ttlMs: 60_000 });
    const second = await acc.reserve({ provider, amountUsd: '0.02', holder: 'test', ttlMs: 60_000 });
    const third = await acc.reserve({ provider, amountUsd: '0.02', holder: 'test', ttlMs: 60_000 });
    expect([first.ok, second.ok, third.ok]).toEqual([true, true, false]);
    expect(await statementsOfKind(provider)).toEqual({ call: 2 });
  });
});
