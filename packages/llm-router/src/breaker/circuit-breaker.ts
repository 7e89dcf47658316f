/** Breaker states: `closed` lets calls through, `open` refuses them, `half-open` lets exactly one probe through. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why an upstream attempt failed, as far as the breaker cares. */
export type BreakerFailureKind = 'rate-limit' | 'server' | 'timeout' | 'connection';

export interface BreakerFailure {
  kind: BreakerFailureKind;
  /** The server's own hint (`retry-after-ms` / `retry-after`), in milliseconds from now. */
  retryAfterMs?: number | undefined;
}

export type BreakerPermit =
  | {
      allowed: true;
      /** This call is the single half-open probe; its outcome decides the state. */
      probe: boolean;
      token: string;
      /**
       * The breaker was closed with no failures counted, so a success would change nothing and the router does
       * not report it (one Redis call saved per call). Failures are always reported.
       */
      clean?: boolean | undefined;
    }
  | {
      allowed: false;
      state: 'open' | 'half-open';
      /** Epoch ms when a probe may next be tried. */
      retryAt: number;
    };

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  /** How many times in a row the breaker has opened without a successful probe; drives the backoff. */
  openCount: number;
  /** Epoch ms; 0 when closed. */
  openUntil: number;
}

/**
 * A circuit breaker shared by every process that uses the same key (provider + API key).
 * All decisions are made atomically where the state lives, so two routers never both probe.
 */
export interface CircuitBreaker {
  /** Asks whether a call may go upstream now; a half-open breaker grants one probe at a time. */
  acquire(key: string): Promise<BreakerPermit>;
  /** The attempt succeeded: closes a half-open breaker and resets the failure count. */
  recordSuccess(key: string, token: string): Promise<BreakerSnapshot>;
  /**
   * The attempt failed: counts it and opens the breaker when the failure is a rate limit or the threshold
   * is reached. The cooldown is max(server hint, jittered backoff) and never shortens an existing one.
   */
  recordFailure(key: string, token: string, failure: BreakerFailure): Promise<BreakerSnapshot>;
  /** The attempt ended without a verdict (cancelled, or a caller error): frees a probe slot, changes nothing else. */
  release(key: string, token: string): Promise<void>;
  snapshot(key: string): Promise<BreakerSnapshot>;
}

export interface BreakerPolicy {
  /** Consecutive non-rate-limit failures that open the breaker. Default 3. */
  failureThreshold: number;
  /** First cooldown when no server hint is longer, in ms. Doubles with each consecutive open. Default 1000. */
  baseCooldownMs: number;
  /**
   * Upper bound of the backoff part of the cooldown before jitter, in ms (so at most `maxCooldownMs * (1 + jitter)`;
   * a longer server hint still wins). Default 60000.
   */
  maxCooldownMs: number;
  /** Jitter applied to the backoff, as a fraction (0.2 = +-20%). Default 0.2. */
  jitter: number;
  /** How long a half-open probe may hold its slot before another caller may probe, in ms. Default 30000. */
  probeLeaseMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  failureThreshold: 3,
  baseCooldownMs: 1_000,
  maxCooldownMs: 60_000,
  jitter: 0.2,
  probeLeaseMs: 30_000,
};
