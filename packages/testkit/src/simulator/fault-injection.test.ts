import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSimulator } from './provider-simulator.ts';
import { startProviderSimulator } from './provider-simulator.ts';

let sim: ProviderSimulator;

function client(maxRetries = 0): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: sim.openaiBaseUrl('openai'), maxRetries });
}

const chatParams = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'hello' }],
};

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _chunk of stream) count++;
  return count;
}

beforeAll(async () => {
  sim = await startProviderSimulator();
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('fault injection', () => {
  it('exposes Retry-After in seconds to the SDK on 429', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', status: 429, retryAfter: '7', times: 1 });
    const error = await client()
      .chat.completions.create(chatParams)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.headers?.get('retry-after')).toBe('7');
    expect(apiError.code).toBe('rate_limit_exceeded');
    expect(sim.requests[0]?.status).toBe(429);
  });

  it('exposes Retry-After as an HTTP-date and retry-after-ms', async () => {
    const date = 'Wed, 21 Oct 2037 07:28:00 GMT';
    sim.faults.add({ provider: 'openai', status: 503, retryAfter: date, retryAfterMs: 1500, times: 1 });
    const error = (await client()
      .chat.completions.create(chatParams)
      .catch((caught: unknown) => caught)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(503);
    expect(error.headers?.get('retry-after')).toBe(date);
    expect(error.headers?.get('retry-after-ms')).toBe('1500');
  });

  it('consumes faults with times in FIFO order', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', status: 429, times: 1 });
    sim.faults.add({ provider: 'openai', route: 'chat', status: 500, times: 1 });
    await expect(client().chat.completions.create(chatParams)).rejects.toMatchObject({ status: 429 });
    await expect(client().chat.completions.create(chatParams)).rejects.toMatchObject({ status: 500 });
    const ok = await client().chat.completions.create(chatParams);
    expect(ok.choices[0]?.finish_reason).toBe('stop');
    expect(sim.faults.list()).toEqual([]);
  });

  it('lets an SDK retry recover from "first 429, then 200"', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', status: 429, retryAfterMs: 1, times: 1 });
    const completion = await client(1).chat.completions.create(chatParams);
    expect(completion.choices[0]?.message.content).toContain('hello');
    expect(sim.requests.map((record) => record.status)).toEqual([429, 200]);
  });

  it('hang: the abort closes the upstream connection and is recorded', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', hang: true, times: 1 });
    const controller = new AbortController();
    const pending = client().chat.completions.create(chatParams, { signal: controller.signal });
    const record = await sim.waitForRequest((candidate) => candidate.route === 'chat');
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(OpenAI.APIUserAbortError);
    const closedAt = await sim.waitForClose(record.id);
    expect(closedAt).toBeTypeOf('number');
    expect(record).toMatchObject({ aborted: true, closedAt });
    expect(record.status).toBeUndefined();
  });

  it('drop: destroys the socket without a response', async () => {
    sim.faults.add({ provider: 'openai', route: 'embed', drop: true, times: 1 });
    const failure = client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await expect(failure).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    const record = await sim.waitForRequest((candidate) => candidate.closedAt !== undefined);
    expect(record).toMatchObject({ route: 'embed', aborted: false });
    expect(record.status).toBeUndefined();
  });

  it('dropMidStream: sends some SSE chunks, then destroys the socket', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', dropMidStream: true, times: 1 });
    const stream = await client().chat.completions.create({ ...chatParams, stream: true });
    let received = 0;
    const failure = (async () => {
      for await (const _chunk of stream) received++;
    })();
    await expect(failure).rejects.toThrow();
    expect(received).toBeGreaterThan(0);
    expect(sim.requests[0]?.status).toBe(200);
    sim.faults.add({ provider: 'openai', route: 'chat', dropMidStream: true, times: 1 });
    await expect(client().chat.completions.create(chatParams)).rejects.toThrow();
    expect(sim.requests[1]).toMatchObject({ status: 200, aborted: false });
    expect(sim.requests[1]?.endedAt).toBeUndefined();
  });

  it('malformed: broken JSON body and broken SSE data line', async () => {
    sim.faults.add({ provider: 'openai', route: 'chat', malformed: true, times: 2 });
    await expect(client().chat.completions.create(chatParams)).rejects.toThrow();
    const stream = await client().chat.completions.create({ ...chatParams, stream: true });
    await expect(drain(stream)).rejects.toThrow();
  });

  it('malformed and dropMidStream on Ollama NDJSON streams', async () => {
    const ollama = new Ollama({ host: sim.ollamaUrl });
    sim.faults.add({ provider: 'ollama', route: 'chat', malformed: true, times: 1 });
    sim.faults.add({ provider: 'ollama', route: 'chat', dropMidStream: true, times: 1 });
    const request = {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi there' }],
      stream: true as const,
    };
    await expect(drain(await ollama.chat(request))).rejects.toThrow();
    await expect(drain(await ollama.chat(request))).rejects.toThrow();
    expect(await drain(await ollama.chat(request))).toBeGreaterThan(1);
  });

  it('missingUsage: omits usage in JSON and the usage chunk in streams', async () => {
    sim.faults.add({ provider: 'openai', missingUsage: true });
    const completion = await client().chat.completions.create(chatParams);
    expect(completion.usage).toBeUndefined();
    const stream = await client().chat.completions.create({
      ...chatParams,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((chunk) => chunk.usage == null)).toBe(true);
    const embedding = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(embedding.usage).toBeUndefined();
  });

  it('content: scripts the next chat replies and leaves other routes alone', async () => {
    sim.faults.add({ provider: 'openai', content: '{"entities": [', times: 1 });
    const embedding = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    expect(embedding.data).toHaveLength(1);
    const broken = await client().chat.completions.create(chatParams);
    expect(broken.choices[0]?.message.content).toBe('{"entities": [');
    const normal = await client().chat.completions.create(chatParams);
    expect(normal.choices[0]?.message.content).toContain('Simulated reply');
  });

  it('latencyMs: delays, then answers normally', async () => {
    sim.faults.add({ provider: 'openai', latencyMs: 5, times: 1 });
    const completion = await client().chat.completions.create(chatParams);
    expect(completion.choices).toHaveLength(1);
    expect(sim.requests[0]?.fault).toEqual({ latencyMs: 5 });
  });

  it('scopes faults by provider', async () => {
    sim.faults.add({ provider: 'groq', status: 500 });
    expect((await client().chat.completions.create(chatParams)).choices).toHaveLength(1);
    sim.faults.clear('groq');
    expect(sim.faults.list()).toEqual([]);
  });
});

describe('admin HTTP API', () => {
  it('adds and clears faults, reports stats and resets', async () => {
    const added = await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'openai', route: 'chat', status: 503, times: 1 }),
    });
    expect(added.status).toBe(201);
    await expect(client().chat.completions.create(chatParams)).rejects.toMatchObject({ status: 503 });

    const invalid = await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 500 }),
    });
    expect(invalid.status).toBe(400);

    await fetch(`${sim.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ provider: 'ollama', hang: true }),
    });
    await fetch(`${sim.url}/__sim/faults?provider=ollama`, { method: 'DELETE' });
    const ollama = new Ollama({ host: sim.ollamaUrl });
    expect((await ollama.list()).models.length).toBeGreaterThan(0);

    const stats = await (await fetch(`${sim.url}/__sim/stats`)).json();
    expect(stats).toMatchObject({
      requests: 2,
      byProvider: { openai: { chat: 1 }, ollama: { tags: 1 } },
      pendingFaults: [],
    });

    expect((await fetch(`${sim.url}/__sim/reset`, { method: 'POST' })).status).toBe(200);
    expect(sim.count()).toBe(0);
  });
});
