import { type AppConfig, describeEnv, loadConfig } from '@aegis/config';
import { isAegisError } from '@aegis/core';
import {
  type CapActor,
  configuredCaps,
  createBudgetCaps,
  createRouterFromConfig,
  parseCapUsd,
} from '@aegis/llm-router';
import {
  createTestDatabase,
  createTestRedis,
  type ProviderSimulator,
  startProviderSimulator,
  type TestDatabase,
  type TestRedis,
} from '@aegis/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PROVIDERS = ['openai', 'dashscope', 'groq', 'openrouter'] as const;
type Provider = (typeof PROVIDERS)[number];
const OPERATOR: CapActor = { source: 'cli', name: 'alice' };

/** The documented default cap of each provider, as `.env.example` shows it. */
function documentedDefaults(): Record<Provider, string> {
  const examples = new Map(describeEnv().map((variable) => [variable.key, variable.example]));
  return Object.fromEntries(
    PROVIDERS.map((provider) => [
      provider,
      parseCapUsd(examples.get(`BUDGET_${provider.toUpperCase()}_MONTHLY_USD`) ?? 'missing'),
    ]),
  ) as Record<Provider, string>;
}

const capValue = fc.oneof(
  fc.constant('unlimited'),
  fc.constant(''),
  fc
    .tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 999_999 }))
    .map(([whole, micro]) => `${whole}.${String(micro).padStart(6, '0')}`),
);
/** Budget variables a shell may or may not have: absent, empty, `unlimited` or an amount. */
const budgetEnv = fc.record(
  Object.fromEntries(PROVIDERS.map((p) => [`BUDGET_${p.toUpperCase()}_MONTHLY_USD`, capValue])),
  { requiredKeys: [] },
) as fc.Arbitrary<Record<string, string>>;

type Operation =
  | { kind: 'start'; env: Record<string, string> }
  | { kind: 'set'; provider: Provider; amount: string | null }
  | { kind: 'migrate'; env: Record<string, string> };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  { arbitrary: budgetEnv.map((env) => ({ kind: 'start' as const, env })), weight: 3 },
  {
    arbitrary: fc
      .record({
        provider: fc.constantFrom(...PROVIDERS),
        amount: capValue.map((value) => (value === 'unlimited' || value === '' ? null : value)),
      })
      .map((change) => ({ kind: 'set' as const, ...change })),
    weight: 2,
  },
  { arbitrary: budgetEnv.map((env) => ({ kind: 'migrate' as const, env })), weight: 1 },
);

