import { Ollama } from 'ollama';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSimulator } from './provider-simulator.ts';
import { startProviderSimulator } from './provider-simulator.ts';

let sim: ProviderSimulator;
let ollama: Ollama;

beforeAll(async () => {
  sim = await startProviderSimulator();
  ollama = new Ollama({ host: sim.ollamaUrl });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('ollama wire protocol', () => {
  it('lists the default models on /api/tags', async () => {
    const { models } = await ollama.list();
    expect(models.map((model) => model.name)).toEqual([
      'llama3.2:3b',
      'llama3.1:8b',
      'bge-m3',
      'qwen2.5vl:7b',
    ]);
    expect(models[0]?.details.format).toBe('gguf');
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('answers a non-streaming chat with counts and durations', async () => {
    const response = await ollama.chat({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'Tell me about queues and workers' }],
    });
    expect(response.message).toEqual({
      role: 'assistant',
      content: 'Simulated reply from llama3.2:3b: Tell me about queues and workers',
    });
    expect(response.done).toBe(true);
    expect(response.done_reason).toBe('stop');
    expect(response.prompt_eval_count).toBeGreaterThan(4);
    expect(response.eval_count).toBeGreaterThan(0);
    expect(response.total_duration).toBe(
      response.load_duration + response.prompt_eval_duration + response.eval_duration,
    );
    expect(sim.requests[0]).toMatchObject({
      provider: 'ollama',
      route: 'chat',
      model: 'llama3.2:3b',
      stream: false,
    });
  });

  it('streams NDJSON chunks with a final done chunk carrying the counts', async () => {
    const stream = await ollama.chat({
      model: 'llama3.1:8b',
      messages: [{ role: 'user', content: 'stream this please' }],
      stream: true,
    });
    let text = '';
    let final: { eval_count?: number; prompt_eval_count?: number; done: boolean } | undefined;
    for await (const part of stream) {
      text += part.message.content;
      if (part.done) final = part;
    }
    expect(text).toBe('Simulated reply from llama3.1:8b: stream this please');
    expect(final?.eval_count).toBeGreaterThan(0);
    expect(final?.prompt_eval_count).toBeGreaterThan(0);
  });

  it('streams by default when the raw request omits "stream", like real Ollama', async () => {
    const response = await fetch(`${sim.url}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: 'stop' });
    expect(sim.requests[0]?.stream).toBe(true);
  });

  it('caps output at num_predict tokens and reports done_reason length', async () => {
    const response = await ollama.chat({
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'a long question with many many words in it' }],
      options: { num_predict: 3 },
    });
    expect(response.eval_count).toBe(3);
    expect(response.done_reason).toBe('length');
  });

  it('returns extraction JSON when format is json', async () => {
    const response = await ollama.chat({
      model: 'llama3.2:3b',
      format: 'json',
      messages: [{ role: 'user', content: 'Marie Curie worked at the University of Paris.' }],
    });
    const graph = JSON.parse(response.message.content);
    expect(graph.entities).toEqual([
      { name: 'Marie Curie', type: 'PERSON', description: 'Marie Curie worked at the University of Paris.' },
      {
        name: 'University of Paris',
        type: 'ORGANIZATION',
        description: 'Marie Curie worked at the University of Paris.',
      },
    ]);
    expect(graph.relations).toEqual([
      {
        source: 'Marie Curie',
        target: 'University of Paris',
        type: 'RELATED_TO',
        description: 'Marie Curie worked at the University of Paris.',
      },
    ]);
  });

  it('embeds deterministically with unit-length vectors', async () => {
    const first = await ollama.embed({ model: 'bge-m3', input: ['alpha beta', 'alpha beta', ''] });
    expect(first.embeddings).toHaveLength(3);
    expect(first.embeddings[0]).toHaveLength(1024);
    expect(first.embeddings[0]).toEqual(first.embeddings[1]);
    for (const vector of first.embeddings) {
      expect(Math.hypot(...vector)).toBeCloseTo(1, 10);
    }
    expect(first.prompt_eval_count).toBeGreaterThan(0);
    const again = await ollama.embed({ model: 'bge-m3', input: 'alpha beta', dimensions: 64 });
    expect(again.embeddings[0]).toHaveLength(64);
  });

  it('describes images sent as base64 in messages[].images', async () => {
    const png = await sharp({ create: { width: 8, height: 4, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const response = await ollama.chat({
      model: 'qwen2.5vl:7b',
      messages: [{ role: 'user', content: 'What is in this image?', images: [png] }],
    });
    expect(response.message.content).toBe('An image of 8x4 pixels; dominant colour #f80808.');
  });

  it('answers 400 with an Ollama error for undecodable images', async () => {
    const failure = ollama.chat({
      model: 'qwen2.5vl:7b',
      messages: [{ role: 'user', content: 'look', images: ['bm90IGFuIGltYWdl'] }],
    });
    await expect(failure).rejects.toMatchObject({
      status_code: 400,
      error: expect.stringContaining('invalid image'),
    });
  });

  it('reproduces the out-of-memory error', async () => {
    sim.faults.add({ provider: 'ollama', route: 'chat', ollamaOom: true, times: 1 });
    const failure = ollama.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'hi' }] });
    await expect(failure).rejects.toMatchObject({
      status_code: 500,
      error: 'model requires more system memory (9.2 GiB) than is available (3.1 GiB)',
    });
    const ok = await ollama.chat({ model: 'llama3.1:8b', messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.done).toBe(true);
  });

  it('omits the counts under missingUsage', async () => {
    sim.faults.add({ provider: 'ollama', missingUsage: true });
    const response = await ollama.chat({ model: 'llama3.2:3b', messages: [{ role: 'user', content: 'hi' }] });
    expect(response.prompt_eval_count).toBeUndefined();
    expect(response.eval_count).toBeUndefined();
    const embedded = await ollama.embed({ model: 'bge-m3', input: 'hi' });
    expect(embedded.prompt_eval_count).toBeUndefined();
  });
});
