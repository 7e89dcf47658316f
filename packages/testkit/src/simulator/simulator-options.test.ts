import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { startProviderSimulator } from './provider-simulator.ts';

describe('simulator options and lifecycle', () => {
  it('applies models, strictModels and per-model embedding dimensions', async () => {
    await using sim = await startProviderSimulator({
      models: { ollama: ['nomic-embed-text'], acme: ['acme-large'] },
      strictModels: true,
      embeddingDimensions: 32,
      embeddingDimensionsByModel: { 'acme-large': 48 },
    });
    const ollama = new Ollama({ host: sim.ollamaUrl });
    expect((await ollama.list()).models.map((model) => model.name)).toEqual(['nomic-embed-text']);
    expect((await ollama.embed({ model: 'nomic-embed-text', input: 'x' })).embeddings[0]).toHaveLength(32);
    await expect(ollama.embed({ model: 'bge-m3', input: 'x' })).rejects.toMatchObject({ status_code: 404 });

    const acme = new OpenAI({ apiKey: 'k', baseURL: sim.openaiBaseUrl('acme'), maxRetries: 0 });
    const vector = await acme.embeddings.create({ model: 'acme-large', input: 'x' });
    expect(vector.data[0]?.embedding).toHaveLength(48);
    await expect(acme.embeddings.create({ model: 'other', input: 'x' })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });
  });

  it('switches provider behaviour at runtime', async () => {
    await using sim = await startProviderSimulator();
    sim.setProviderBehaviour('openai', { usageOnChoiceChunk: true });
    const openai = new OpenAI({ apiKey: 'k', baseURL: sim.openaiBaseUrl(), maxRetries: 0 });
    const stream = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.at(-1)?.choices).toHaveLength(1);
    expect(chunks.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
  });

  it('close() ends hanging requests and records their close', async () => {
    const sim = await startProviderSimulator();
    sim.faults.add({ provider: 'ollama', hang: true });
    const pending = fetch(`${sim.url}/api/tags`).then(
      () => 'answered',
      () => 'failed',
    );
    const record = await sim.waitForRequest((candidate) => candidate.route === 'tags');
    await sim.close();
    expect(await pending).toBe('failed');
    expect(record.closedAt).toBeTypeOf('number');
  });

  it('answers unknown paths with 404 and the root like Ollama', async () => {
    await using sim = await startProviderSimulator();
    expect((await fetch(`${sim.url}/nope`)).status).toBe(404);
    expect(await (await fetch(sim.url)).text()).toBe('Ollama is running');
    expect(sim.count()).toBe(0);
  });
});
