import type { BreakerPermit, CircuitBreaker } from './breaker/circuit-breaker.ts';
import type { ProviderAdapter } from './providers/provider.ts';
import type { Logger } from './route-executor.ts';

/** What the breaker helpers need from the executor. */
export interface BreakerDeps {
  breaker: CircuitBreaker;
  logger: Logger;
}

/** Redis trouble must not stop LLM calls: the breaker fails open and says so in the log. */
export async function acquirePermit(deps: BreakerDeps, adapter: ProviderAdapter): Promise<BreakerPermit> {
  try {
    return await deps.breaker.acquire(adapter.breakerKey);
  } catch (error) {
    deps.logger.warn(
      { provider: adapter.name, err: error },
      'circuit breaker unavailable; letting the call through',
    );
    return { allowed: true, probe: false, token: '' };
  }
}

export async function releasePermit(
  deps: BreakerDeps,
  adapter: ProviderAdapter,
  permit: Extract<BreakerPermit, { allowed: true }>,
): Promise<void> {
  if (!permit.probe) return;
  await guardBreaker(deps, adapter, () => deps.breaker.release(adapter.breakerKey, permit.token));
}

export async function guardBreaker(
  deps: BreakerDeps,
  adapter: ProviderAdapter,
  call: () => Promise<unknown>,
): Promise<void> {
  try {
    await call();
  } catch (error) {
    deps.logger.warn({ provider: adapter.name, err: error }, 'circuit breaker update failed');
  }
}