describe('budget caps change only on purpose', { timeout: 240_000 }, () => {
  let sim: ProviderSimulator;
  let redis: TestRedis;
  beforeAll(async () => {
    sim = await startProviderSimulator();
    redis = createTestRedis();
  });
  afterAll(async () => {
    await sim.close();
    await redis.cleanup();
  });

  function configFor(db: TestDatabase, env: Record<string, string>): AppConfig {
    return loadConfig({
      DATABASE_URL: db.connectionString,
      OLLAMA_URL: sim.ollamaUrl,
      DASHSCOPE_API_KEY: 'sk-sim',
      DASHSCOPE_BASE_URL: sim.openaiBaseUrl('dashscope'),
      LLM_ROUTING_MODE: 'cloud-only',
      QUEUE_PREFIX: `{${redis.prefix}}`,
      ...env,
    });
  }

  /** A process starting the way every app starts its router, then making a paid call and stopping. */
  async function startProcess(db: TestDatabase, env: Record<string, string>): Promise<void> {
    const { router } = await createRouterFromConfig(configFor(db, env), {
      pool: db.pool,
      redis: redis.redis,
    });
    await router.start();
    await router
      .generate({ task: 'generation', messages: [{ role: 'user', content: 'hello' }] })
      .catch((error: unknown) => {
        // A cap of 0 (or one the sequence has used up) refuses the call; it must never be a surprise.
        if (!isAegisError(error, 'BUDGET_EXHAUSTED')) throw error;
      });
    await router.close();
  }

  it('holds for any sequence of process starts, `budgets set` and `migrate`: caps are exactly what operators set, each change audited once', async () => {
    const defaults = documentedDefaults();
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 7 }), async (operations) => {
        const db = await createTestDatabase();
        try {
          const caps = createBudgetCaps({ pool: db.pool, providers: PROVIDERS });
          const model = new Map<string, string | null>(Object.entries(defaults));
          let changes = 0;
          for (const op of operations) {
            if (op.kind === 'start') {
              await startProcess(db, op.env);
            } else if (op.kind === 'set') {
              const result = await caps.set({ provider: op.provider, limitUsd: op.amount, actor: OPERATOR });
              const wanted = op.amount === null ? null : parseCapUsd(op.amount);
              expect(result).toMatchObject({ from: model.get(op.provider), to: wanted });
              expect(result.changed).toBe(model.get(op.provider) !== wanted);
              if (result.changed) changes += 1;
              model.set(op.provider, wanted);
            } else {
              const configured = configuredCaps(configFor(db, op.env));
              const results = await caps.applyConfigured(configured, { source: 'migrate', name: 'ops' });
              const expected = [];
              for (const [provider, value] of Object.entries(configured)) {
                // Unset (or empty) variables leave the stored cap alone.
                if (value === undefined) continue;
                const wanted = value === null ? null : parseCapUsd(value);
                expected.push({
                  provider,
                  from: model.get(provider),
                  to: wanted,
                  changed: model.get(provider) !== wanted,
                });
                if (model.get(provider) !== wanted) changes += 1;
                model.set(provider, wanted);
              }
              expect(results).toEqual(expected.map((change) => ({ ...change, wasSet: true })));
            }
            const listed = await caps.list();
            for (const provider of PROVIDERS) {
              expect(listed.find((cap) => cap.provider === provider)?.limitUsd).toBe(model.get(provider));
            }
            const months = await db.pool.query<{ provider: string; limit_usd: string | null }>(
              'SELECT provider, limit_usd FROM llm_budget_months',
            );
            for (const month of months.rows) expect(month.limit_usd).toBe(model.get(month.provider));
          }
          const audited = await db.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM audit_log WHERE action = 'budget.set'",
          );
          expect(audited.rows[0]?.n).toBe(changes);
        } finally {
          await db.drop();
        }
      }),
      { numRuns: 12 },
    );
  });

  it('a fresh database starts at the documented caps (seeded by the migration); a provider without a stored cap spends nothing', async () => {
    const db = await createTestDatabase();
    try {
      const caps = createBudgetCaps({ pool: db.pool });
      const listed = await caps.list();
      expect(Object.fromEntries(listed.map((cap) => [cap.provider, cap.limitUsd]))).toEqual(
        documentedDefaults(),
      );
      const seeded = await db.pool.query<{ provider: string }>(
        "SELECT provider FROM llm_budget_limits WHERE updated_by = 'migration' ORDER BY provider",
      );
      expect(seeded.rows.map((row) => row.provider)).toEqual([...PROVIDERS].sort());

      // An upgraded database that never had a dashscope cap: the router refuses it until one is set.
      await db.pool.query("DELETE FROM llm_budget_limits WHERE provider = 'dashscope'");
      sim.reset();
      const { router } = await createRouterFromConfig(configFor(db, {}), {
        pool: db.pool,
        redis: redis.redis,
      });
      await router.start();
      const refused = await router
        .generate({ task: 'generation', messages: [{ role: 'user', content: 'hello' }] })
        .catch((error: unknown) => error);
      expect(isAegisError(refused, 'BUDGET_NOT_SET')).toBe(true);
      expect(sim.count('dashscope', 'chat')).toBe(0);
      await caps.set({ provider: 'dashscope', limitUsd: '1.60', actor: OPERATOR, reason: 'pilot' });
      const served = await router.generate({
        task: 'generation',
        messages: [{ role: 'user', content: 'hello' }],
      });
      expect(served.provider).toBe('dashscope');
      await router.close();
      const [change] = (
        await db.pool.query<{ key_name: string; details: Record<string, unknown> }>(
          "SELECT key_name, details FROM audit_log WHERE action = 'budget.set'",
        )
      ).rows;
      expect(change).toMatchObject({
        key_name: 'alice',
        details: { from: 'not set', to: '1.600000000000', source: 'cli', reason: 'pilot' },
      });
    } finally {
      await db.drop();
    }
  });

  it('refuses bad caps and unknown providers with VALIDATION_FAILED and changes nothing', async () => {
    const db = await createTestDatabase();
    try {
      const caps = createBudgetCaps({ pool: db.pool, providers: PROVIDERS });
      const before = await caps.list();
      for (const [provider, limitUsd] of [
        ['dashscope', '-1'],
        ['dashscope', '1.2345678'],
        ['dashscope', 'ten'],
        ['dashscope', '1e3'],
        ['ollama', '5'],
        ['Open AI', '5'],
      ] as const) {
        const error = await caps
          .set({ provider, limitUsd, actor: OPERATOR })
          .catch((caught: unknown) => caught);
        expect(isAegisError(error, 'VALIDATION_FAILED'), `${provider} ${limitUsd}`).toBe(true);
      }
      expect(await caps.list()).toEqual(before);
    } finally {
      await db.drop();
    }
  });
});
