import { isAegisError } from '@aegis/core';
import { createBudgetCaps } from '@aegis/llm-router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  TEST_ROUTING,
} from '../support/router-harness.ts';

const dashscopeOnly = {
  ...TEST_ROUTING,
  tasks: {
    ...TEST_ROUTING.tasks,
    generation: [{ provider: 'dashscope', model: 'qwen-plus', maxOutputTokens: 1000 }],
  },
};

describe('monthly budgets under concurrency', () => {
  let harness: RouterHarness;
  beforeAll(async () => {
    harness = await createRouterHarness();
  });
  afterAll(async () => harness.close());

  it('50 concurrent cloud calls against a budget that covers about 10 never overspend it', async () => {
    // Worst case per call: ~60 input tokens at $0.40/M + 1000 output tokens at $1.20/M ~= $0.00122,
    // so $0.0125 covers about 10 reservations at a time.
    const limit = 0.0125;
    const events: string[] = [];
    await createBudgetCaps({ pool: harness.db.pool }).set({
      provider: 'dashscope',
      limitUsd: '0.0125',
      actor: { source: 'cli', name: 'test' },
    });
    const { router } = harness.makeRouter({
      routing: dashscopeOnly,
      onEvent: (event) => events.push(event.type),
    });
    await router.start();

    let running = true;
    let maxCommitted = 0;
    const watcher = (async () => {
      while (running) {
        const { rows } = await harness.db.pool.query<{ committed: string }>(
          "select (spent_usd + reserved_usd)::text as committed from llm_budget_months where provider = 'dashscope'",
        );
        for (const row of rows) maxCommitted = Math.max(maxCommitted, Number(row.committed));
      }
    })();

    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, index) =>
        router.generate({
          task: 'generation',
          messages: [{ role: 'user', content: `Question number ${index} about budgets?` }],
        }),
      ),
    );
    running = false;
    await watcher;
    // close() flushes the ledger and releases any budget lease this process still holds.
    await router.close();

    const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const failed = outcomes.filter(
      (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected',
    );
    expect(succeeded.length).toBeGreaterThanOrEqual(5);
    expect(succeeded.length).toBeLessThan(50);
    for (const failure of failed) expect(isAegisError(failure.reason, 'BUDGET_EXHAUSTED')).toBe(true);
    expect(harness.sim.count('dashscope', 'chat')).toBe(succeeded.length);

    const [month] = (
      await harness.db.pool.query<{ spent_usd: string; reserved_usd: string; limit_usd: string }>(
        "select spent_usd, reserved_usd, limit_usd from llm_budget_months where provider = 'dashscope'",
      )
    ).rows;
    expect(maxCommitted).toBeLessThanOrEqual(limit);
    expect(Number(month?.spent_usd)).toBeLessThanOrEqual(limit);
    expect(month?.reserved_usd).toBe('0.000000000000');
    const rows = await ledgerRows(harness.db, "provider = 'dashscope'");
    const ledgerSpend = rows.reduce((total, row) => total + BigInt(row.cost_usd.replace('.', '')), 0n);
    expect(ledgerSpend).toBe(BigInt((month?.spent_usd ?? '0').replace('.', '')));
    expect(events).toContain('budget.warning');
  });
});
