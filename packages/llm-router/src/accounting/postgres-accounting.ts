import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AegisError } from '@aegis/core';
import type pg from 'pg';
import { picoToUsd, usdToPico } from '../money.ts';
import type { Accounting, BudgetStatus, LedgerRow, ReserveRequest, ReserveResult } from './accounting.ts';
import {
  type BudgetStatusRow,
  CAP_SET_SQL,
  ENSURE_MONTH_SQL,
  FLUSH_SQL,
  flushParams,
  INTENT_HOLDERS_SQL,
  INTENTS_SQL,
  intentParams,
  type QueuedRow,
  REAP_INTENTS_SQL,
  REAP_SQL,
  RELEASE_LEASES_SQL,
  RESERVE_SQL,
  STATUS_SQL,
} from './accounting-sql.ts';
import { createLeaseBook, type LeasePolicy, newLease } from './budget-leases.ts';
import { isUuid, validateLedgerRow } from './ledger-row-validation.ts';
import {
  isConnectionError,
  isDataError,
  type SessionTimeouts,
  toAegisError,
  withSession,
} from './pg-session.ts';
import { RowQueue } from './row-queue.ts';
import { utcMonth } from './utc-month.ts';

export interface PostgresAccountingOptions {
  /**
   * Pool whose connections resolve the ledger tables (search_path). The caller owns it: attach
   * `pool.on('error', ...)` (idle clients that lose their server emit it) and end it after `close()`.
   */
  pool: pg.Pool;
  /** Default holder written on reservations whose request has an empty `holder`. Default `<hostname>:<pid>`. */
  holder?: string | undefined;
  /** Write-behind delay: queued rows are written at most this long after `record`, in ms. Default 25. */
  flushIntervalMs?: number | undefined;
  /** Rows per flush statement; reaching it triggers a flush at once. Default 500. */
  maxBatchRows?: number | undefined;
  /**
   * Cap on rows held in memory while Postgres is down. Beyond it the oldest rows are dropped and counted
   * ({@link PostgresAccounting.droppedRows}); their reservations are later settled by the reaper. Default 100_000.
   */
  maxPendingRows?: number | undefined;
  /** Longest wait between flush retries while Postgres is down, in ms. Default 5_000. */
  maxRetryDelayMs?: number | undefined;
  /** Waiting for a pooled connection before failing with BUDGET_UNAVAILABLE / DATABASE_UNAVAILABLE, in ms. Default 2_000. */
  connectTimeoutMs?: number | undefined;
  /** Client-side limit for one statement, in ms. Default 5_000 (a flush of 500 rows takes a few ms). */
  queryTimeoutMs?: number | undefined;
  /** Clock for months, reservation expiry and the reaper. Default `() => new Date()`. */
  now?: (() => Date) | undefined;
  /** Background flush failures and dropped poison rows. Default: ignored (they also surface from `flush()`). */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Budget leases (see budget-leases.ts): `maxLeaseUsd` (default "1"), `freeFraction` (default 0.1),
   * `maxAgeMs` (default 60000, and at most a quarter of the reservation TTL), `idleMs` (default 2000).
   * `false` reserves every call on its own row (exact but serialised on the budget row).
   */
  leases?:
    | false
    | { maxLeaseUsd?: string; freeFraction?: number; maxAgeMs?: number; idleMs?: number; livenessMs?: number }
    | undefined;
}

/** {@link Accounting} plus the write-behind queue's loss counter. */
export interface PostgresAccounting extends Accounting {
  /**
   * Rows dropped since creation: over `maxPendingRows` during an outage, or rejected by Postgres as
   * invalid data (reported through `onError`).
   */
  droppedRows(): number;
}

const REAP_BATCH = 1000;

/**
 * Budgets and the cost ledger in Postgres. `reserve` is one statement and one round trip in the common
 * case; `record` is write-behind: rows are batched into one statement per flush, kept in order while
 * Postgres is down, and retried with backoff; the SQL makes retries exactly-once (see accounting-sql.ts).
 * `close()` rejects with `DATABASE_UNAVAILABLE` when its final flush fails; `pendingRows()` then tells
 * how many rows were not written. Rows recorded after `close()` are still flushed by the timer.
 */
