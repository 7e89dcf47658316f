import { randomUUID } from 'node:crypto';
import { AegisError, abortableSleep, cancelledError, type ErrorCode } from '@aegis/core';
import type { Accounting, LedgerRow } from './accounting/accounting.ts';
import type { BreakerPermit, BreakerState, CircuitBreaker } from './breaker/circuit-breaker.ts';
import { acquirePermit, guardBreaker, releasePermit } from './breaker-guard.ts';
import type { LocalHealth } from './local-health.ts';
import type { RouterMetrics } from './metrics.ts';
import { picoToUsd } from './money.ts';
import { costPico, type ResolvedPrice } from './prices.ts';
import type {
  AttemptContext,
  ProviderAdapter,
  ProviderFailure,
  ProviderUsage,
} from './providers/provider.ts';
import type { ChainEntry } from './routing-config.ts';
import type { AttemptRecord, Attribution, TaskType, Usage } from './types.ts';

/** What one routed operation (a chat, an embedding batch, an image description) needs from the executor. */
export interface RoutedOperation<T> {
  task: TaskType;
  /**
   * Tokenizer estimate of the prompt: decides whether local providers may take it. A function, because
   * tokenizing costs ~7 µs per token on the event loop and only chains with a local entry need it.
   */
  promptTokens(): number;
  /** Input tokens no tokenizer can exceed, given the model's image cost; for the worst-case reservation. */
  inputTokenUpperBound(price: ResolvedPrice): number;
  /** Output cap for this entry (also the output side of the reservation). */
  maxOutputTokens(entry: ChainEntry): number;
  images: number;
  queryHash: string;
  run(
    adapter: ProviderAdapter,
    entry: ChainEntry,
    context: AttemptContext,
  ): Promise<{ value: T; usage: ProviderUsage | undefined }>;
  /** Our own count when the provider reported no usage (marked `estimated`). */
  estimateUsage(value: T): { inputTokens: number; outputTokens: number };
  /**
   * What an attempt may be billed when it failed without a usable reply although the request reached the
   * provider (timeout, cut stream, unreadable reply): the prompt counted, and the output cap.
   */
  estimateBilledFailure(entry: ChainEntry): { inputTokens: number; outputTokens: number };
}

/** The state one router call shares across its operations (e.g. a JSON repair, the batches of an embed). */
export interface CallState {
  requestGroup: string;
  attempts: AttemptRecord[];
  dispatched: number;
  startedAt: number;
}

export interface Logger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface ExecutorDeps {
  adapters: ReadonlyMap<string, ProviderAdapter>;
  prices(provider: string, model: string): ResolvedPrice;
  accounting: Accounting;
  breaker: CircuitBreaker;
  metrics: RouterMetrics;
  logger: Logger;
  localHealth(adapter: ProviderAdapter, model: string): Promise<LocalHealth>;
  /** Called with every breaker state this process observes (permit, verdict), for the gauge and events. */
  observeBreaker(provider: string, state: BreakerState): void;
  localMaxPromptTokens: number;
  requestTimeoutMs: number;
  reservationTtlMs: number;
  holder: string;
  /** Passes over the whole chain before giving up; later passes wait for the earliest breaker to reopen. */
  maxPasses: number;
  /** Longest wait between passes, in ms; a cooldown further away than this ends the call instead. */
  maxWaitMs: number;
  random: () => number;
}

export interface ExecuteInput<T> {
  chain: readonly ChainEntry[];
  operation: RoutedOperation<T>;
  state: CallState;
  attribution: Attribution | undefined;
  signal: AbortSignal | undefined;
}

export interface ExecuteOutput<T> {
  value: T;
  entry: ChainEntry;
  usage: Usage;
  costPico: bigint;
}

type AttemptOutcome<T> =
  | { kind: 'success'; output: ExecuteOutput<T> }
  | { kind: 'skipped'; code: ErrorCode; retryAt?: number | undefined }
  | { kind: 'failed'; failure: ProviderFailure; fallback: boolean };

export function newCallState(): CallState {
  return { requestGroup: randomUUID(), attempts: [], dispatched: 0, startedAt: performance.now() };
}

/** Codes that mean "this entry cannot be used now", as opposed to "the provider failed". */
const BUDGET_CODES: ReadonlySet<ErrorCode> = new Set([
  'BUDGET_EXHAUSTED',
  'BUDGET_NOT_SET',
  'BUDGET_UNAVAILABLE',
]);

