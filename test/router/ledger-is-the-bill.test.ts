import { randomUUID } from 'node:crypto';
import { createBudgetCaps, createPostgresAccounting, parseRoutingConfig } from '@aegis/llm-router';
import type { FaultSpec } from '@aegis/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  type RouterInstance,
  TEST_PRICES,
} from '../support/router-harness.ts';

/**
 * ADR 016, "the ledger is the bill", as properties over fault kinds x providers x tasks against real Postgres:
 * after any sequence of calls, every request that reached the simulator has exactly one ledger row; every
 * request the simulator billed (answered, or finished after the client gave up) has a row with usage (never a
 * silent zero), priced where the provider is paid; provider-reported usage is the simulator's own; and no cap
 * is exceeded, reasoning models included.
 */

const FAULTS = [
  'none',
  'timeout-before-headers',
  'timeout-mid-stream',
  'cut-stream',
  'malformed',
  '5xx',
  '429',
];
type Fault = (typeof FAULTS)[number];
const PROVIDERS = ['ollama', 'openai', 'groq'] as const;
type Provider = (typeof PROVIDERS)[number];
const TASKS = ['embedding', 'generation', 'extraction'] as const;

/** Small per-attempt timeout; the timeout faults wait far longer, so the client always gives up first. */
const ATTEMPT_TIMEOUT_MS = 300;

const PRICES = {
  ...TEST_PRICES,
  models: {
    ...TEST_PRICES.models,
    // A thinking model: the simulator spends 400 reasoning tokens beyond max_tokens on every answer.
    'groq:qwen-thinker': { inputPerMillion: '1', outputPerMillion: '4' },
    'groq:text-embedding-3-small': { inputPerMillion: '0.02', outputPerMillion: '0' },
  },
};

function routingFor(provider: Provider) {
  const entry = (chat: string, embedding: string) => ({
    chat: { provider, model: chat, timeoutMs: ATTEMPT_TIMEOUT_MS, maxOutputTokens: 24 },
    embedding: { provider, model: embedding, timeoutMs: ATTEMPT_TIMEOUT_MS },
  });
  const { chat, embedding } =
    provider === 'ollama'
      ? entry('llama3.1:8b', 'bge-m3')
      : provider === 'openai'
        ? entry('gpt-4o-mini', 'text-embedding-3-small')
        : entry('qwen-thinker', 'text-embedding-3-small');
  // The thinking model's reservation covers its reasoning beyond the cap (ADR 016).
  const sized = provider === 'groq' ? { ...chat, reasoningTokens: 400 } : chat;
  return parseRoutingConfig({
    mode: 'local-first',
    tasks: { embedding: [embedding], generation: [sized], extraction: [sized], vision: [sized] },
  });
}

function faultSpec(provider: Provider, route: 'chat' | 'embed', fault: Fault): FaultSpec | undefined {
  const base = { provider, route, times: 1 } as const;
  switch (fault) {
    case 'timeout-before-headers':
      return { ...base, latencyMs: 3_000 };
    case 'timeout-mid-stream':
      // Embeddings are not streamed: for them this is a timeout before the headers too.
      return route === 'chat' ? { ...base, frameDelayMs: 3_000 } : { ...base, latencyMs: 3_000 };
    case 'cut-stream':
      return { ...base, dropMidStream: true };
    case 'malformed':
      return { ...base, malformed: true };
    case '5xx':
      return { ...base, status: 503 };
    case '429':
      return { ...base, status: 429, retryAfterMs: 10 };
    default:
      return undefined;
  }
}

const callArbitrary = fc.record({
  provider: fc.constantFrom(...PROVIDERS),
  task: fc.constantFrom(...TASKS),
  // Answers without a fault are what spends a budget: a third of the calls.
  fault: fc.oneof(
    { arbitrary: fc.constant<Fault>('none'), weight: 3 },
    { arbitrary: fc.constantFrom(...FAULTS.slice(1)), weight: 6 },
  ),
  stream: fc.boolean(),
});

