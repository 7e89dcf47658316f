import { randomUUID } from 'node:crypto';
import { AegisError } from '@aegis/core';
import type { Cluster, Redis } from 'ioredis';
import { ACQUIRE_LUA, FAILURE_LUA, RELEASE_LUA, SUCCESS_LUA } from './breaker-scripts.ts';
import type {
  BreakerFailure,
  BreakerPolicy,
  BreakerSnapshot,
  BreakerState,
  CircuitBreaker,
} from './circuit-breaker.ts';
import { DEFAULT_BREAKER_POLICY } from './circuit-breaker.ts';

/** Called in the process whose call caused a state change, after Redis committed it. */
export type BreakerTransitionListener = (
  key: string,
  from: BreakerState,
  to: BreakerState,
  snapshot: BreakerSnapshot,
) => void;

export interface RedisCircuitBreakerOptions {
  /**
   * The ioredis client (or cluster) that holds breaker state. Scripts are registered on it with
   * `defineCommand`, so they run by EVALSHA and are re-sent by ioredis after a `SCRIPT FLUSH` or failover.
   */
  redis: Redis | Cluster;
  /**
   * Prepended to every key: state for `key` lives in the hash `${prefix}breaker:${key}`. Use a hash-tagged
   * prefix (e.g. `{aegis}:`) on Redis Cluster; each script touches one key, so any prefix works.
   */
  prefix: string;
  /** Overrides of {@link DEFAULT_BREAKER_POLICY}. */
  policy?: Partial<BreakerPolicy> | undefined;
  /**
   * Source of the jitter, in [0, 1). Default `Math.random`. Pin it in tests to get exact cooldowns.
   * It is drawn in this process and sent to Redis so the scripts stay deterministic given their arguments.
   */
  random?: (() => number) | undefined;
  /**
   * Reports every transition (for a Prometheus gauge and a log line). Only the process that caused it is
   * told. Errors it throws are swallowed: the transition has already happened in Redis, and failing the
   * caller's breaker call would leak a probe slot until its lease expires.
   */
  onTransition?: BreakerTransitionListener | undefined;
  /**
   * How long a key's hash outlives its last timer (cooldown or probe lease), in ms. Default 86 400 000 (1 day).
   * Long enough that a provider's failure history survives quiet periods, short enough that keys of rotated
   * API keys disappear on their own.
   */
  idleTtlMs?: number | undefined;
}

type ScriptCommand = (key: string, ...args: (string | number)[]) => Promise<unknown>;

// Versioned so that a process running older Lua on a shared client never picks up another version's script.
const COMMANDS = {
  acquire: ['aegisBreakerAcquireV1', ACQUIRE_LUA],
  success: ['aegisBreakerSuccessV1', SUCCESS_LUA],
  failure: ['aegisBreakerFailureV1', FAILURE_LUA],
  release: ['aegisBreakerReleaseV1', RELEASE_LUA],
} as const;

const DAY_MS = 86_400_000;

/**
 * A {@link CircuitBreaker} whose state lives in Redis, shared by every process using the same prefix.
 * Each call is one atomic script run (one round trip); time is Redis server time.
 *
 * @throws AegisError `CONFIG_INVALID` when the policy is out of range.
 */
export function createRedisCircuitBreaker(options: RedisCircuitBreakerOptions): CircuitBreaker {
  const { redis, prefix, onTransition } = options;
  const policy = resolvePolicy(options.policy);
  const random = options.random ?? Math.random;
  const idleTtlMs = options.idleTtlMs ?? DAY_MS;
  if (!(Number.isInteger(idleTtlMs) && idleTtlMs > 0)) {
    throw new AegisError('CONFIG_INVALID', `breaker idleTtlMs must be a positive integer, got ${idleTtlMs}`);
  }

  const acquireScript = defineScript(redis, ...COMMANDS.acquire);
  const successScript = defineScript(redis, ...COMMANDS.success);
  const failureScript = defineScript(redis, ...COMMANDS.failure);
  const releaseScript = defineScript(redis, ...COMMANDS.release);
  const redisKey = (key: string): string => `${prefix}breaker:${key}`;

  const report = (key: string, reply: Reply): BreakerSnapshot => {
    const snapshot = reply.snapshot;
    if (onTransition && reply.from !== reply.to) {
      try {
        onTransition(key, reply.from, reply.to, snapshot);
      } catch {
        // See RedisCircuitBreakerOptions.onTransition.
      }
    }
    return snapshot;
  };

  return {
    async acquire(key) {
      const token = randomUUID();
      const raw = await acquireScript(redisKey(key), token, policy.probeLeaseMs, idleTtlMs);
      const reply = parseReply(raw);
      report(key, reply);
      const verdict = reply.extra[0];
      if (verdict === 1 || verdict === 2) {
        const clean = reply.to === 'closed' && reply.snapshot.consecutiveFailures === 0;
        return { allowed: true, probe: verdict === 2, token, clean };
      }
      const state = reply.to === 'half-open' ? 'half-open' : 'open';
      return { allowed: false, state, retryAt: reply.extra[1] ?? 0 };
    },

    async recordSuccess(key, token) {
      return report(key, parseReply(await successScript(redisKey(key), token)));
    },

    async recordFailure(key, token, failure: BreakerFailure) {
      const raw = await failureScript(
        redisKey(key),
        token,
        failure.kind === 'rate-limit' ? '1' : '0',
        hintArg(failure.retryAfterMs),
        clamp01(random()),
        policy.failureThreshold,
        policy.baseCooldownMs,
        policy.maxCooldownMs,
        policy.jitter,
        idleTtlMs,
      );
      return report(key, parseReply(raw));
    },

    async release(key, token) {
      await releaseScript(redisKey(key), token);
    },

    async snapshot(key) {
      const [state, failures, opens, openUntil] = await redis.hmget(
        redisKey(key),
        'state',
        'consecutiveFailures',
        'openCount',
        'openUntil',
      );
      const parsed = parseState(state);
      return {
        state: parsed,
        consecutiveFailures: toInt(failures),
        openCount: toInt(opens),
        openUntil: parsed === 'closed' ? 0 : toInt(openUntil),
      };
    },
  };
}