export function createPostgresAccounting(options: PostgresAccountingOptions): PostgresAccounting {
  const pool = options.pool;
  const holder = options.holder ?? `${hostname()}:${process.pid}`;
  const flushIntervalMs = options.flushIntervalMs ?? 25;
  const maxBatchRows = Math.max(1, options.maxBatchRows ?? 500);
  const maxPendingRows = Math.max(1, options.maxPendingRows ?? 100_000);
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
  const timeouts: SessionTimeouts = {
    connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
    queryTimeoutMs: options.queryTimeoutMs ?? 5_000,
  };
  const now = options.now ?? (() => new Date());
  const onError = options.onError ?? (() => {});
  const listeners: Array<(status: BudgetStatus) => void> = [];
  const leasing = options.leases !== false;
  const leaseOptions = options.leases === false ? {} : (options.leases ?? {});
  const leasePolicy: LeasePolicy = {
    maxLeasePico: usdToPico(leaseOptions.maxLeaseUsd ?? '1'),
    freeFraction: leaseOptions.freeFraction ?? 0.1,
    maxAgeMs: leaseOptions.maxAgeMs ?? 60_000,
    idleMs: leaseOptions.idleMs ?? 2_000,
  };
  const leases = createLeaseBook(leasePolicy);
  /** Last known budget per provider, for lease sizing and the status of in-memory draws. */
  const lastStatus = new Map<string, BudgetStatus>();
  const acquiring = new Map<string, Promise<void>>();
  const pendingReleases: string[] = [];
  let leaseTimer: NodeJS.Timeout | undefined;
  // Lease draws need no database round trip, so a process could keep spending its (safely reserved) lease
  // through an outage without noticing. To refuse paid calls while Postgres is unreachable, draws require a
  // database contact within the last second; at any real call rate the write-behind flushes provide it.
  const livenessMs = leaseOptions.livenessMs ?? 1_000;
  let lastContact = 0;
  let databaseDown = false;
  let pinging: Promise<void> | undefined;

  function contact(ok: boolean): void {
    databaseDown = !ok;
    if (ok) lastContact = Date.now();
  }

  /** A session whose outcome updates what we know about the database's reachability. */
  async function tracked<T>(work: Parameters<typeof withSession<T>>[2]): Promise<T> {
    try {
      const result = await withSession(pool, timeouts, work);
      contact(true);
      return result;
    } catch (error) {
      if (isConnectionError(error)) contact(false);
      throw error;
    }
  }

  async function ensureReachable(): Promise<void> {
    if (!databaseDown && Date.now() - lastContact < livenessMs) return;
    pinging ??= withSession(pool, timeouts, (query) => query('SELECT 1'))
      .then(
        () => contact(true),
        (error: unknown) => {
          contact(false);
          throw error;
        },
      )
      .finally(() => {
        pinging = undefined;
      });
    await pinging;
  }

  /** Intents waiting for the statement in flight: each batch is one INSERT (group commit). */
  type PendingIntent = Parameters<typeof intentParams>[0][number] & {
    resolve: () => void;
    reject: (error: unknown) => void;
  };
  const intentQueue: PendingIntent[] = [];
  let writingIntents = false;

  /** Writes queued intents batch by batch; never throws (each batch's callers get its outcome). */
  async function writeIntents(): Promise<void> {
    while (intentQueue.length > 0) {
      const batch = intentQueue.splice(0, maxBatchRows);
      try {
        await tracked((query) => query(INTENTS_SQL, intentParams(batch), 'aegis_call_intents_v1'));
        for (const pending of batch) pending.resolve();
      } catch (error) {
        const failure = toAegisError(
          error,
          'BUDGET_UNAVAILABLE',
          `recording ${batch.length} calls before dispatch failed`,
        );
        for (const pending of batch) pending.reject(failure);
      }
    }
    // Cleared in the same tick the queue was found empty, so an intent queued after it starts a new writer.
    writingIntents = false;
  }

  /** Holders on this host whose process is gone (kill -9, OOM): their intents need no ttl to be settled. */
  async function deadHolders(atStart: boolean): Promise<string[]> {
    const host = `${hostname()}:`;
    const rows = await withSession(pool, timeouts, async (query) => {
      const result = await query<{ holder: string }>(INTENT_HOLDERS_SQL, [host]);
      return result.rows;
    });
    return rows
      .map((row) => row.holder)
      .filter((name) => (atStart && name === holder) || (name !== holder && !processAlive(name, host)));
  }

  const queue = new RowQueue<QueuedRow>();
  let inFlight = 0;
  let dropped = 0;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  function emit(rows: readonly BudgetStatusRow[]): void {
    for (const row of rows) {
      const status = toStatus(row);
      lastStatus.set(status.provider, status);
      // An operator lowered the cap below what is committed: stop drawing on this process's lease, so its
      // unused part goes back and later calls are checked against the new cap in Postgres.
      if (overCommitted(status)) queueReleases(leases.retireProvider(status.provider));
      for (const listener of listeners) {
        try {
          listener(status);
        } catch (error) {
          onError(error);
        }
      }
    }
  }

  function enforceCap(): void {
    const excess = queue.length + inFlight - maxPendingRows;
    if (excess > 0) dropped += queue.dropFront(excess);
  }

  function schedule(delayMs: number): void {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      backgroundFlush();
    }, delayMs);
    // Pending ledger rows must not keep a finished process alive; `close()` does the final flush.
    timer.unref();
  }

  function backgroundFlush(): void {
    flush().catch((error: unknown) => {
      onError(error);
      failures += 1;
      // Exponential backoff with jitter, so many workers do not reconnect in lockstep after an outage.
      const backoff = Math.min(maxRetryDelayMs, flushIntervalMs * 2 ** failures);
      schedule(backoff * (0.8 + Math.random() * 0.4));
    });
  }

  async function writeBatch(batch: readonly QueuedRow[]): Promise<void> {
    const rows = await tracked(async (query) => {
      const result = await query<BudgetStatusRow>(FLUSH_SQL, flushParams(batch), 'aegis_ledger_flush_v1');
      return result.rows;
    });
    emit(rows);
  }

  /** A batch Postgres rejects as bad data is retried row by row, so one bad row cannot wedge the queue. */
  async function writeIsolated(batch: readonly QueuedRow[]): Promise<void> {
    for (let index = 0; index < batch.length; index += 1) {
      const item = batch[index] as QueuedRow;
      try {
        await writeBatch([item]);
      } catch (error) {
        if (!isDataError(error)) {
          queue.pushFront(batch.slice(index));
          throw error;
        }
        dropped += 1;
        onError(
          new AegisError('VALIDATION_FAILED', `ledger row ${item.row.id} rejected by Postgres; dropped`, {
            cause: error,
            details: { ledgerId: item.row.id },
          }),
        );
      }
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.takeFront(maxBatchRows);
      inFlight = batch.length;
      try {
        try {
          await writeBatch(batch);
        } catch (error) {
          if (!isDataError(error)) {
            queue.pushFront(batch);
            throw error;
          }
          await writeIsolated(batch);
        }
      } catch (error) {
        inFlight = 0;
        enforceCap();
        throw toAegisError(error, 'DATABASE_UNAVAILABLE', `writing ${batch.length} ledger rows failed`);
      } finally {
        inFlight = 0;
      }
    }
    // Every row drawn from a retired lease was queued before its release, so it has been written by now.
    if (pendingReleases.length > 0) {
      const ids = pendingReleases.splice(0);
      try {
        const rows = await tracked(async (query) => {
          const result = await query<BudgetStatusRow>(RELEASE_LEASES_SQL, [ids], 'aegis_release_leases_v1');
          return result.rows;
        });
        emit(rows);
      } catch (error) {
        pendingReleases.unshift(...ids);
        throw toAegisError(error, 'DATABASE_UNAVAILABLE', `releasing ${ids.length} budget leases failed`);
      }
    }
    failures = 0;
  }

  function flush(): Promise<void> {
    // One drain at a time; a flush requested during another runs after it, so it covers rows queued since.
    const run = (flushing ?? Promise.resolve()).catch(() => {}).then(drain);
    const tracked = run.finally(() => {
      if (flushing === tracked) flushing = undefined;
    });
    tracked.catch(() => {});
    flushing = tracked;
    return run;
  }

  async function reserveOnce(
    request: ReserveRequest,
    amountUsd: string,
    kind: 'call' | 'lease' = 'call',
  ): Promise<ReserveResult> {
    const createdAt = now();
    const month = utcMonth(createdAt);
    const context = request.context ?? {};
    const reservationId = randomUUID();
    const values = [
      request.provider,
      month,
      amountUsd,
      reservationId,
      request.holder || holder,
      createdAt.toISOString(),
      new Date(createdAt.getTime() + request.ttlMs).toISOString(),
      isUuid(context.requestGroup) ? context.requestGroup : null,
      context.attempt ?? null,
      context.model ?? null,
      context.task ?? null,
      context.documentId ?? null,
      context.stage ?? null,
      context.userId ?? null,
      kind,
    ];
    const { rows, capSet } = await withSession(pool, timeouts, async (query) => {
      let result = await query<BudgetStatusRow & { ok: boolean }>(
        RESERVE_SQL,
        values,
        'aegis_budget_reserve_v1',
      );
      if (result.rows.length === 0) {
        // First reserve of this provider in this month: create the row lazily, then try again.
        await query(ENSURE_MONTH_SQL, [request.provider, month]);
        result = await query<BudgetStatusRow & { ok: boolean }>(
          RESERVE_SQL,
          values,
          'aegis_budget_reserve_v1',
        );
      }
      // Only a refusal asks whether a cap was ever set, to tell "over the cap" from "no cap set".
      const refused = result.rows[0]?.ok === false;
      const set = refused
        ? (await query<{ set: boolean }>(CAP_SET_SQL, [request.provider])).rows[0]?.set
        : true;
      return { rows: result.rows, capSet: set !== false };
    });
    const row = rows[0];
    if (row === undefined) {
      throw new AegisError('BUDGET_UNAVAILABLE', `budget row for ${request.provider} ${month} vanished`);
    }
    const status = toStatus(row);
    if (!row.ok) return { ok: false, status, reason: capSet ? 'exhausted' : 'not-set' };
    emit([row]);
    return {
      ok: true,
      status,
      reservation: { id: reservationId, provider: request.provider, month, amountUsd },
    };
  }

  function queueReleases(released: ReadonlyArray<{ id: string }>): void {
    if (released.length === 0) return;
    for (const lease of released) pendingReleases.push(lease.id);
    schedule(flushIntervalMs);
  }

  function startLeaseTimer(): void {
    if (leaseTimer) return;
    leaseTimer = setInterval(
      () => queueReleases(leases.retireStale(Date.now(), utcMonth(now()))),
      Math.max(100, leasePolicy.idleMs / 2),
    );
    leaseTimer.unref();
  }

  /** One lease request per provider at a time: concurrent callers wait for it and then draw from it. */
  function acquireLease(request: ReserveRequest, amount: bigint): Promise<void> {
    const pending = acquiring.get(request.provider);
    if (pending) return pending;
    const run = (async () => {
      const status = lastStatus.get(request.provider);
      const free =
        status && status.limitUsd !== null
          ? usdToPico(status.limitUsd) - usdToPico(status.spentUsd) - usdToPico(status.reservedUsd)
          : undefined;
      const size = leases.sizeFor(amount, free);
      // Near the limit a lease would be no bigger than the call: reserve the call itself instead.
      if (size <= amount) return;
      const ttlMs = request.ttlMs;
      const result = await reserveOnce(
        { ...request, ttlMs, context: { model: 'budget-lease' } },
        picoToUsd(size),
        'lease',
      );
      if (!result.ok) return;
      const lease = newLease(
        request.provider,
        result.reservation.month,
        size,
        Date.now(),
        result.reservation.id,
      );
      queueReleases(leases.add(lease));
      startLeaseTimer();
    })().finally(() => acquiring.delete(request.provider));
    acquiring.set(request.provider, run);
    return run;
  }

  function drawn(request: ReserveRequest, amount: bigint): ReserveResult | undefined {
    const month = utcMonth(now());
    const draw = leases.draw(request.provider, month, amount, Date.now());
    if (!draw) return undefined;
    const status = lastStatus.get(request.provider) ?? {
      provider: request.provider,
      month,
      limitUsd: null,
      spentUsd: '0',
      reservedUsd: '0',
    };
    return {
      ok: true,
      status,
      reservation: { id: draw.id, provider: request.provider, month, amountUsd: picoToUsd(amount) },
    };
  }

  return {
    async reserve(request) {
      const amount = usdToPico(request.amountUsd);
      if (amount <= 0n) {
        throw new AegisError(
          'VALIDATION_FAILED',
          `reservation amount must be > 0, got "${request.amountUsd}"`,
        );
      }
      if (!request.provider) throw new AegisError('VALIDATION_FAILED', 'reservation needs a provider');
      if (!Number.isFinite(request.ttlMs) || request.ttlMs <= 0) {
        throw new AegisError('VALIDATION_FAILED', `reservation ttlMs must be > 0, got ${request.ttlMs}`);
      }
      try {
        if (leasing) {
          await ensureReachable();
          let fromLease = drawn(request, amount);
          if (!fromLease) {
            await acquireLease(request, amount);
            fromLease = drawn(request, amount);
          }
          if (fromLease) return fromLease;
        }
        return await reserveOnce(request, picoToUsd(amount));
      } catch (error) {
        throw toAegisError(error, 'BUDGET_UNAVAILABLE', `reserving budget for ${request.provider} failed`);
      }
    },

    record(row: LedgerRow, reservationId?: string) {
      validateLedgerRow(row, reservationId);
      const settled =
        reservationId === undefined ? undefined : leases.settle(reservationId, usdToPico(row.costUsd));
      if (settled) {
        queue.push({
          row,
          reservationId: undefined,
          leaseId: settled.lease.id,
          month: utcMonth(row.createdAt),
        });
        if (settled.release) queueReleases([settled.lease]);
      } else {
        queue.push({ row, reservationId, leaseId: undefined, month: utcMonth(row.createdAt) });
      }
      enforceCap();
      // While retrying after a failure, the backoff timer decides; a full batch must not hammer a dead server.
      if (queue.length >= maxBatchRows && failures === 0 && flushing === undefined) {
        backgroundFlush();
      } else {
        schedule(flushIntervalMs);
      }
    },

    intend(intent) {
      const reservation =
        intent.reservationId === undefined
          ? undefined
          : leases.isDraw(intent.reservationId)
            ? { id: leases.leaseOf(intent.reservationId)?.id ?? intent.reservationId, kind: 'lease' as const }
            : { id: intent.reservationId, kind: 'call' as const };
      return new Promise<void>((resolve, reject) => {
        intentQueue.push({
          intent,
          expiresAt: new Date(intent.createdAt.getTime() + intent.ttlMs),
          reservation,
          resolve,
          reject,
        });
        if (!writingIntents) {
          writingIntents = true;
          void writeIntents();
        }
      });
    },

    cancel(reservationId) {
      if (leases.isDraw(reservationId)) {
        const settled = leases.settle(reservationId, 0n);
        if (settled?.release) queueReleases([settled.lease]);
        return;
      }
      queueReleases([{ id: reservationId }]);
    },

    flush,

    async close() {
      clearTimeout(timer);
      timer = undefined;
      clearInterval(leaseTimer);
      leaseTimer = undefined;
      queueReleases(leases.retireAll());
      clearTimeout(timer);
      timer = undefined;
      await flush();
    },

    async reapExpired(reapOptions) {
      let total = 0;
      try {
        const dead = await deadHolders(reapOptions?.atStart === true);
        for (;;) {
          const [result] = await withSession(pool, timeouts, async (query) => {
            const reaped = await query<{ reaped: number; months: BudgetStatusRow[] }>(REAP_INTENTS_SQL, [
              now().toISOString(),
              REAP_BATCH,
              dead,
            ]);
            return reaped.rows;
          });
          total += result?.reaped ?? 0;
          emit(result?.months ?? []);
          if ((result?.reaped ?? 0) < REAP_BATCH) break;
        }
        for (;;) {
          const rows = await withSession(pool, timeouts, async (query) => {
            const result = await query<BudgetStatusRow & { reaped: number }>(REAP_SQL, [
              now().toISOString(),
              REAP_BATCH,
            ]);
            return result.rows;
          });
          const reaped = rows.reduce((sum, row) => sum + row.reaped, 0);
          total += reaped;
          emit(rows);
          if (reaped < REAP_BATCH) return total;
        }
      } catch (error) {
        throw toAegisError(error, 'DATABASE_UNAVAILABLE', `reaping expired reservations failed`);
      }
    },

    async status() {
      try {
        return await withSession(pool, timeouts, async (query) => {
          const result = await query<BudgetStatusRow>(STATUS_SQL, [utcMonth(now())]);
          return result.rows.map(toStatus);
        });
      } catch (error) {
        throw toAegisError(error, 'BUDGET_UNAVAILABLE', 'reading budget status failed');
      }
    },

    onStatus(listener) {
      listeners.push(listener);
    },

    pendingRows: () => queue.length + inFlight,
    droppedRows: () => dropped,
  };
}

/** Whether `<host>:<pid>` names a live process of this host (EPERM: alive, owned by someone else). */
function processAlive(name: string, host: string): boolean {
  const pid = Number(name.slice(host.length));
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function overCommitted(status: BudgetStatus): boolean {
  if (status.limitUsd === null) return false;
  return usdToPico(status.spentUsd) + usdToPico(status.reservedUsd) > usdToPico(status.limitUsd);
}

function toStatus(row: BudgetStatusRow): BudgetStatus {
  return {
    provider: row.provider,
    month: row.month,
    limitUsd: row.limit_usd,
    spentUsd: row.spent_usd,
    reservedUsd: row.reserved_usd,
  };
}
