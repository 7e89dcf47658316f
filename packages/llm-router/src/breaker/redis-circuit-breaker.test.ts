import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type {
  BreakerPermit,
  BreakerPolicy,
  BreakerSnapshot,
  BreakerState,
  CircuitBreaker,
} from './circuit-breaker.ts';
import { createRedisCircuitBreaker } from './redis-circuit-breaker.ts';

const REDIS_URL = process.env.AEGIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// Two connections stand in for two router processes sharing one Redis.
let redisA: Redis;
let redisB: Redis;
const usedKeys: string[] = [];

beforeAll(() => {
  redisA = new Redis(REDIS_URL, { lazyConnect: false });
  redisB = new Redis(REDIS_URL, { lazyConnect: false });
});

afterEach(async () => {
  if (usedKeys.length > 0) await redisA.del(...usedKeys.splice(0));
});

afterAll(async () => {
  await Promise.all([redisA.quit(), redisB.quit()]);
});

interface Transition {
  key: string;
  from: BreakerState;
  to: BreakerState;
  snapshot: BreakerSnapshot;
}

interface Setup {
  key: string;
  prefix: string;
  breaker: CircuitBreaker;
  transitions: Transition[];
  /** A second breaker on another connection with the same prefix: another process. */
  other(): CircuitBreaker;
}

// random 0.5 gives a jitter factor of exactly 1, so cooldowns equal the un-jittered backoff.
function setup(policy: Partial<BreakerPolicy> = {}, random: () => number = () => 0.5): Setup {
  const prefix = `test:breaker:${randomUUID()}:`;
  const key = 'openai:key-1';
  usedKeys.push(`${prefix}breaker:${key}`);
  const transitions: Transition[] = [];
  const breaker = createRedisCircuitBreaker({
    redis: redisA,
    prefix,
    policy,
    random,
    onTransition: (k, from, to, snapshot) => transitions.push({ key: k, from, to, snapshot }),
  });
  return {
    key,
    prefix,
    breaker,
    transitions,
    other: () => createRedisCircuitBreaker({ redis: redisB, prefix, policy, random }),
  };
}

async function redisNow(redis: Redis = redisA): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

/** Polls Redis's clock (not ours) until it has passed `epochMs`; bounded so a bug fails instead of hanging. */
async function untilRedisTimePasses(epochMs: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await redisNow()) > epochMs) return;
    await delay(2);
  }
  throw new Error(`Redis time never passed ${epochMs}`);
}

function expectAllowed(permit: BreakerPermit): asserts permit is Extract<BreakerPermit, { allowed: true }> {
  expect(permit.allowed).toBe(true);
}

/** Opens the breaker with a rate limit and waits until its cooldown is over; returns the probe permit. */
async function openAndAwaitProbe(
  s: Setup,
  retryAfterMs = 30,
): Promise<Extract<BreakerPermit, { allowed: true }>> {
  const opened = await s.breaker.recordFailure(s.key, 'any', { kind: 'rate-limit', retryAfterMs });
  await untilRedisTimePasses(opened.openUntil);
  const permit = await s.breaker.acquire(s.key);
  expectAllowed(permit);
  expect(permit.probe).toBe(true);
  return permit;
}