function resolvePolicy(overrides: Partial<BreakerPolicy> | undefined): BreakerPolicy {
  const policy: BreakerPolicy = { ...DEFAULT_BREAKER_POLICY };
  // Explicit `undefined` in the overrides means "use the default", as with every other options object here.
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (value !== undefined) policy[name as keyof BreakerPolicy] = value;
  }
  const problems: string[] = [];
  if (!(Number.isInteger(policy.failureThreshold) && policy.failureThreshold >= 1)) {
    problems.push('failureThreshold must be an integer >= 1');
  }
  if (!(Number.isFinite(policy.baseCooldownMs) && policy.baseCooldownMs >= 0)) {
    problems.push('baseCooldownMs must be a finite number >= 0');
  }
  if (!(Number.isFinite(policy.maxCooldownMs) && policy.maxCooldownMs >= policy.baseCooldownMs)) {
    problems.push('maxCooldownMs must be a finite number >= baseCooldownMs');
  }
  if (!(Number.isFinite(policy.jitter) && policy.jitter >= 0 && policy.jitter < 1)) {
    problems.push('jitter must be in [0, 1)');
  }
  if (!(Number.isInteger(policy.probeLeaseMs) && policy.probeLeaseMs >= 1)) {
    problems.push('probeLeaseMs must be an integer >= 1');
  }
  if (problems.length > 0) {
    throw new AegisError('CONFIG_INVALID', `invalid breaker policy: ${problems.join('; ')}`, {
      details: { policy },
    });
  }
  return policy;
}

function defineScript(redis: Redis | Cluster, name: string, lua: string): ScriptCommand {
  redis.defineCommand(name, { numberOfKeys: 1, lua });
  // defineCommand adds the method at run time; ioredis's types cannot know its name.
  const command = (redis as unknown as Record<string, ScriptCommand | undefined>)[name];
  if (typeof command !== 'function') {
    throw new AegisError('INTERNAL', `ioredis did not define the ${name} command`);
  }
  return command.bind(redis);
}

interface Reply {
  from: BreakerState;
  to: BreakerState;
  snapshot: BreakerSnapshot;
  /** Script-specific trailing values. */
  extra: number[];
}

function parseReply(raw: unknown): Reply {
  if (!Array.isArray(raw) || raw.length < 5) {
    throw new AegisError('INTERNAL', 'unexpected reply from a breaker script', { details: { raw } });
  }
  const [from, to, failures, opens, openUntil, ...extra] = raw as unknown[];
  const state = parseState(to);
  return {
    from: parseState(from),
    to: state,
    snapshot: {
      state,
      consecutiveFailures: toInt(failures),
      openCount: toInt(opens),
      openUntil: state === 'closed' ? 0 : toInt(openUntil),
    },
    extra: extra.map(toInt),
  };
}

function parseState(value: unknown): BreakerState {
  // A missing hash (or one this version does not understand) reads as closed, as the scripts do.
  return value === 'open' || value === 'half-open' ? value : 'closed';
}

function toInt(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value ?? 0);
  return Number.isFinite(n) ? n : 0;
}

function hintArg(retryAfterMs: number | undefined): string {
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) return '';
  // Whole ms, rounded up: waiting a fraction of a ms too long is harmless, too short earns another 429.
  return String(Math.ceil(retryAfterMs));
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0.5;
}
