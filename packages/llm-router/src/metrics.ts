import { counter, gauge, histogram } from '@aegis/observability';
import type { Registry } from 'prom-client';
import type { BudgetStatus, LedgerRow } from './accounting/accounting.ts';
import type { BreakerState } from './breaker/circuit-breaker.ts';
import { picoToNumber, usdToPico } from './money.ts';

/** Seconds; REFERENCE.md's buckets. */
export const LATENCY_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30];

const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export interface RouterMetrics {
  /** Counts one ledger row: called exactly where the row is handed to the ledger, so the two always agree. */
  recordAttempt(row: LedgerRow): void;
  recordSkip(provider: string, reason: string): void;
  /** A call cost more than its reservation (e.g. a thinking model's reasoning beyond the cap), in pico-USD. */
  recordOverrun(provider: string, model: string, overPico: bigint): void;
  recordBudget(status: BudgetStatus): void;
  /** The breaker state this process just observed; counts a transition when it differs from the last one seen. */
  recordBreaker(provider: string, state: BreakerState): { from: BreakerState; changed: boolean };
  /**
   * Creates every labelled series of the configured chain entries at 0 (breakers closed), so dashboards and
   * `rate()`/`increase()` see them from start-up instead of from the first call.
   */
  prime(entries: ReadonlyArray<{ provider: string; model: string; task: string }>): void;
}

/** Error types primed per provider (the lower-cased codes upstream failures are recorded with). */
export const PRIMED_ERROR_TYPES = [
  'provider_unavailable',
  'provider_timeout',
  'provider_rate_limited',
  'provider_connection',
  'provider_rejected',
  'provider_bad_response',
] as const;

/**
 * The router's Prometheus metrics. Counters end in `_total` (Prometheus conventions); the predecessor's names
 * `llm_cost_usd` and `llm_tokens_used` live on as recording rules (deploy/prometheus/recording-rules.yml). Labels never carry users,
 * documents or prompts (unbounded cardinality; attribution lives in the ledger). Idempotent per registry.
 */
export function createRouterMetrics(registry: Registry): RouterMetrics {
  const requests = counter(registry, {
    name: 'llm_requests_total',
    help: 'Upstream LLM attempts (one per ledger row), by provider, model and task type.',
    labelNames: ['provider', 'model', 'task_type'],
  });
  const latency = histogram(registry, {
    name: 'llm_latency_seconds',
    help: 'Latency of upstream LLM attempts in seconds.',
    labelNames: ['provider', 'model'],
    buckets: LATENCY_BUCKETS,
  });
  const cost = counter(registry, {
    name: 'llm_cost_usd_total',
    help: 'Cost of LLM attempts in USD, as written to the ledger.',
    labelNames: ['provider', 'model'],
  });
  const tokens = counter(registry, {
    name: 'llm_tokens_used_total',
    help: 'Tokens by type: input (all prompt tokens), cached_input (the part of input served from cache), output (reasoning included), reasoning (the part of output spent thinking).',
    labelNames: ['provider', 'model', 'token_type'],
  });
  const errors = counter(registry, {
    name: 'llm_errors_total',
    help: 'Failed or cancelled upstream LLM attempts, by error type (the lower-cased error code).',
    labelNames: ['provider', 'error_type'],
  });
  const skips = counter(registry, {
    name: 'llm_route_skips_total',
    help: 'Chain entries skipped without an upstream request (breaker open, budget, disabled, too large for local).',
    labelNames: ['provider', 'reason'],
  });
  const remaining = gauge(registry, {
    name: 'monthly_budget_remaining_usd',
    help: "USD left in the provider's calendar-month budget (limit - spent - reserved).",
    labelNames: ['provider'],
  });
  const spend = gauge(registry, {
    name: 'monthly_spend_usd',
    help: 'USD spent this calendar month (UTC) with the provider, settled calls only.',
    labelNames: ['provider'],
  });
  const budgetUsed = gauge(registry, {
    name: 'monthly_budget_used_ratio',
    help: '(spent + reserved) / limit for providers with a limit; alerting starts at 0.8.',
    labelNames: ['provider'],
  });
  const breakerState = gauge(registry, {
    name: 'llm_circuit_breaker_state',
    help: 'Circuit breaker state as last seen by this process: 0 closed, 1 half-open, 2 open.',
    labelNames: ['provider'],
  });
  const breakerTransitions = counter(registry, {
    name: 'llm_circuit_breaker_transitions_total',
    help: 'Circuit breaker transitions caused by this process, by target state.',
    labelNames: ['provider', 'to'],
  });
  const overruns = counter(registry, {
    name: 'llm_reservation_overrun_usd_total',
    help: 'USD by which calls cost more than the budget reserved for them (usage beyond the output cap, e.g. reasoning).',
    labelNames: ['provider', 'model'],
  });
  const lastBreakerState = new Map<string, BreakerState>();

  return {
    recordAttempt(row) {
      requests.inc({ provider: row.provider, model: row.model, task_type: row.task });
      latency.observe({ provider: row.provider, model: row.model }, row.latencyMs / 1000);
      cost.inc({ provider: row.provider, model: row.model }, picoToNumber(usdToPico(row.costUsd)));
      tokens.inc({ provider: row.provider, model: row.model, token_type: 'input' }, row.inputTokens);
      tokens.inc(
        { provider: row.provider, model: row.model, token_type: 'cached_input' },
        row.cachedInputTokens,
      );
      tokens.inc({ provider: row.provider, model: row.model, token_type: 'output' }, row.outputTokens);
      if (row.reasoningTokens)
        tokens.inc(
          { provider: row.provider, model: row.model, token_type: 'reasoning' },
          row.reasoningTokens,
        );
      if (row.status !== 'ok') {
        errors.inc({ provider: row.provider, error_type: (row.errorCode ?? row.status).toLowerCase() });
      }
    },
    recordSkip(provider, reason) {
      skips.inc({ provider, reason: reason.toLowerCase() });
    },
    recordOverrun(provider, model, overPico) {
      overruns.inc({ provider, model }, picoToNumber(overPico));
    },
    recordBudget(status) {
      const spent = usdToPico(status.spentUsd);
      spend.set({ provider: status.provider }, picoToNumber(spent));
      if (status.limitUsd === null) return;
      const limit = usdToPico(status.limitUsd);
      const committed = spent + usdToPico(status.reservedUsd);
      remaining.set({ provider: status.provider }, picoToNumber(limit - committed));
      budgetUsed.set(
        { provider: status.provider },
        limit === 0n ? 1 : Number((committed * 1_000_000n) / limit) / 1e6,
      );
    },
    prime(entries) {
      const tokenTypes = ['input', 'cached_input', 'output'];
      for (const { provider, model, task } of entries) {
        requests.inc({ provider, model, task_type: task }, 0);
        latency.zero({ provider, model });
        cost.inc({ provider, model }, 0);
        for (const token_type of tokenTypes) tokens.inc({ provider, model, token_type }, 0);
        for (const error_type of PRIMED_ERROR_TYPES) errors.inc({ provider, error_type }, 0);
        if (!lastBreakerState.has(provider)) {
          lastBreakerState.set(provider, 'closed');
          breakerState.set({ provider }, BREAKER_STATE_VALUE.closed);
        }
      }
    },
    recordBreaker(provider, state) {
      const from = lastBreakerState.get(provider) ?? 'closed';
      lastBreakerState.set(provider, state);
      breakerState.set({ provider }, BREAKER_STATE_VALUE[state]);
      if (from !== state) breakerTransitions.inc({ provider, to: state });
      return { from, changed: from !== state };
    },
  };
}