describe('createRedisCircuitBreaker', () => {
  it('starts closed and lets calls through without writing state', async () => {
    const s = setup();
    const permit = await s.breaker.acquire(s.key);
    expect(permit).toEqual({ allowed: true, probe: false, clean: true, token: expect.any(String) });
    expect(await s.breaker.snapshot(s.key)).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      openCount: 0,
      openUntil: 0,
    });
    expect(await redisA.exists(`${s.prefix}breaker:${s.key}`)).toBe(0);
  });

  it('hands out a distinct token per permit', async () => {
    const s = setup();
    const a = await s.breaker.acquire(s.key);
    const b = await s.breaker.acquire(s.key);
    expectAllowed(a);
    expectAllowed(b);
    expect(a.token).not.toBe(b.token);
  });

  it('counts server failures and opens at the threshold', async () => {
    const s = setup({ failureThreshold: 3, baseCooldownMs: 1000 });
    await s.breaker.recordFailure(s.key, 't', { kind: 'server' });
    const second = await s.breaker.recordFailure(s.key, 't', { kind: 'timeout' });
    expect(second).toMatchObject({ state: 'closed', consecutiveFailures: 2, openCount: 0, openUntil: 0 });
    expect((await s.breaker.acquire(s.key)).allowed).toBe(true);

    const before = await redisNow();
    const third = await s.breaker.recordFailure(s.key, 't', { kind: 'connection' });
    expect(third).toMatchObject({ state: 'open', consecutiveFailures: 3, openCount: 1 });
    expect(third.openUntil).toBeGreaterThanOrEqual(before + 1000);

    const denied = await s.breaker.acquire(s.key);
    expect(denied).toEqual({ allowed: false, state: 'open', retryAt: third.openUntil });
    expect(await s.breaker.snapshot(s.key)).toEqual(third);
  });

  it('resets the failure count on a success while closed', async () => {
    const s = setup({ failureThreshold: 2 });
    await s.breaker.recordFailure(s.key, 't', { kind: 'server' });
    const closed = await s.breaker.recordSuccess(s.key, 't');
    expect(closed).toEqual({ state: 'closed', consecutiveFailures: 0, openCount: 0, openUntil: 0 });
    const again = await s.breaker.recordFailure(s.key, 't', { kind: 'server' });
    expect(again.state).toBe('closed');
    expect(s.transitions).toEqual([]);
  });

  it('opens at once on a rate limit, with the server hint as cooldown when it beats the backoff', async () => {
    const s = setup({ failureThreshold: 5, baseCooldownMs: 1000 });
    const before = await redisNow();
    const snap = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 5000 });
    const after = await redisNow();
    expect(snap).toMatchObject({ state: 'open', consecutiveFailures: 1, openCount: 1 });
    expect(snap.openUntil).toBeGreaterThanOrEqual(before + 5000);
    expect(snap.openUntil).toBeLessThanOrEqual(after + 5000);
  });

  it('uses the backoff when the rate-limit hint is shorter or missing', async () => {
    const s = setup({ baseCooldownMs: 1000 });
    const before = await redisNow();
    const snap = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 10 });
    const after = await redisNow();
    expect(snap.openUntil).toBeGreaterThanOrEqual(before + 1000);
    expect(snap.openUntil).toBeLessThanOrEqual(after + 1000);
  });

  it('computes openUntil with Redis server time, not the client clock', async () => {
    const s = setup({ baseCooldownMs: 2000 });
    // A client whose clock is years off must still produce the same openUntil as every other process.
    const spy = vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2001, 0, 1));
    try {
      const before = await redisNow();
      const snap = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit' });
      const after = await redisNow();
      expect(snap.openUntil).toBeGreaterThanOrEqual(before + 2000);
      expect(snap.openUntil).toBeLessThanOrEqual(after + 2000);
    } finally {
      spy.mockRestore();
    }
  });

  describe('backoff', () => {
    it('doubles with each consecutive open and is capped', async () => {
      const s = setup({ baseCooldownMs: 20, maxCooldownMs: 50, probeLeaseMs: 10_000, failureThreshold: 1 });
      const cooldowns: number[] = [];
      for (let i = 0; i < 4; i++) {
        // The first open comes from the closed state; the rest from failing probes.
        let token = 'first';
        if (i > 0) {
          const probe = await s.breaker.acquire(s.key);
          expectAllowed(probe);
          expect(probe.probe).toBe(true);
          token = probe.token;
        }
        const before = await redisNow();
        const snap = await s.breaker.recordFailure(s.key, token, { kind: 'server' });
        const after = await redisNow();
        expect(snap.openCount).toBe(i + 1);
        cooldowns.push(snap.openUntil - before);
        expect(snap.openUntil - after).toBeLessThanOrEqual([20, 40, 50, 50][i] ?? 0);
        await untilRedisTimePasses(snap.openUntil);
      }
      expect(cooldowns[0]).toBeGreaterThanOrEqual(20);
      expect(cooldowns[1]).toBeGreaterThanOrEqual(40);
      expect(cooldowns[2]).toBeGreaterThanOrEqual(50);
      expect(cooldowns[3]).toBeGreaterThanOrEqual(50);
    });

    it.each([
      [0, 800],
      [1, 1200],
      [0.25, 900],
    ])('applies jitter from the supplied random (%d -> %d ms)', async (random, expected) => {
      const s = setup({ baseCooldownMs: 1000, jitter: 0.2 }, () => random);
      const before = await redisNow();
      const snap = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit' });
      const after = await redisNow();
      expect(snap.openUntil).toBeGreaterThanOrEqual(before + expected);
      expect(snap.openUntil).toBeLessThanOrEqual(after + expected);
    });
  });

  describe('cooldown only ever grows', () => {
    it('keeps openUntil when a later failure brings a shorter hint or none', async () => {
      const s = setup({ baseCooldownMs: 100 });
      const opened = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 10_000 });
      const shorter = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 1000 });
      const none = await s.breaker.recordFailure(s.key, 't', { kind: 'server' });
      const timeout = await s.breaker.recordFailure(s.key, 't', { kind: 'timeout', retryAfterMs: 0 });
      expect(shorter.openUntil).toBe(opened.openUntil);
      expect(none.openUntil).toBe(opened.openUntil);
      expect(timeout.openUntil).toBe(opened.openUntil);
      // Late failures of calls admitted before the breaker opened must not inflate the backoff.
      expect(timeout.openCount).toBe(1);
      expect((await s.breaker.snapshot(s.key)).openUntil).toBe(opened.openUntil);
    });

    it('extends to a later rate-limit hint while open', async () => {
      const s = setup({ baseCooldownMs: 100 });
      const opened = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 1000 });
      const before = await redisNow();
      const extended = await s.breaker.recordFailure(s.key, 't', {
        kind: 'rate-limit',
        retryAfterMs: 20_000,
      });
      expect(extended.openUntil).toBeGreaterThan(opened.openUntil);
      expect(extended.openUntil).toBeGreaterThanOrEqual(before + 20_000);
      expect(extended).toMatchObject({ state: 'open', openCount: 1 });
      const denied = await s.other().acquire(s.key);
      expect(denied).toEqual({ allowed: false, state: 'open', retryAt: extended.openUntil });
      // Extending is not a transition.
      expect(s.transitions.map((t) => `${t.from}->${t.to}`)).toEqual(['closed->open']);
    });

    it('keeps the key until the cooldown ends plus a day', async () => {
      const s = setup();
      await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 60_000 });
      const ttl = await redisA.pttl(`${s.prefix}breaker:${s.key}`);
      expect(ttl).toBeGreaterThan(86_400_000 + 59_000);
      expect(ttl).toBeLessThanOrEqual(86_400_000 + 60_000);
    });
  });

  describe('across processes', () => {
    it('denies all of 100 concurrent acquires from two connections during the cooldown', async () => {
      const s = setup();
      const other = s.other();
      const opened = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 30_000 });
      const permits = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? s.breaker : other).acquire(s.key)),
      );
      for (const permit of permits) {
        expect(permit).toEqual({ allowed: false, state: 'open', retryAt: opened.openUntil });
      }
    });

    it('grants exactly one probe among 100 concurrent acquires from two connections', async () => {
      const s = setup({ baseCooldownMs: 10 });
      const other = s.other();
      const opened = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 50 });
      await untilRedisTimePasses(opened.openUntil);

      const permits = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? s.breaker : other).acquire(s.key)),
      );
      const probes = permits.filter((p) => p.allowed && p.probe);
      const denied = permits.filter((p) => !p.allowed);
      expect(probes).toHaveLength(1);
      expect(denied).toHaveLength(99);
      for (const permit of denied) expect(permit).toMatchObject({ allowed: false, state: 'half-open' });
    });

    it('closes on the probe success reported by the other process', async () => {
      const s = setup({ baseCooldownMs: 10 });
      const other = s.other();
      const opened = await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 30 });
      await untilRedisTimePasses(opened.openUntil);
      const probe = await other.acquire(s.key);
      expectAllowed(probe);
      expect(probe.probe).toBe(true);
      expect(await s.breaker.snapshot(s.key)).toMatchObject({ state: 'half-open' });
      expect(await s.breaker.recordSuccess(s.key, probe.token)).toEqual({
        state: 'closed',
        consecutiveFailures: 0,
        openCount: 0,
        openUntil: 0,
      });
      expect(await other.acquire(s.key)).toMatchObject({ allowed: true, probe: false });
    });
  });

  describe('half-open', () => {
    it('closes on the probe success and resets the counters', async () => {
      const s = setup({ baseCooldownMs: 10 });
      const probe = await openAndAwaitProbe(s);
      const closed = await s.breaker.recordSuccess(s.key, probe.token);
      expect(closed).toEqual({ state: 'closed', consecutiveFailures: 0, openCount: 0, openUntil: 0 });
      expect(await s.breaker.snapshot(s.key)).toEqual(closed);
      expect(await s.breaker.acquire(s.key)).toMatchObject({ allowed: true, probe: false });
    });

    it('re-opens on the probe failure with a longer cooldown', async () => {
      const s = setup({ baseCooldownMs: 40 });
      const probe = await openAndAwaitProbe(s, 0);
      const before = await redisNow();
      const reopened = await s.breaker.recordFailure(s.key, probe.token, { kind: 'server' });
      const after = await redisNow();
      expect(reopened).toMatchObject({ state: 'open', openCount: 2 });
      expect(reopened.openUntil).toBeGreaterThanOrEqual(before + 80);
      expect(reopened.openUntil).toBeLessThanOrEqual(after + 80);
      expect(await s.breaker.acquire(s.key)).toEqual({
        allowed: false,
        state: 'open',
        retryAt: reopened.openUntil,
      });
    });

    it('ignores a late success of a call that is not the probe', async () => {
      const s = setup({ baseCooldownMs: 10 });
      const early = await s.breaker.acquire(s.key);
      expectAllowed(early);
      await s.breaker.recordFailure(s.key, 'other', { kind: 'rate-limit', retryAfterMs: 10_000 });
      expect(await s.breaker.recordSuccess(s.key, early.token)).toMatchObject({
        state: 'open',
        openCount: 1,
      });
    });

    it('ignores late results of non-probe calls while the probe is out', async () => {
      const s = setup({ baseCooldownMs: 10 });
      const early = await s.breaker.acquire(s.key);
      expectAllowed(early);
      const probe = await openAndAwaitProbe(s);
      expect(await s.breaker.recordSuccess(s.key, early.token)).toMatchObject({ state: 'half-open' });
      expect(await s.breaker.recordFailure(s.key, early.token, { kind: 'server' })).toMatchObject({
        state: 'half-open',
        openCount: 1,
      });
      expect(await s.breaker.recordSuccess(s.key, probe.token)).toMatchObject({ state: 'closed' });
    });

    it('denies other callers until the probe lease ends, then lets one take over', async () => {
      const s = setup({ baseCooldownMs: 10, probeLeaseMs: 40 });
      const first = await openAndAwaitProbe(s);
      const denied = await s.other().acquire(s.key);
      if (denied.allowed) throw new Error('expected a denial while the probe lease is live');
      expect(denied.state).toBe('half-open');

      await untilRedisTimePasses(denied.retryAt);
      const second = await s.other().acquire(s.key);
      expectAllowed(second);
      expect(second.probe).toBe(true);
      expect(second.token).not.toBe(first.token);

      // The dead prober's verdict no longer counts; the new prober's does.
      expect(await s.breaker.recordSuccess(s.key, first.token)).toMatchObject({ state: 'half-open' });
      expect(await s.breaker.recordSuccess(s.key, second.token)).toMatchObject({ state: 'closed' });
    });

    it('release frees the probe so the next caller probes at once', async () => {
      const s = setup({ baseCooldownMs: 10, probeLeaseMs: 60_000 });
      const probe = await openAndAwaitProbe(s);
      expect((await s.breaker.acquire(s.key)).allowed).toBe(false);

      // Releasing with someone else's token changes nothing.
      await s.breaker.release(s.key, 'not-the-probe');
      expect((await s.breaker.acquire(s.key)).allowed).toBe(false);

      await s.breaker.release(s.key, probe.token);
      expect(await s.breaker.snapshot(s.key)).toMatchObject({ state: 'half-open', openCount: 1 });
      const next = await s.other().acquire(s.key);
      expect(next).toMatchObject({ allowed: true, probe: true });
    });
  });

  it('reports every transition with from, to and the new snapshot', async () => {
    const s = setup({ baseCooldownMs: 10, failureThreshold: 2 });
    await s.breaker.recordFailure(s.key, 't', { kind: 'server' });
    const opened = await s.breaker.recordFailure(s.key, 't', { kind: 'server' });
    await untilRedisTimePasses(opened.openUntil);
    const probe = await s.breaker.acquire(s.key);
    expectAllowed(probe);
    const reopened = await s.breaker.recordFailure(s.key, probe.token, { kind: 'timeout' });
    await untilRedisTimePasses(reopened.openUntil);
    const probe2 = await s.breaker.acquire(s.key);
    expectAllowed(probe2);
    await s.breaker.recordSuccess(s.key, probe2.token);

    expect(s.transitions.map((t) => [t.key, t.from, t.to])).toEqual([
      [s.key, 'closed', 'open'],
      [s.key, 'open', 'half-open'],
      [s.key, 'half-open', 'open'],
      [s.key, 'open', 'half-open'],
      [s.key, 'half-open', 'closed'],
    ]);
    expect(s.transitions[0]?.snapshot).toEqual(opened);
    expect(s.transitions[1]?.snapshot).toMatchObject({ state: 'half-open', openCount: 1 });
    expect(s.transitions[2]?.snapshot).toEqual(reopened);
    expect(s.transitions[4]?.snapshot).toEqual({
      state: 'closed',
      consecutiveFailures: 0,
      openCount: 0,
      openUntil: 0,
    });
  });

  it('does not fail the call when the transition listener throws', async () => {
    const prefix = `test:breaker:${randomUUID()}:`;
    usedKeys.push(`${prefix}breaker:k`);
    const breaker = createRedisCircuitBreaker({
      redis: redisA,
      prefix,
      onTransition: () => {
        throw new Error('metrics are broken');
      },
    });
    await expect(breaker.recordFailure('k', 't', { kind: 'rate-limit' })).resolves.toMatchObject({
      state: 'open',
    });
  });

  it('rejects an invalid policy with CONFIG_INVALID', () => {
    for (const policy of [
      { failureThreshold: 0 },
      { jitter: 1 },
      { maxCooldownMs: 10, baseCooldownMs: 20 },
    ]) {
      expect(() => createRedisCircuitBreaker({ redis: redisA, prefix: 'x:', policy })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });

  it('keeps breakers of different keys apart', async () => {
    const s = setup();
    usedKeys.push(`${s.prefix}breaker:openai:key-2`);
    await s.breaker.recordFailure(s.key, 't', { kind: 'rate-limit', retryAfterMs: 10_000 });
    expect(await s.breaker.acquire('openai:key-2')).toMatchObject({ allowed: true });
  });
});
