import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSimulator } from './provider-simulator.ts';
import { startProviderSimulator } from './provider-simulator.ts';

let sim: ProviderSimulator;

function client(provider = 'openai'): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: sim.openaiBaseUrl(provider), maxRetries: 0 });
}

async function post(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
    body: JSON.stringify(body),
    signal,
  });
}

const chatBody = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Name three rivers of Europe and say which is longest.' }],
  ...extra,
});

beforeAll(async () => {
  sim = await startProviderSimulator({ providers: { groq: { thinkingModels: { 'qwen-thinker': 40 } } } });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('simulator billing log', () => {
  it('bills answered requests with the usage it reported, and not refused, dropped or hung ones', async () => {
    const answered = await client().chat.completions.create(chatBody('gpt-4o-mini') as never);
    sim.faults.add({ provider: 'openai', route: 'chat', status: 503, times: 1 });
    sim.faults.add({ provider: 'openai', route: 'chat', status: 429, times: 1 });
    sim.faults.add({ provider: 'openai', route: 'chat', drop: true, times: 1 });
    for (let index = 0; index < 3; index += 1) {
      await post('/openai/v1/chat/completions', chatBody('gpt-4o-mini')).catch(() => undefined);
    }
    sim.faults.add({ provider: 'openai', route: 'chat', hang: true, times: 1 });
    await post('/openai/v1/chat/completions', chatBody('gpt-4o-mini'), AbortSignal.timeout(200)).catch(
      () => undefined,
    );
    const bill = sim.billing();
    expect(bill).toHaveLength(1);
    expect(bill[0]).toMatchObject({
      provider: 'openai',
      route: 'chat',
      inputTokens: answered.usage?.prompt_tokens,
      outputTokens: answered.usage?.completion_tokens,
      clientGone: false,
    });
    const viaAdmin = (await (await fetch(`${sim.url}/__sim/billing`)).json()) as unknown[];
    expect(viaAdmin).toEqual(bill);
  });

  it('finishes and bills a request whose client gave up before the headers or mid-stream', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', latencyMs: 2_000, times: 1 });
    await expect(
      post('/openai/v1/chat/completions', chatBody('gpt-4o-mini'), AbortSignal.timeout(100)),
    ).rejects.toThrow();
    sim.faults.add({ provider: 'ollama', route: 'chat', frameDelayMs: 500, times: 1 });
    const controller = new AbortController();
    const response = await post('/api/chat', { ...chatBody('llama3.1:8b'), stream: true }, controller.signal);
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await sim.waitForRequest((record) => record.provider === 'ollama' && record.closedAt !== undefined);
    const bill = sim.billing();
    expect(bill.map((entry) => [entry.provider, entry.clientGone])).toEqual([
      ['openai', true],
      ['ollama', true],
    ]);
    for (const entry of bill) expect(entry.inputTokens).toBeGreaterThan(0);
  });

  it('bills a stream it finished although the connection was cut, and a malformed reply', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', dropMidStream: true, times: 1 });
    sim.faults.add({ provider: 'openai', route: 'embed', malformed: true, times: 1 });
    await post('/openai/v1/chat/completions', chatBody('gpt-4o-mini', { stream: true }))
      .then((response) => response.text())
      .catch(() => undefined);
    await post('/openai/v1/embeddings', { model: 'text-embedding-3-small', input: ['a b c'] }).then(
      (response) => response.text(),
    );
    expect(sim.billing().map((entry) => [entry.route, entry.clientGone])).toEqual([
      ['chat', true],
      ['embed', true],
    ]);
  });
});

describe('simulator realism', () => {
  it('answers base64 embeddings when encoding_format is absent, floats when asked', async () => {
    const body = { model: 'text-embedding-3-small', input: 'hello' };
    const plain = (await (await post('/openai/v1/embeddings', body)).json()) as {
      data: Array<{ embedding: unknown }>;
    };
    expect(typeof plain.data[0]?.embedding).toBe('string');
    const floats = (await (
      await post('/openai/v1/embeddings', { ...body, encoding_format: 'float' })
    ).json()) as { data: Array<{ embedding: unknown }> };
    expect(Array.isArray(floats.data[0]?.embedding)).toBe(true);
  });

  it('can ignore encoding_format like servers that do not implement it', async () => {
    sim.setProviderBehaviour('groq', { embeddingEncoding: 'float' });
    const response = (await (
      await post('/groq/v1/embeddings', { model: 'e', input: 'x', encoding_format: 'base64' })
    ).json()) as { data: Array<{ embedding: unknown }> };
    expect(Array.isArray(response.data[0]?.embedding)).toBe(true);
  });

  it('refuses max_tokens on the o-series and bounds reasoning plus reply by max_completion_tokens', async () => {
    const refused = await post('/openai/v1/chat/completions', chatBody('o4-mini', { max_tokens: 500 }));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'unsupported_parameter' } });
    const completion = await client().chat.completions.create(
      chatBody('o4-mini', { max_completion_tokens: 300 }) as never,
    );
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(256);
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(300);
  });

  it('has a thinking model whose billed output exceeds the cap asked for', async () => {
    const completion = await client('groq').chat.completions.create(
      chatBody('qwen-thinker', { max_tokens: 5 }) as never,
    );
    expect(completion.usage?.completion_tokens_details?.reasoning_tokens).toBe(40);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(5);
    expect(sim.billing()[0]?.outputTokens).toBe(completion.usage?.completion_tokens);
  });

  it('puts usage only in the last stream chunk (include_usage)', async () => {
    const stream = await client().chat.completions.create({
      ...(chatBody('gpt-4o-mini') as object),
      model: 'gpt-4o-mini',
      messages: chatBody('gpt-4o-mini').messages as never,
      stream: true,
      stream_options: { include_usage: true },
    });
    const usages: unknown[] = [];
    for await (const chunk of stream) usages.push(chunk.usage ?? null);
    expect(usages.at(-1)).not.toBeNull();
    expect(usages.slice(0, -1).every((usage) => usage === null)).toBe(true);
  });
});
