import { isAegisError } from '@aegis/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  type RouterInstance,
} from '../support/router-harness.ts';

describe('cancellation', () => {
  let harness: RouterHarness;
  let instance: RouterInstance;

  beforeAll(async () => {
    harness = await createRouterHarness();
    instance = harness.makeRouter();
  });
  afterAll(async () => harness.close());
  beforeEach(async () => harness.reset());

  it('closes the upstream connection within 100 ms of an abort, makes no further attempt and writes a cancelled row', async () => {
    harness.sim.faults.add({ provider: 'dashscope', route: 'chat', hang: true });
    const controller = new AbortController();
    const call = instance.router.generate({
      task: 'generation',
      mode: 'cloud-only',
      signal: controller.signal,
      messages: [{ role: 'user', content: 'This request will hang upstream.' }],
    });
    const outcome = call.catch((error: unknown) => error);
    const request = await harness.sim.waitForRequest(
      (record) => record.provider === 'dashscope' && record.route === 'chat',
      5_000,
    );

    const abortedAt = Date.now();
    controller.abort(new Error('user pressed cancel'));
    const error = await outcome;
    const closedAt = await harness.sim.waitForClose(request.id);

    expect(isAegisError(error, 'CANCELLED')).toBe(true);
    expect(closedAt - abortedAt).toBeLessThan(100);
    expect(harness.sim.count('openai')).toBe(0);

    await instance.accounting.flush();
    const rows = await ledgerRows(harness.db, "provider = 'dashscope' and status = 'cancelled'");
    expect(rows).toHaveLength(1);
    // The request reached DashScope, which may finish and bill it (ADR 016): charged our estimate, marked so.
    expect(rows[0]).toMatchObject({ error_code: 'CANCELLED', usage_source: 'estimated' });
    expect(Number(rows[0]?.cost_usd)).toBeGreaterThan(0);
    expect(Number(rows[0]?.input_tokens)).toBeGreaterThan(0);
    const budget = await harness.db.pool.query<{ spent_usd: string }>(
      "select spent_usd from llm_budget_months where provider = 'dashscope'",
    );
    expect(budget.rows.map((row) => row.spent_usd)).toEqual([rows[0]?.cost_usd]);
  });

  it('an already-aborted signal makes no request at all', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await instance.router
      .generate({ task: 'generation', signal: controller.signal, messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught);
    expect(isAegisError(error, 'CANCELLED')).toBe(true);
    expect(harness.sim.stats().requests).toBe(0);
  });

  it('an abort during the backoff wait between passes ends the call at once', async () => {
    // Every provider rate-limits with a 3 s hint: the router waits for the earliest breaker to reopen.
    for (const provider of ['dashscope', 'openai']) {
      harness.sim.faults.add({ provider, route: 'chat', status: 429, retryAfter: '3', times: 1 });
    }
    const controller = new AbortController();
    let sleeping!: () => void;
    const asleep = new Promise<void>((resolve) => {
      sleeping = resolve;
    });
    const routerWithLog = harness.makeRouter({
      maxPasses: 2,
      maxWaitMs: 10_000,
      logger: {
        debug() {},
        info(_object, message) {
          if (message.includes('cooling down')) sleeping();
        },
        warn() {},
        error() {},
      },
    });
    const outcome = routerWithLog.router
      .generate({
        task: 'generation',
        mode: 'cloud-only',
        signal: controller.signal,
        messages: [{ role: 'user', content: 'y' }],
      })
      .catch((error: unknown) => error);
    await asleep;
    const requestsBefore = harness.sim.stats().requests;
    controller.abort();
    expect(isAegisError(await outcome, 'CANCELLED')).toBe(true);
    expect(harness.sim.stats().requests).toBe(requestsBefore);
  });
});
