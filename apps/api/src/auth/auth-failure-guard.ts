import type { Redis } from 'ioredis';

/** Whether an IP may present a credential now. */
export interface AuthFailureVerdict {
  blocked: boolean;
  /** When the window ends, in ms from now (0 when not blocked). */
  retryAfterMs: number;
}

/**
 * Failed authentications per client IP in fixed windows, shared by every API process through Redis. Checked
 * BEFORE a presented key is looked up, so a flood of wrong keys costs one Redis round trip each, never a
 * Postgres query, once the IP is over `max`.
 */
export interface AuthFailureGuard {
  check(ip: string): Promise<AuthFailureVerdict>;
  /** Counts one failed authentication of `ip`. */
  fail(ip: string): Promise<void>;
}

export interface AuthFailureGuardOptions {
  redis: Redis;
  /** Redis key prefix (with the queue prefix's hash tag). */
  namespace: string;
  /** Failures per window before the IP is refused (AUTH_FAILURE_MAX). */
  max: number;
  /** Window length, in ms (AUTH_FAILURE_WINDOW_MS). */
  windowMs: number;
  /** Clock for the in-process fallback; default `Date.now`. */
  now?: (() => number) | undefined;
}

// INCR, and start the window on the first failure only (a later failure must not extend it).
const FAIL_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/** After Redis failed, the fallback alone answers this long: each try costs the connection's command timeout. */
const REDIS_BACKOFF_MS = 2_000;

/**
 * The guard on Redis, with an in-process fallback while Redis fails: losing Redis must neither open the
 * database to a key-guessing flood nor lock every caller out.
 */
export function createAuthFailureGuard(options: AuthFailureGuardOptions): AuthFailureGuard {
  const { redis, max, windowMs } = options;
  const now = options.now ?? Date.now;
  const key = (ip: string): string => `${options.namespace}${ip}`;
  const local = new Map<string, { count: number; resetAt: number }>();
  const localEntry = (ip: string) => {
    const entry = local.get(ip);
    if (entry && entry.resetAt > now()) return entry;
    if (local.size > 100_000) local.clear();
    const fresh = { count: 0, resetAt: now() + windowMs };
    local.set(ip, fresh);
    return fresh;
  };

  let redisFailedAt = Number.NEGATIVE_INFINITY;
  const redisLikelyDown = (): boolean => now() - redisFailedAt < REDIS_BACKOFF_MS;

  return {
    async check(ip) {
      try {
        if (redisLikelyDown()) throw new Error('Redis failed moments ago');
        const [count, ttl] = await Promise.all([redis.get(key(ip)), redis.pttl(key(ip))]);
        if (Number(count ?? 0) >= max) return { blocked: true, retryAfterMs: Math.max(ttl, 0) };
        return { blocked: false, retryAfterMs: 0 };
      } catch {
        if (!redisLikelyDown()) redisFailedAt = now();
        const entry = localEntry(ip);
        return entry.count >= max
          ? { blocked: true, retryAfterMs: entry.resetAt - now() }
          : { blocked: false, retryAfterMs: 0 };
      }
    },
    async fail(ip) {
      localEntry(ip).count++;
      if (redisLikelyDown()) return;
      await redis.eval(FAIL_SCRIPT, 1, key(ip), String(windowMs)).catch(() => {
        redisFailedAt = now();
      });
    },
  };
}
