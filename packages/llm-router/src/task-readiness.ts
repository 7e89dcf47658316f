import type { ErrorCode } from '@aegis/core';
import type { BudgetStatus } from './accounting/accounting.ts';
import type { CircuitBreaker } from './breaker/circuit-breaker.ts';
import type { LocalHealth } from './local-health.ts';
import { usdToPico } from './money.ts';
import type { ProviderAdapter } from './providers/provider.ts';
import type { ChainEntry } from './routing-config.ts';
import type { TaskType } from './types.ts';

/** Whether one entry of a task's chain could take a call right now, and if not, why. */
export interface EntryReadiness {
  provider: string;
  model: string;
  local: boolean;
  ok: boolean;
  /** Why not: PROVIDER_DISABLED (no key), PROVIDER_UNHEALTHY (down, model not pulled, key refused), CIRCUIT_OPEN, BUDGET_EXHAUSTED. */
  code?: ErrorCode | undefined;
  reason?: string | undefined;
  /** For CIRCUIT_OPEN: when a probe may go again (ISO 8601). */
  retryAt?: string | undefined;
}

/** Whether a task (embedding, extraction, vision, generation) can be served right now under the routing mode. */
export interface TaskReadiness {
  task: TaskType;
  /** True when at least one entry of the chain (or the pinned entry) is ready. */
  ok: boolean;
  /** Set when only this provider/model may serve (a knowledge base bound to its embedding model). */
  pinned?: { provider: string; model: string } | undefined;
  entries: EntryReadiness[];
}

export interface TaskReadinessDeps {
  adapters: ReadonlyMap<string, ProviderAdapter>;
  localHealth(adapter: ProviderAdapter, model: string): Promise<LocalHealth>;
  /** A cloud provider answers its (free) model list with this key: reachable and the key accepted. */
  cloudHealth(adapter: ProviderAdapter): Promise<LocalHealth>;
  breaker: CircuitBreaker;
  budgets(): Promise<BudgetStatus[]>;
  isFree(provider: string, model: string): boolean;
  now?: () => number;
}

/**
 * Walks the chain the router would walk for `task`, without calling a model and without taking a breaker
 * probe: provider configured, local model reachable and pulled (or cloud key accepted), breaker not open,
 * budget not spent. This is what `aegis doctor` and `/readyz` report, so both say what the router would do.
 */
export async function taskReadiness(
  deps: TaskReadinessDeps,
  task: TaskType,
  chain: readonly ChainEntry[],
  pin?: { provider: string; model: string },
): Promise<TaskReadiness> {
  const now = deps.now ?? Date.now;
  const budgets = await deps.budgets().then(
    (statuses) => new Map(statuses.map((status) => [status.provider, status])),
    () => undefined,
  );
  const entries = await Promise.all(
    chain.map(async (entry): Promise<EntryReadiness> => {
      const adapter = deps.adapters.get(entry.provider);
      const base = { provider: entry.provider, model: entry.model, local: adapter?.local === true };
      if (!adapter || adapter.disabledReason)
        return {
          ...base,
          ok: false,
          code: 'PROVIDER_DISABLED',
          reason: adapter?.disabledReason ?? `provider ${entry.provider} is not configured`,
        };
      const health = adapter.local
        ? await deps.localHealth(adapter, entry.model)
        : await deps.cloudHealth(adapter);
      if (!health.ok) return { ...base, ok: false, code: 'PROVIDER_UNHEALTHY', reason: health.reason };
      const snapshot = await deps.breaker.snapshot(adapter.breakerKey).catch(() => undefined);
      if (snapshot && snapshot.state !== 'closed' && snapshot.openUntil > now())
        return {
          ...base,
          ok: false,
          code: 'CIRCUIT_OPEN',
          reason: `circuit breaker open after repeated failures`,
          retryAt: new Date(snapshot.openUntil).toISOString(),
        };
      if (!deps.isFree(entry.provider, entry.model)) {
        if (budgets === undefined)
          return {
            ...base,
            ok: false,
            code: 'BUDGET_UNAVAILABLE',
            reason: 'the budget cannot be read (Postgres)',
          };
        const status = budgets.get(entry.provider);
        if (
          status?.limitUsd !== null &&
          status !== undefined &&
          usdToPico(status.spentUsd) + usdToPico(status.reservedUsd) >= usdToPico(status.limitUsd)
        )
          return {
            ...base,
            ok: false,
            code: 'BUDGET_EXHAUSTED',
            reason: `monthly budget spent ($${status.spentUsd} of $${status.limitUsd})`,
          };
      }
      return { ...base, ok: true };
    }),
  );
  const counted = pin
    ? entries.filter((entry) => entry.provider === pin.provider && entry.model === pin.model)
    : entries;
  return { task, ok: counted.some((entry) => entry.ok), ...(pin ? { pinned: pin } : {}), entries };
}

/**
 * Cached reachability of a cloud provider with its key: its model list is free to read, answers 401/403 to a
 * refused key, and fails at the network level when the provider cannot be reached. One request per TTL.
 */
export function createCloudHealth(
  options: { healthyTtlMs?: number; unhealthyTtlMs?: number; timeoutMs?: number; now?: () => number } = {},
): (adapter: ProviderAdapter) => Promise<LocalHealth> {
  const healthyTtlMs = options.healthyTtlMs ?? 60_000;
  const unhealthyTtlMs = options.unhealthyTtlMs ?? 10_000;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { until: number; health: LocalHealth }>();
  const inflight = new Map<string, Promise<LocalHealth>>();
  async function probe(adapter: ProviderAdapter): Promise<LocalHealth> {
    try {
      await adapter.listModels({ signal: AbortSignal.timeout(timeoutMs), timeoutMs });
      return { ok: true };
    } catch (error) {
      const failure = adapter.classify(error);
      const reason =
        failure.httpStatus === 401 || failure.httpStatus === 403
          ? `${adapter.name} refuses the API key (HTTP ${failure.httpStatus})`
          : failure.httpStatus !== undefined
            ? `${adapter.name} answered HTTP ${failure.httpStatus} (${failure.message})`
            : `${adapter.name} is unreachable (${failure.message})`;
      return { ok: false, reason };
    }
  }
  return async (adapter) => {
    const cached = cache.get(adapter.name);
    if (cached && cached.until > now()) return cached.health;
    let pending = inflight.get(adapter.name);
    if (!pending) {
      pending = probe(adapter).finally(() => inflight.delete(adapter.name));
      inflight.set(adapter.name, pending);
    }
    const health = await pending;
    cache.set(adapter.name, { until: now() + (health.ok ? healthyTtlMs : unhealthyTtlMs), health });
    return health;
  };
}
