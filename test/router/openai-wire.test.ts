import { parseRoutingConfig } from '@aegis/llm-router';
import { hashingEmbedding } from '@aegis/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  type RouterInstance,
  TEST_PRICES,
} from '../support/router-harness.ts';

/** How the router speaks the OpenAI wire protocol where servers differ: embeddings, output caps, reasoning. */
const PRICES = {
  ...TEST_PRICES,
  models: {
    ...TEST_PRICES.models,
    'openai:o4-mini': { inputPerMillion: '1.10', cachedInputPerMillion: '0.275', outputPerMillion: '4.40' },
    'dashscope:text-embedding-v4': { inputPerMillion: '0.07', outputPerMillion: '0' },
  },
};

const ROUTING = parseRoutingConfig({
  mode: 'cloud-only',
  tasks: {
    generation: [{ provider: 'openai', model: 'o4-mini', maxOutputTokens: 400 }],
    extraction: [{ provider: 'dashscope', model: 'qwen-turbo', maxOutputTokens: 50 }],
    embedding: [{ provider: 'openai', model: 'text-embedding-3-small', dimensions: 64 }],
    vision: [{ provider: 'dashscope', model: 'text-embedding-v4' }],
  },
});

describe('OpenAI wire protocol', () => {
  let harness: RouterHarness;
  let instance: RouterInstance;

  beforeAll(async () => {
    harness = await createRouterHarness();
    await harness.db.pool.query(
      "INSERT INTO llm_budget_limits (provider, limit_usd) VALUES ('openai', 5), ('dashscope', 5) ON CONFLICT (provider) DO UPDATE SET limit_usd = 5",
    );
    instance = harness.makeRouter({ routing: ROUTING, prices: PRICES });
  });
  afterAll(async () => harness?.close());
  beforeEach(async () => harness.reset());

  const texts = ['Ada Lovelace and the Analytical Engine', 'quarterly revenue'];
  const expected = texts.map((text) => hashingEmbedding(text, 64, 'text-embedding-3-small'));

  it('asks for float embeddings explicitly and decodes whichever encoding comes back', async () => {
    for (const embeddingEncoding of ['request', 'float', 'base64'] as const) {
      harness.sim.setProviderBehaviour('openai', { embeddingEncoding });
      const result = await instance.router.embed({ texts });
      expect(result.vectors.map((vector) => vector.map((value) => Math.fround(value)))).toEqual(
        expected.map((vector) => vector.map((value) => Math.fround(value))),
      );
    }
    expect(
      harness.sim.requests.every(
        (request) => (request.body as { encoding_format?: string }).encoding_format === 'float',
      ),
    ).toBe(true);
  });

  it('sends max_completion_tokens to OpenAI (the o-series refuse max_tokens) and max_tokens where configured', async () => {
    const result = await instance.router.generate({
      task: 'generation',
      messages: [{ role: 'user', content: 'Which engine did Babbage design?' }],
    });
    expect(result.provider).toBe('openai');
    expect(harness.sim.requests[0]?.body).toMatchObject({ max_completion_tokens: 400 });
    expect(harness.sim.requests[0]?.body).not.toHaveProperty('max_tokens');
    await instance.router.generate({ task: 'extraction', messages: [{ role: 'user', content: 'x' }] });
    expect(harness.sim.requests[1]?.body).toMatchObject({ max_tokens: 50 });
    expect(harness.sim.requests[1]?.body).not.toHaveProperty('max_completion_tokens');
  });

  it('reads reasoning and cached tokens and prices reasoning as output', async () => {
    const result = await instance.router.generate({
      task: 'generation',
      messages: [{ role: 'user', content: 'Explain the difference engine briefly.' }],
    });
    const billed = harness.sim.billing()[0];
    expect(billed?.reasoningTokens).toBe(256);
    expect(result.usage).toMatchObject({
      outputTokens: billed?.outputTokens,
      reasoningTokens: 256,
      cachedInputTokens: 0,
    });
    await instance.accounting.flush();
    const [row] = await ledgerRows(harness.db, 'request_group = $1', [result.requestGroup]);
    expect(row).toMatchObject({ reasoning_tokens: 256, output_tokens: billed?.outputTokens });
    // 1.10 per million input, 4.40 per million output (reasoning included).
    const cost = ((billed?.inputTokens ?? 0) * 1.1 + (billed?.outputTokens ?? 0) * 4.4) / 1e6;
    expect(Number(row?.cost_usd)).toBeCloseTo(cost, 12);
  });
});