/**
 * Walks a chain: for each entry checks that it is enabled, that local entries fit and are healthy, asks the
 * breaker, reserves the worst-case cost, dispatches, and records the attempt in ledger and metrics. Falls
 * through on retryable failures, stops on caller errors and cancellation. This is the router's only retry loop.
 */
export async function executeRoute<T>(deps: ExecutorDeps, input: ExecuteInput<T>): Promise<ExecuteOutput<T>> {
  const { chain, signal } = input;
  if (chain.length === 0) {
    throw new AegisError(
      'NO_ROUTE',
      `no provider in the ${input.operation.task} chain is allowed in this routing mode`,
    );
  }
  let lastFailure: ProviderFailure | undefined;
  for (let pass = 0; pass < deps.maxPasses; pass += 1) {
    const passCodes: ErrorCode[] = [];
    let earliestRetryAt = Number.POSITIVE_INFINITY;
    for (const entry of chain) {
      if (signal?.aborted) throw cancelledError(signal);
      const outcome = await tryEntry(deps, input, entry);
      if (outcome.kind === 'success') return outcome.output;
      if (outcome.kind === 'skipped') {
        passCodes.push(outcome.code);
        if (outcome.retryAt !== undefined) earliestRetryAt = Math.min(earliestRetryAt, outcome.retryAt);
        continue;
      }
      lastFailure = outcome.failure;
      passCodes.push(outcome.failure.code);
      if (!outcome.fallback) {
        throw new AegisError(outcome.failure.code, outcome.failure.message, {
          details: { httpStatus: outcome.failure.httpStatus, attempts: input.state.attempts },
        });
      }
      if (outcome.failure.retryAfterMs !== undefined) {
        earliestRetryAt = Math.min(earliestRetryAt, Date.now() + outcome.failure.retryAfterMs);
      }
    }
    const onlyBudget = passCodes.every((code) => BUDGET_CODES.has(code) || code === 'PROVIDER_DISABLED');
    if (onlyBudget && passCodes.some((code) => BUDGET_CODES.has(code))) {
      const code =
        (['BUDGET_EXHAUSTED', 'BUDGET_NOT_SET'] as const).find((candidate) =>
          passCodes.includes(candidate),
        ) ?? 'BUDGET_UNAVAILABLE';
      throw new AegisError(code, budgetMessage(code, input.operation.task), {
        details: { attempts: input.state.attempts },
      });
    }
    const waitMs = nextPassWait(deps, pass, earliestRetryAt);
    if (waitMs === undefined) break;
    deps.logger.info(
      { task: input.operation.task, waitMs, pass },
      'every provider in the chain is cooling down; waiting',
    );
    await abortableSleep(waitMs, signal);
  }
  const summary = input.state.attempts
    .map(
      (attempt) =>
        `${attempt.provider}:${attempt.model} ${attempt.errorCode ?? attempt.status}${attempt.reason ? ` (${attempt.reason})` : ''}`,
    )
    .join('; ');
  throw new AegisError(
    'NO_PROVIDER_AVAILABLE',
    `no provider could serve the ${input.operation.task} call: ${summary}`,
    {
      cause: lastFailure,
      details: { attempts: input.state.attempts },
    },
  );
}

function budgetMessage(code: ErrorCode, task: TaskType): string {
  if (code === 'BUDGET_EXHAUSTED')
    return `every provider that could serve the ${task} call is over its monthly budget; raise a cap with \`aegis budgets set <provider> <usd>\` or wait for next month`;
  if (code === 'BUDGET_NOT_SET')
    return `no budget cap is set for the paid providers that could serve the ${task} call, so they may spend nothing; set one with \`aegis budgets set <provider> <usd>\``;
  return `Postgres is unreachable, so the ${task} call can neither be recorded in the ledger before it is sent nor have its budget checked; nothing was sent`;
}

function nextPassWait(deps: ExecutorDeps, pass: number, earliestRetryAt: number): number | undefined {
  if (pass + 1 >= deps.maxPasses || !Number.isFinite(earliestRetryAt)) return undefined;
  const untilRetry = Math.max(0, earliestRetryAt - Date.now());
  const backoff = 100 * 2 ** pass * (0.5 + deps.random());
  const wait = Math.max(untilRetry, backoff);
  return wait <= deps.maxWaitMs ? Math.ceil(wait) : undefined;
}

