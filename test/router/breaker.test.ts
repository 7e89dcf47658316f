import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  breakerKey,
  createRouterHarness,
  type RouterHarness,
  type RouterInstance,
  TEST_ROUTING,
} from '../support/router-harness.ts';

const dashscopeOnly = {
  ...TEST_ROUTING,
  tasks: { ...TEST_ROUTING.tasks, generation: [{ provider: 'dashscope', model: 'qwen-plus' }] },
};

async function redisNow(harness: RouterHarness): Promise<number> {
  const [seconds, micros] = await harness.redis.redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('circuit breaker shared by two router instances', () => {
  let harness: RouterHarness;
  let first: RouterInstance;
  let second: RouterInstance;

  beforeAll(async () => {
    harness = await createRouterHarness();
    first = harness.makeRouter({ routing: dashscopeOnly, maxPasses: 1 });
    second = harness.makeRouter({ routing: dashscopeOnly, maxPasses: 1 });
  });
  afterAll(async () => harness.close());

  const burst = (count: number) =>
    Promise.allSettled(
      Array.from({ length: count }, (_, index) =>
        (index % 2 === 0 ? first : second).router.generate({
          task: 'generation',
          messages: [{ role: 'user', content: `burst call ${index}` }],
        }),
      ),
    );

  it('opens until the HTTP-date of a 429 and lets exactly one probe through per window', async () => {
    const retryAt = Math.ceil(Date.now() / 1000) * 1000 + 2_000;
    harness.sim.faults.add({
      provider: 'dashscope',
      route: 'chat',
      status: 429,
      retryAfter: new Date(retryAt).toUTCString(),
      times: 1,
    });

    await expect(
      first.router.generate({ task: 'generation', messages: [{ role: 'user', content: 'trip it' }] }),
    ).rejects.toMatchObject({
      code: 'NO_PROVIDER_AVAILABLE',
    });
    const snapshot = await second.breaker.snapshot(breakerKey(first, 'dashscope'));
    expect(snapshot.state).toBe('open');
    expect(Math.abs(snapshot.openUntil - retryAt)).toBeLessThan(250);

    const upstreamBefore = harness.sim.count('dashscope', 'chat');
    const during = await burst(100);
    expect(during.every((outcome) => outcome.status === 'rejected')).toBe(true);
    expect(harness.sim.count('dashscope', 'chat')).toBe(upstreamBefore);

    // The cooldown is a point in (Redis) time; waiting for it to pass is the only way to observe the probe.
    while ((await redisNow(harness)) < snapshot.openUntil) await delay(25);

    const after = await burst(100);
    const fulfilled = after.filter((outcome) => outcome.status === 'fulfilled');
    expect(harness.sim.count('dashscope', 'chat')).toBe(upstreamBefore + 1);
    expect(fulfilled).toHaveLength(1);
    expect((await first.breaker.snapshot(breakerKey(first, 'dashscope'))).state).toBe('closed');
    // Closed again: everybody goes through.
    const closed = await burst(10);
    expect(closed.every((outcome) => outcome.status === 'fulfilled')).toBe(true);
  });
});
