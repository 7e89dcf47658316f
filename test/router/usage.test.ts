import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  TEST_ROUTING,
} from '../support/router-harness.ts';

/** pico-USD per token of TEST_PRICES' openai:gpt-4o: $2.50 / $1.25 / $10.00 per million. */
const GPT4O = { input: 2_500_000n, cached: 1_250_000n, output: 10_000_000n };

function usd(pico: bigint): string {
  const whole = pico / 1_000_000_000_000n;
  return `${whole}.${(pico % 1_000_000_000_000n).toString().padStart(12, '0')}`;
}

const LONG_SYSTEM_PROMPT = 'You extract facts from scientific papers about tracing JIT compilers. '.repeat(
  160,
);
const openaiOnly = {
  ...TEST_ROUTING,
  tasks: { ...TEST_ROUTING.tasks, generation: [{ provider: 'openai', model: 'gpt-4o' }] },
};

async function cachedTokenRun(harness: RouterHarness, stream: boolean) {
  const { router, accounting } = harness.makeRouter({ routing: openaiOnly });
  const call = (question: string) =>
    router.generate({
      task: 'generation',
      messages: [
        { role: 'system', content: LONG_SYSTEM_PROMPT },
        { role: 'user', content: question },
      ],
      ...(stream ? { onText: () => {} } : {}),
    });
  await call('What is a trace tree?');
  const second = await call('What is type specialisation?');
  await accounting.flush();
  const [row] = await ledgerRows(harness.db, 'request_group = $1', [second.requestGroup]);
  if (!row) throw new Error('no ledger row');
  const simSaw = harness.sim.requests
    .filter((request) => request.provider === 'openai' && request.route === 'chat')
    .at(-1);
  return { second, row, simSaw };
}

describe('usage and pricing', () => {
  let harness: RouterHarness;
  beforeAll(async () => {
    harness = await createRouterHarness();
  });
  afterAll(async () => harness.close());
  beforeEach(async () => harness.reset());

  it('prices cached tokens at the cached rate', async () => {
    const { second, row, simSaw } = await cachedTokenRun(harness, false);
    expect(simSaw?.cachedTokens).toBeGreaterThan(1000);
    expect(row.cached_input_tokens).toBe(simSaw?.cachedTokens);
    expect(row.usage_source).toBe('provider');
    const uncached = BigInt(row.input_tokens - row.cached_input_tokens);
    const expected =
      uncached * GPT4O.input +
      BigInt(row.cached_input_tokens) * GPT4O.cached +
      BigInt(row.output_tokens) * GPT4O.output;
    expect(row.cost_usd).toBe(usd(expected));
    expect(second.costUsd).toBe(row.cost_usd);
    expect(second.usage).toMatchObject({
      inputTokens: row.input_tokens,
      cachedInputTokens: row.cached_input_tokens,
      source: 'provider',
    });
  });

  it("uses Ollama's own prompt_eval_count and eval_count", async () => {
    const { router, accounting } = harness.makeRouter();
    const messages = [{ role: 'user' as const, content: 'Name three tracing JIT compilers.' }];
    const result = await router.generate({ task: 'generation', messages, maxOutputTokens: 256 });
    expect(result.provider).toBe('ollama');
    const direct = await fetch(`${harness.sim.ollamaUrl}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.1:8b', messages, stream: false, options: { num_predict: 256 } }),
    });
    const counts = (await direct.json()) as { prompt_eval_count: number; eval_count: number };
    await accounting.flush();
    const [row] = await ledgerRows(harness.db, 'request_group = $1', [result.requestGroup]);
    expect(row).toMatchObject({
      input_tokens: counts.prompt_eval_count,
      output_tokens: counts.eval_count,
      usage_source: 'provider',
      cost_usd: '0.000000000000',
    });
  });

  it('counts with the tokenizer and marks the row estimated when usage is missing', async () => {
    harness.sim.faults.add({ provider: 'openai', route: 'chat', missingUsage: true, times: 1 });
    const { router, accounting } = harness.makeRouter({ routing: openaiOnly });
    const result = await router.generate({
      task: 'generation',
      messages: [{ role: 'user', content: 'Estimate me, please.' }],
    });
    await accounting.flush();
    const [row] = await ledgerRows(harness.db, 'request_group = $1', [result.requestGroup]);
    expect(row?.usage_source).toBe('estimated');
    expect(row?.input_tokens).toBeGreaterThan(4);
    expect(row?.output_tokens).toBeGreaterThan(0);
    expect(Number(row?.cost_usd)).toBeGreaterThan(0);
    expect(result.usage.source).toBe('estimated');
  });
});

describe('streamed usage on a chunk that still has choices', () => {
  let harness: RouterHarness;
  beforeAll(async () => {
    harness = await createRouterHarness({ sim: { providers: { openai: { usageOnChoiceChunk: true } } } });
  });
  afterAll(async () => harness.close());

  it('keeps the cached-token count', async () => {
    const { row, simSaw, second } = await cachedTokenRun(harness, true);
    expect(simSaw?.stream).toBe(true);
    expect(simSaw?.cachedTokens).toBeGreaterThan(1000);
    expect(row.cached_input_tokens).toBe(simSaw?.cachedTokens);
    expect(row.usage_source).toBe('provider');
    expect(second.text.length).toBeGreaterThan(0);
  });
});