function skipAttempt<T>(
  deps: ExecutorDeps,
  input: ExecuteInput<T>,
  entry: ChainEntry,
  code: ErrorCode,
  reason: string,
  retryAt?: number,
): AttemptOutcome<T> {
  input.state.attempts.push({
    provider: entry.provider,
    model: entry.model,
    kind: 'skipped',
    status: 'skipped',
    errorCode: code,
    reason,
    latencyMs: 0,
  });
  deps.metrics.recordSkip(entry.provider, code);
  return { kind: 'skipped', code, retryAt };
}

async function tryEntry<T>(
  deps: ExecutorDeps,
  input: ExecuteInput<T>,
  entry: ChainEntry,
): Promise<AttemptOutcome<T>> {
  const adapter = deps.adapters.get(entry.provider);
  const skip = (code: ErrorCode, reason: string, retryAt?: number): AttemptOutcome<T> =>
    skipAttempt(deps, input, entry, code, reason, retryAt);
  if (!adapter || adapter.disabledReason) {
    return skip(
      'PROVIDER_DISABLED',
      adapter?.disabledReason ?? `provider ${entry.provider} is not configured`,
    );
  }
  if (adapter.local) {
    const promptTokens = input.operation.promptTokens();
    if (promptTokens > deps.localMaxPromptTokens) {
      return skip(
        'LOCAL_PROMPT_TOO_LARGE',
        `prompt of ~${promptTokens} tokens exceeds the local limit of ${deps.localMaxPromptTokens}`,
      );
    }
    const health = await deps.localHealth(adapter, entry.model);
    if (!health.ok) return skip('PROVIDER_UNHEALTHY', health.reason);
  }

  const permit = await acquirePermit(deps, adapter);
  if (!permit.allowed || permit.probe)
    deps.observeBreaker(entry.provider, permit.allowed ? 'half-open' : permit.state);
  if (!permit.allowed) {
    return skip(
      'CIRCUIT_OPEN',
      `breaker ${permit.state} until ${new Date(permit.retryAt).toISOString()}`,
      permit.retryAt,
    );
  }

  const price = deps.prices(entry.provider, entry.model);
  let reservationId: string | undefined;
  let worst = 0n;
  if (!price.free) {
    worst = costPico(price, {
      inputTokens: input.operation.inputTokenUpperBound(price),
      cachedInputTokens: 0,
      outputTokens: input.operation.maxOutputTokens(entry) + (entry.reasoningTokens ?? 0),
      images: input.operation.images,
    });
    try {
      const reserved = await deps.accounting.reserve({
        provider: entry.provider,
        amountUsd: picoToUsd(worst),
        holder: deps.holder,
        ttlMs: deps.reservationTtlMs,
        context: {
          ...input.attribution,
          requestGroup: input.state.requestGroup,
          attempt: input.state.dispatched + 1,
          model: entry.model,
          task: input.operation.task,
        },
      });
      if (!reserved.ok) {
        await releasePermit(deps, adapter, permit);
        if (reserved.reason === 'not-set') {
          return skip(
            'BUDGET_NOT_SET',
            `no budget cap is set for ${entry.provider}, so it may spend nothing (\`aegis budgets set ${entry.provider} <usd>\`)`,
          );
        }
        return skip(
          'BUDGET_EXHAUSTED',
          `${entry.provider} has spent ${reserved.status.spentUsd} (+${reserved.status.reservedUsd} reserved) of ${reserved.status.limitUsd} USD this month; this call may cost up to ${picoToUsd(worst)}`,
        );
      }
      reservationId = reserved.reservation.id;
    } catch (error) {
      await releasePermit(deps, adapter, permit);
      deps.logger.warn(
        { provider: entry.provider, err: error },
        'budget reservation failed; skipping the paid provider',
      );
      return skip('BUDGET_UNAVAILABLE', 'Postgres is unreachable, so the budget cannot be checked');
    }
  }
  return dispatch(deps, input, entry, adapter, price, permit, { id: reservationId, worst });
}