describe('the ledger is the bill', { timeout: 600_000 }, () => {
  let harness: RouterHarness;
  const routers = new Map<Provider, RouterInstance>();

  beforeAll(async () => {
    harness = await createRouterHarness({
      sim: { providers: { groq: { thinkingModels: { 'qwen-thinker': 400 } } } },
    });
    const caps = createBudgetCaps({ pool: harness.db.pool });
    await caps.set({
      provider: 'openai',
      limitUsd: '5',
      actor: { source: 'cli', name: 'test' },
      reason: 'ledger property',
    });
    // Small: each sequence starts with part of it spent, so the thinking model's calls run into it.
    await caps.set({
      provider: 'groq',
      limitUsd: '0.002',
      actor: { source: 'cli', name: 'test' },
      reason: 'ledger property',
    });
    for (const provider of PROVIDERS) {
      routers.set(
        provider,
        harness.makeRouter({ routing: routingFor(provider), prices: PRICES, maxPasses: 1 }),
      );
    }
  });
  afterAll(async () => harness?.close());

  it('after any sequence of calls under faults: rows = requests, billed requests carry usage, no cap exceeded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(callArbitrary, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 19 }),
        async (calls, spentUnits) => {
          await harness.reset();
          await harness.db.pool.query('DELETE FROM llm_ledger');
          // The thinking model's small cap starts partly spent, in units of $0.0001 (its calls reserve one by one).
          await harness.db.pool.query(
            `INSERT INTO llm_budget_months (provider, month, limit_usd, spent_usd)
           VALUES ('groq', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM'), 0.002, $1)
           ON CONFLICT (provider, month) DO UPDATE SET spent_usd = excluded.spent_usd`,
            [(spentUnits / 10_000).toFixed(4)],
          );
          for (const call of calls) {
            const route = call.task === 'embedding' ? 'embed' : 'chat';
            const spec = faultSpec(call.provider, route, call.fault);
            if (spec) harness.sim.faults.add(spec);
            const { router } = routers.get(call.provider) as RouterInstance;
            const done =
              call.task === 'embedding'
                ? router.embed({ texts: ['Ada Lovelace wrote the first program.', 'Charles Babbage'] })
                : router.generate({
                    task: call.task,
                    messages: [{ role: 'user', content: 'Who built the Analytical Engine, and when?' }],
                    onText: call.stream || call.fault === 'timeout-mid-stream' ? () => {} : undefined,
                  });
            await done.catch(() => undefined);
            harness.sim.faults.clear();
          }
          await harness.sim.idle();
          for (const instance of routers.values()) await instance.router.flush();

          const requests = harness.sim.requests.filter(
            (request) => request.route === 'chat' || request.route === 'embed',
          );
          const billing = harness.sim.billing();
          const rows = await ledgerRows(harness.db);
          const charged = rows.filter((row) => row.input_tokens > 0);
          // One row per request that reached the provider, none for requests that did not: matched by id, the
          // router sends its ledger row id as X-Client-Request-Id.
          expect(rows).toHaveLength(requests.length);
          expect(new Set(rows.map((row) => row.id))).toEqual(
            new Set(requests.map((request) => request.clientRequestId)),
          );
          const byId = new Map(rows.map((row) => [row.id, row]));
          for (const entry of billing) {
            expect(
              byId.get(entry.clientRequestId ?? '')?.input_tokens,
              'billed without usage',
            ).toBeGreaterThan(0);
          }
          // Every billed request has a row with usage; the others (error statuses) have none.
          expect(charged).toHaveLength(billing.length);
          for (const row of charged) {
            if (row.provider !== 'ollama') expect(Number(row.cost_usd)).toBeGreaterThan(0);
            // A reply is only ever read with the provider's usage here (no fault drops usage from an answer).
            expect(row.usage_source).toBe(row.status === 'ok' ? 'provider' : 'estimated');
          }
          // Usage the provider reported is exactly what the simulator billed.
          const billed = billing.map(
            (entry) => `${entry.provider}:${entry.inputTokens}:${entry.outputTokens}`,
          );
          for (const row of rows.filter((candidate) => candidate.usage_source === 'provider')) {
            const key = `${row.provider}:${row.input_tokens}:${row.output_tokens}`;
            expect(billed).toContain(key);
            billed.splice(billed.indexOf(key), 1);
          }
          // Spent + reserved within every cap, and spent is what the rows say.
          const { rows: months } = await harness.db.pool.query<{
            provider: string;
            over: boolean;
            spent_usd: string;
          }>(
            `SELECT m.provider, m.spent_usd, (m.spent_usd + m.reserved_usd) > m.limit_usd AS over
             FROM llm_budget_months m`,
          );
          for (const month of months) expect(month.over, `${month.provider} over its cap`).toBe(false);
          const { rows: intents } = await harness.db.pool.query('SELECT id FROM llm_call_intents');
          expect(intents).toEqual([]);
        },
      ),
      { numRuns: 20, seed: 20261210, endOnFailure: true },
    );
  });

  it('a holder that died mid-call leaves a reserved intent that is settled as estimated at the next start', async () => {
    await harness.reset();
    const pool = harness.db.pool;
    // The "process" that dies: its accounting never flushes (interval far away) and it is abandoned mid-call.
    const doomed = createPostgresAccounting({ pool, flushIntervalMs: 3_600_000, leases: false });
    const { router } = harness.makeRouter({
      accounting: doomed,
      routing: routingFor('openai'),
      prices: PRICES,
      maxPasses: 1,
    });
    harness.sim.faults.add({ provider: 'openai', route: 'chat', hang: true, times: 1 });
    const controller = new AbortController();
    const call = router
      .generate({
        task: 'generation',
        signal: controller.signal,
        messages: [{ role: 'user', content: `kill me ${randomUUID()}` }],
      })
      .catch(() => undefined);
    const request = await harness.sim.waitForRequest((record) => record.provider === 'openai');
    const { rows: intents } = await pool.query<{ id: string; cost_usd: string; holder: string }>(
      "SELECT id, cost_usd, holder FROM llm_call_intents WHERE provider = 'openai'",
    );
    expect(intents).toHaveLength(1);
    const { rows: reservedBefore } = await pool.query<{ reserved_usd: string }>(
      "SELECT reserved_usd FROM llm_budget_months WHERE provider = 'openai'",
    );
    expect(Number(reservedBefore[0]?.reserved_usd)).toBeGreaterThan(0);

    // The next process under the same name (pid 1 of a restarted container) settles it at start.
    const successor = createPostgresAccounting({ pool, leases: false });
    expect(await successor.reapExpired({ atStart: true })).toBeGreaterThanOrEqual(1);
    const rows = await ledgerRows(harness.db, 'id = $1', [intents[0]?.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      status: 'reaped',
      usage_source: 'estimated',
      cost_usd: intents[0]?.cost_usd,
    });
    expect(rows[0]?.input_tokens).toBeGreaterThan(0);
    const { rows: after } = await pool.query<{ reserved_usd: string; spent_usd: string }>(
      "SELECT reserved_usd, spent_usd FROM llm_budget_months WHERE provider = 'openai'",
    );
    expect(Number(after[0]?.reserved_usd)).toBe(
      Number(reservedBefore[0]?.reserved_usd) - Number(intents[0]?.cost_usd),
    );

    // If the holder was not dead after all, its late row adds neither a row nor money.
    controller.abort();
    await call;
    await doomed.flush();
    expect(await ledgerRows(harness.db, 'request_group = $1', [rows[0]?.request_group])).toHaveLength(1);
    const { rows: final } = await pool.query<{ spent_usd: string }>(
      "SELECT spent_usd FROM llm_budget_months WHERE provider = 'openai'",
    );
    expect(final[0]?.spent_usd).toBe(after[0]?.spent_usd);
    void request;
    await successor.close();
  });
});
