import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSimulator } from './provider-simulator.ts';
import { startProviderSimulator } from './provider-simulator.ts';

let sim: ProviderSimulator;

function client(provider = 'openai', apiKey = 'sk-test'): OpenAI {
  return new OpenAI({ apiKey, baseURL: sim.openaiBaseUrl(provider), maxRetries: 0 });
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}

beforeAll(async () => {
  sim = await startProviderSimulator({ providers: { groq: { usageOnChoiceChunk: true } } });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('openai-compatible wire protocol', () => {
  it('lists models per provider and serves /v1 as openai', async () => {
    const groq = await client('groq').models.list();
    expect(groq.data.map((model) => model.id)).toContain('llama-3.1-8b-instant');
    const plain = new OpenAI({ apiKey: 'k', baseURL: `${sim.url}/v1`, maxRetries: 0 });
    expect((await plain.models.list()).data[0]?.owned_by).toBe('openai');
    expect(sim.count('openai', 'models')).toBe(1);
  });

  it('rejects requests without a bearer token with an OpenAI error', async () => {
    const response = await fetch(`${sim.openaiBaseUrl('openai')}/models`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({
      error: { code: 'invalid_api_key', type: 'invalid_request_error' },
    });
  });

  it('answers a non-streaming chat with full usage', async () => {
    const completion = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Summarise the ingestion pipeline' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe(
      'Simulated reply from gpt-4o-mini: Summarise the ingestion pipeline',
    );
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    const usage = completion.usage;
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + (usage?.completion_tokens ?? 0));
    expect(usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBe(0);
    expect(completion._request_id).toBe(`req_sim_${sim.requests[0]?.id}`);
  });

  it('honours max_tokens as an upper bound', async () => {
    const completion = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      max_tokens: 4,
      messages: [{ role: 'user', content: 'one two three four five six seven' }],
    });
    expect(completion.usage?.completion_tokens).toBe(4);
    expect(completion.choices[0]?.finish_reason).toBe('length');
  });

  it('streams with include_usage: usage only on a final empty-choices chunk', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream me' }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Simulated reply from gpt-4o-mini: stream me');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('puts usage on the finishing choice chunk for usageOnChoiceChunk providers', async () => {
    const stream = await client('groq').chat.completions.create({
      model: 'llama-3.1-8b-instant',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream me' }],
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.some((chunk) => chunk.choices.length === 0)).toBe(false);
    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe('stop');
    expect(last?.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('returns extraction JSON for response_format json_object', async () => {
    const completion = await client().chat.completions.create({
      model: 'gpt-4o-mini',
      response_format: { type: 'json_object' },
      messages: [{ role: 'user', content: 'Ada Lovelace met Charles Babbage in London.' }],
    });
    const graph = JSON.parse(completion.choices[0]?.message.content ?? '');
    expect(graph.entities.map((entity: { name: string }) => entity.name)).toEqual([
      'Ada Lovelace',
      'Charles Babbage',
      'London',
    ]);
    expect(graph.relations).toHaveLength(3);
  });

  it('embeds with the SDK default (base64 float32) into unit vectors where similar texts are closer', async () => {
    const response = await client().embeddings.create({
      model: 'text-embedding-3-small',
      input: ['the cat sat on the mat', 'the cat sat on a mat', 'quarterly revenue grew strongly'],
    });
    expect(sim.requests[0]?.body).toMatchObject({ encoding_format: 'base64' });
    const [a, b, c] = response.data.map((item) => item.embedding);
    expect(a).toHaveLength(1024);
    for (const vector of [a, b, c]) expect(Math.sqrt(cosine(vector ?? [], vector ?? []))).toBeCloseTo(1, 5);
    expect(cosine(a ?? [], b ?? [])).toBeGreaterThan(cosine(a ?? [], c ?? []));
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens);
  });

  it('honours float encoding and the dimensions parameter', async () => {
    const response = await client().embeddings.create({
      model: 'text-embedding-3-small',
      input: 'hello',
      encoding_format: 'float',
      dimensions: 256,
    });
    expect(response.data[0]?.embedding).toHaveLength(256);
    expect(Array.isArray(response.data[0]?.embedding)).toBe(true);
  });

  it('describes a data-URL image and counts it as 85 prompt tokens', async () => {
    const png = await sharp({ create: { width: 16, height: 9, channels: 3, background: '#0000ff' } })
      .png()
      .toBuffer();
    const messages = (withImage: boolean): OpenAI.ChatCompletionMessageParam[] => [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Describe' },
          ...(withImage
            ? [
                {
                  type: 'image_url' as const,
                  image_url: { url: `data:image/png;base64,${png.toString('base64')}` },
                },
              ]
            : []),
        ],
      },
    ];
    const withImage = await client().chat.completions.create({ model: 'gpt-4o', messages: messages(true) });
    expect(withImage.choices[0]?.message.content).toBe('An image of 16x9 pixels; dominant colour #0808f8.');
    const textOnly = await client().chat.completions.create({ model: 'gpt-4o', messages: messages(false) });
    expect((withImage.usage?.prompt_tokens ?? 0) - (textOnly.usage?.prompt_tokens ?? 0)).toBe(85);
  });

  it('answers 400 for invalid image data', async () => {
    const failure = client().chat.completions.create({
      model: 'gpt-4o',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
      ],
    });
    await expect(failure).rejects.toMatchObject({ status: 400 });
  });

  it('reports cached tokens when a long prompt prefix repeats', async () => {
    const system = `You extract knowledge graphs. ${'Follow every rule carefully and precisely. '.repeat(200)}`;
    const ask = (question: string) =>
      client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: question },
        ],
      });
    const first = await ask('First document');
    expect(first.usage?.prompt_tokens).toBeGreaterThanOrEqual(1024);
    expect(first.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
    const second = await ask('Second document');
    const cached = second.usage?.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    expect(cached % 128).toBe(0);
    expect(cached).toBeLessThanOrEqual(second.usage?.prompt_tokens ?? 0);
    expect((await ask('Third document')).usage?.prompt_tokens_details?.cached_tokens).toBe(cached);
    // Other providers have their own cache.
    const other = await client('openrouter').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'x' },
      ],
    });
    expect(other.usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  });

  it('does not cache prompts below cacheMinTokens', async () => {
    const ask = () =>
      client().chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'short system prompt' },
          { role: 'user', content: 'q' },
        ],
      });
    await ask();
    expect((await ask()).usage?.prompt_tokens_details?.cached_tokens).toBe(0);
  });
});
