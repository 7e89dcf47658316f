import type { ErrorCode } from '@aegis/core';
import type { Attribution, TaskType } from '../types.ts';

/** Ledger row status: `reaped` rows are written by the reaper for reservations a crashed process left behind. */
export type LedgerStatus = 'ok' | 'error' | 'cancelled' | 'reaped';

/** One row per upstream attempt (DESIGN.md "Ledger row per attempt"). Money is a 12-decimal USD string. */
export interface LedgerRow {
  id: string;
  /** Shared by every attempt of one router call. */
  requestGroup: string;
  /** 1-based position of this attempt within its group. */
  attempt: number;
  createdAt: Date;
  provider: string;
  model: string;
  task: TaskType;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  /** Part of `outputTokens` spent on reasoning. Default 0. */
  reasoningTokens?: number | undefined;
  images: number;
  usageSource: 'provider' | 'estimated';
  costUsd: string;
  /** Version of the price table the cost was computed with. */
  priceVersion: string;
  latencyMs: number;
  status: LedgerStatus;
  errorCode?: ErrorCode | undefined;
  httpStatus?: number | undefined;
  documentId?: string | undefined;
  stage?: string | undefined;
  userId?: string | undefined;
  /** sha256 of the request content (hex), to spot repeated prompts without storing them. */
  queryHash?: string | undefined;
}

/**
 * A provider's calendar month (UTC) as the budget tables see it. `limitUsd` null = no limit (set so on
 * purpose); a provider no cap was ever stored for shows limit 0. Caps change only through budget-caps.ts.
 */
export interface BudgetStatus {
  provider: string;
  /** `YYYY-MM`, UTC. */
  month: string;
  limitUsd: string | null;
  spentUsd: string;
  reservedUsd: string;
}

export interface Reservation {
  id: string;
  provider: string;
  month: string;
  amountUsd: string;
}

export type ReserveResult =
  | { ok: true; reservation: Reservation; status: BudgetStatus }
  | {
      ok: false;
      status: BudgetStatus;
      /** `not-set`: no cap was ever stored for the provider, so it may spend nothing until one is set. */
      reason: 'exhausted' | 'not-set';
    };

export interface ReserveRequest {
  provider: string;
  /** Worst-case cost of the attempt. */
  amountUsd: string;
  /** Who holds it (process id / router instance), for the reaper's log. */
  holder: string;
  /** After this long the reaper may settle it as spent at its full amount (the holder is presumed dead). */
  ttlMs: number;
  /**
   * Optional: stored with the reservation so that, if the holder dies, the reaper's `reaped` ledger row is
   * attributed to the right request, model, task and document instead of `unknown`.
   */
  context?: ReservationContext | undefined;
}

/** What the attempt a reservation covers is for; every field optional (see {@link ReserveRequest.context}). */
export interface ReservationContext extends Attribution {
  requestGroup?: string | undefined;
  attempt?: number | undefined;
  model?: string | undefined;
  task?: TaskType | undefined;
}

/**
 * A durable record, written before a request leaves, that an attempt is about to reach a provider (ADR 016).
 * The attempt's ledger row (same `id`) settles it; if the holder dies first, the reaper writes that row as
 * `reaped` with its estimate (`usage_source = 'estimated'`): the reservation's worst case (0 USD when free).
 */
export type CallIntent = Pick<
  LedgerRow,
  | 'id'
  | 'requestGroup'
  | 'attempt'
  | 'createdAt'
  | 'provider'
  | 'model'
  | 'task'
  | 'inputTokens'
  | 'outputTokens'
  | 'images'
  | 'costUsd'
  | 'priceVersion'
  | 'documentId'
  | 'stage'
  | 'userId'
  | 'queryHash'
> & {
  /** What `reserve` returned for this attempt (its own reservation or a draw on a budget lease). */
  reservationId?: string | undefined;
  /** `<hostname>:<pid>` of the process making the call. */
  holder: string;
  /** After this long the reaper settles it even if its holder looks alive. */
  ttlMs: number;
};

/**
 * Budgets and the cost ledger, backed by Postgres.
 * `reserve` is synchronous with the database (it is what stops overspending); `record` is write-behind:
 * rows and settlements are batched, retried while Postgres is down, and flushed on `flush`/`close`.
 */
export interface Accounting {
  /**
   * Atomically adds `amountUsd` to the provider's reserved total for the current month if
   * spent + reserved + amount <= limit. Throws `BUDGET_UNAVAILABLE` when Postgres cannot answer.
   */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /**
   * Queues a ledger row. With `reservationId`, the reservation is settled in the same transaction:
   * removed from the reserved total, and the row's cost added to the spent total.
   */
  record(row: LedgerRow, reservationId?: string): void;
  /**
   * Writes the attempt's intent durably (concurrent intents share one statement). Rejects with
   * `BUDGET_UNAVAILABLE` when Postgres cannot take it: then the request must not be sent.
   */
  intend(intent: CallIntent): Promise<void>;
  /** Gives back a reservation whose request was never sent (e.g. its intent could not be written). */
  cancel(reservationId: string): void;
  /** Writes everything queued; rejects with `DATABASE_UNAVAILABLE` if Postgres is still down. */
  flush(): Promise<void>;
  /** Stops the flush timer after a final flush attempt. */
  close(): Promise<void>;
  /**
   * Settles what dead holders left: intents (as `reaped` rows with their estimate) whose holder is a process on
   * this host that no longer runs, or whose ttl or reservation expired; then reservations older than their ttl,
   * at their full amount with a `reaped` row each. `atStart`: this process's own holder name counts as dead
   * too (a previous process with the same name, e.g. pid 1 in a restarted container). Returns how many.
   */
  reapExpired(options?: { atStart?: boolean }): Promise<number>;
  status(): Promise<BudgetStatus[]>;
  /** Called after every settle/reserve that changed a provider's totals (for gauges and the 80% warning). */
  onStatus(listener: (status: BudgetStatus) => void): void;
  /** Rows queued but not yet written (e.g. while Postgres is down). */
  pendingRows(): number;
}