async function dispatch<T>(
  deps: ExecutorDeps,
  input: ExecuteInput<T>,
  entry: ChainEntry,
  adapter: ProviderAdapter,
  price: ResolvedPrice,
  permit: Extract<BreakerPermit, { allowed: true }>,
  reservation: { id: string | undefined; worst: bigint },
): Promise<AttemptOutcome<T>> {
  const reservationId = reservation.id;
  const { operation, state, signal } = input;
  const timeoutMs = entry.timeoutMs ?? deps.requestTimeoutMs;
  const timeout = AbortSignal.timeout(timeoutMs);
  const attemptSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
  state.dispatched += 1;
  const rowBase = {
    id: randomUUID(),
    requestGroup: state.requestGroup,
    attempt: state.dispatched,
    createdAt: new Date(),
    provider: entry.provider,
    model: entry.model,
    task: operation.task,
    images: operation.images,
    priceVersion: price.version,
    documentId: input.attribution?.documentId,
    stage: input.attribution?.stage,
    userId: input.attribution?.userId,
    queryHash: operation.queryHash,
  };
  // The ledger is the bill (ADR 016): before the request leaves, a durable intent says it is about to, with
  // the reservation's estimate, so that a process killed mid-call still leaves its row. No intent, no request.
  // The in-process static embedder reaches no provider and bills nothing, so it needs none.
  if (adapter.kind !== 'static') {
    try {
      await deps.accounting.intend({
        id: rowBase.id,
        requestGroup: rowBase.requestGroup,
        attempt: rowBase.attempt,
        createdAt: rowBase.createdAt,
        provider: entry.provider,
        model: entry.model,
        task: operation.task,
        inputTokens: operation.inputTokenUpperBound(price),
        outputTokens: operation.maxOutputTokens(entry) + (entry.reasoningTokens ?? 0),
        images: operation.images,
        costUsd: picoToUsd(reservation.worst),
        priceVersion: price.version,
        reservationId,
        holder: deps.holder,
        ttlMs: deps.reservationTtlMs,
        documentId: rowBase.documentId,
        stage: rowBase.stage,
        userId: rowBase.userId,
        queryHash: rowBase.queryHash,
      });
    } catch (error) {
      state.dispatched -= 1;
      if (reservationId !== undefined) deps.accounting.cancel(reservationId);
      await releasePermit(deps, adapter, permit);
      deps.logger.warn(
        { provider: entry.provider, err: error },
        'the call could not be recorded before dispatch; not sending it',
      );
      return skipAttempt(
        deps,
        input,
        entry,
        'BUDGET_UNAVAILABLE',
        'Postgres is unreachable, so the call cannot be recorded before it is sent',
      );
    }
  }
  const started = performance.now();
  try {
    const { value, usage: reported } = await operation.run(adapter, entry, {
      signal: attemptSignal,
      timeoutMs,
      requestId: rowBase.id,
    });
    const latencyMs = Math.round(performance.now() - started);
    const usage: Usage = reported
      ? { ...reported, images: operation.images, source: 'provider' }
      : {
          ...operation.estimateUsage(value),
          cachedInputTokens: 0,
          reasoningTokens: 0,
          images: operation.images,
          source: 'estimated',
        };
    const cost = costPico(price, usage);
    if (reservationId !== undefined && cost > reservation.worst) {
      // The bill is what the provider says, so it is charged in full; the cap may be passed by the overrun,
      // which is reported (metric and log) so that the entry's `reasoningTokens` can be sized for it.
      deps.metrics.recordOverrun(entry.provider, entry.model, cost - reservation.worst);
      deps.logger.warn(
        {
          provider: entry.provider,
          model: entry.model,
          reservedUsd: picoToUsd(reservation.worst),
          costUsd: picoToUsd(cost),
          outputTokens: usage.outputTokens,
          reasoningTokens: usage.reasoningTokens,
        },
        'the call cost more than its reservation; raise the chain entry reasoningTokens or maxOutputTokens',
      );
    }
    const row: LedgerRow = {
      ...rowBase,
      inputTokens: usage.inputTokens,
      cachedInputTokens: usage.cachedInputTokens,
      outputTokens: usage.outputTokens,
      reasoningTokens: usage.reasoningTokens,
      usageSource: usage.source,
      costUsd: picoToUsd(cost),
      latencyMs,
      status: 'ok',
    };
    writeRow(deps, row, reservationId);
    state.attempts.push({
      provider: entry.provider,
      model: entry.model,
      kind: 'dispatched',
      status: 'ok',
      latencyMs,
      ledgerId: row.id,
      usage,
      costUsd: row.costUsd,
    });
    // A probe's verdict decides the shared state, so it is awaited; a normal success is sent without waiting.
    if (permit.clean) return { kind: 'success', output: { value, entry, usage, costPico: cost } };
    const verdict = guardBreaker(deps, adapter, async () => {
      deps.observeBreaker(
        entry.provider,
        (await deps.breaker.recordSuccess(adapter.breakerKey, permit.token)).state,
      );
    });
    if (permit.probe) await verdict;
    return { kind: 'success', output: { value, entry, usage, costPico: cost } };
  } catch (error) {
    const latencyMs = Math.round(performance.now() - started);
    const cancelled = signal?.aborted === true;
    const status = cancelled ? 'cancelled' : 'error';
    const failure: ProviderFailure = cancelled
      ? { code: 'CANCELLED', message: 'the call was cancelled by its caller' }
      : timeout.aborted
        ? {
            code: 'PROVIDER_TIMEOUT',
            breakerKind: 'timeout',
            message: `${entry.provider} did not answer within ${timeoutMs} ms`,
          }
        : adapter.classify(error);
    const fallback =
      !cancelled &&
      (failure.code !== 'PROVIDER_REJECTED' ||
        (failure.httpStatus !== undefined && (entry.fallbackOnStatus ?? []).includes(failure.httpStatus)));
    // An error status (429, 5xx, 4xx) is not billed, so its reservation is released at cost 0. Any other failure
    // after the request went out (timeout, caller abort, cut stream, unreadable reply) may have been billed:
    // the provider may have finished the work. It is charged our estimate, marked `estimated`.
    const billed = mayBeBilled(failure, error) ? operation.estimateBilledFailure(entry) : undefined;
    const estimate = {
      inputTokens: billed?.inputTokens ?? 0,
      cachedInputTokens: 0,
      outputTokens: billed?.outputTokens ?? 0,
      reasoningTokens: 0,
      images: billed ? operation.images : 0,
    };
    const estimatedCost = billed ? costPico(price, estimate) : 0n;
    const row: LedgerRow = {
      ...rowBase,
      ...estimate,
      images: operation.images,
      usageSource: 'estimated',
      costUsd: picoToUsd(estimatedCost),
      latencyMs,
      status,
      errorCode: failure.code,
      httpStatus: failure.httpStatus,
    };
    writeRow(deps, row, reservationId);
    state.attempts.push({
      provider: entry.provider,
      model: entry.model,
      kind: 'dispatched',
      status,
      errorCode: failure.code,
      reason: failure.message,
      httpStatus: failure.httpStatus,
      latencyMs,
      ledgerId: row.id,
      ...(billed ? { usage: { ...estimate, source: 'estimated' as const }, costUsd: row.costUsd } : {}),
    });
    if (failure.breakerKind) {
      const kind = failure.breakerKind;
      await guardBreaker(deps, adapter, async () => {
        const snapshot = await deps.breaker.recordFailure(adapter.breakerKey, permit.token, {
          kind,
          retryAfterMs: failure.retryAfterMs,
        });
        deps.observeBreaker(entry.provider, snapshot.state);
      });
    } else {
      await releasePermit(deps, adapter, permit);
    }
    if (cancelled && signal) throw cancelledError(signal);
    deps.logger.warn(
      {
        provider: entry.provider,
        model: entry.model,
        code: failure.code,
        httpStatus: failure.httpStatus,
        latencyMs,
      },
      failure.message,
    );
    return { kind: 'failed', failure, fallback };
  }
}

/** Connection errors that mean the request never left this machine (nothing reached the provider). */
const NOT_SENT = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/;

/** Whether a failed attempt may still be billed: no error status came back, and the request was sent. */
export function mayBeBilled(failure: ProviderFailure, error: unknown): boolean {
  if (failure.httpStatus !== undefined) return false;
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT.test(code)) return false;
    cause = cause.cause;
  }
  return true;
}

function writeRow(deps: ExecutorDeps, row: LedgerRow, reservationId: string | undefined): void {
  deps.accounting.record(row, reservationId);
  deps.metrics.recordAttempt(row);
}
