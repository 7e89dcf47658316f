import { isAegisError } from '@aegis/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { solidPng } from '../support/images.ts';
import {
  createRouterHarness,
  ledgerRows,
  type RouterHarness,
  type RouterInstance,
  TEST_ROUTING,
} from '../support/router-harness.ts';

const graphSchema = z.object({
  entities: z.array(z.object({ name: z.string(), type: z.string(), description: z.string() })),
  relations: z.array(
    z.object({ source: z.string(), target: z.string(), type: z.string(), description: z.string() }),
  ),
});

const cosine = (a: number[], b: number[]) =>
  a.reduce((total, value, index) => total + value * (b[index] ?? 0), 0);

describe('generateJson, embed and describeImage go through the same routing', () => {
  let harness: RouterHarness;
  let instance: RouterInstance;
  beforeAll(async () => {
    harness = await createRouterHarness();
    instance = harness.makeRouter({ embedBatchSize: 64 });
  });
  afterAll(async () => harness.close());
  beforeEach(async () => harness.reset());

  it('extracts schema-valid JSON', async () => {
    const result = await instance.router.generateJson({
      task: 'extraction',
      schema: graphSchema,
      messages: [
        {
          role: 'user',
          content: 'Andreas Gal designed TraceMonkey at Mozilla. Brendan Eich created JavaScript.',
        },
      ],
    });
    expect(result.repaired).toBe(false);
    expect(result.value.entities.map((entity) => entity.name)).toEqual(
      expect.arrayContaining(['Andreas Gal', 'TraceMonkey', 'Mozilla']),
    );
    expect(result.value.relations.length).toBeGreaterThan(0);
    const request = harness.sim.requests.find((record) => record.route === 'chat');
    expect(request?.body).toMatchObject({ format: expect.objectContaining({ type: 'object' }) });
  });

  it('repairs invalid JSON once, in the same request group', async () => {
    harness.sim.faults.add({
      provider: 'ollama',
      route: 'chat',
      content: '{"entities": [ {"name": "oops"',
      times: 1,
    });
    const result = await instance.router.generateJson({
      task: 'extraction',
      schema: graphSchema,
      messages: [{ role: 'user', content: 'Grace Hopper wrote the first compiler.' }],
    });
    expect(result.repaired).toBe(true);
    await instance.accounting.flush();
    const rows = await ledgerRows(harness.db, 'request_group = $1', [result.requestGroup]);
    expect(rows.map((row) => [row.attempt, row.status])).toEqual([
      [1, 'ok'],
      [2, 'ok'],
    ]);
  });

  it('repairs a long cut-off reply locally: the repair carries an excerpt, not the whole reply', async () => {
    const longBroken = `{"entities": [${'{"name": "Ada Lovelace", "type": "PERSON", "description": "A pioneer of computing."},'.repeat(400)}`;
    harness.sim.faults.add({ provider: 'ollama', route: 'chat', content: longBroken, times: 1 });
    const result = await instance.router.generateJson({
      task: 'extraction',
      schema: graphSchema,
      messages: [{ role: 'user', content: 'Ada Lovelace wrote the first program.' }],
    });
    expect(result.repaired).toBe(true);
    expect(result.provider).toBe('ollama');
    const repair = harness.sim.requests
      .filter((record) => record.provider === 'ollama' && record.route === 'chat')
      .at(-1);
    const body = repair?.body as { messages: Array<{ role: string; content: string }> } | undefined;
    const messages = body?.messages ?? [];
    const shown = messages.find((message) => message.role === 'assistant')?.content ?? '';
    expect(longBroken.length).toBeGreaterThan(30_000);
    expect(shown.length).toBeLessThan(2_200);
  });

  it('fails with LLM_JSON_INVALID when the repair is invalid too', async () => {
    harness.sim.faults.add({ provider: 'ollama', route: 'chat', content: 'not json at all', times: 2 });
    const error = await instance.router
      .generateJson({
        task: 'extraction',
        schema: graphSchema,
        messages: [{ role: 'user', content: 'Alan Turing.' }],
      })
      .catch((caught: unknown) => caught);
    expect(isAegisError(error, 'LLM_JSON_INVALID')).toBe(true);
  });

  it('embeds in batches, unit-length vectors, similar texts closer', async () => {
    const texts = Array.from(
      { length: 150 },
      (_, index) => `paragraph ${index} on trace trees and type specialisation`,
    );
    texts[0] = 'tracing just-in-time compilers record hot loops';
    texts[1] = 'a tracing just-in-time compiler records hot loops';
    texts[2] = 'the weather in Lisbon is sunny';
    const result = await instance.router.embed({
      texts,
      attribution: { documentId: 'doc-embed', stage: 'embed' },
    });
    expect(result.vectors).toHaveLength(150);
    expect(result.dimensions).toBe(1024);
    expect(harness.sim.count('ollama', 'embed')).toBe(3);
    const [a, b, c] = result.vectors as [number[], number[], number[]];
    expect(cosine(a, a)).toBeCloseTo(1, 6);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
    await instance.accounting.flush();
    const rows = await ledgerRows(harness.db, 'request_group = $1', [result.requestGroup]);
    expect(rows).toHaveLength(3);
    expect(
      rows.every(
        (row) =>
          row.task === 'embedding' && row.document_id === 'doc-embed' && row.usage_source === 'provider',
      ),
    ).toBe(true);
  });

  it('pins every batch of one embed call to the model that answered the first', async () => {
    const texts = Array.from({ length: 100 }, (_, index) => `text ${index}`);
    // Ollama down from the start: both batches go to openai.
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', status: 500 });
    const cloud = await instance.router.embed({ texts });
    expect(cloud.provider).toBe('openai');
    expect(harness.sim.count('openai', 'embed')).toBe(2);

    // Ollama answers the first batch and then fails: the call fails instead of mixing vector spaces.
    await harness.reset();
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', latencyMs: 0, times: 1 });
    harness.sim.faults.add({ provider: 'ollama', route: 'embed', status: 500 });
    const error = await instance.router.embed({ texts }).catch((caught: unknown) => caught);
    expect(isAegisError(error, 'NO_PROVIDER_AVAILABLE')).toBe(true);
    expect(harness.sim.count('ollama', 'embed')).toBeGreaterThanOrEqual(2);
    expect(harness.sim.count('openai', 'embed')).toBe(0);
  });

  it('describes images through routing, budgets and the ledger', async () => {
    const image = { data: await solidPng(64, 48, { r: 0, g: 0, b: 255 }), mimeType: 'image/png' };
    const result = await instance.router.describeImage({
      image,
      mode: 'cloud-only',
      attribution: { documentId: 'doc-vision', stage: 'enrich-images' },
    });
    expect(result.provider).toBe('dashscope');
    expect(result.text).toMatch(/64x48|64×48/);
    // sharp bins the dominant colour, so check that it is blue rather than an exact value.
    const [, red = '', green = '', blue = ''] =
      /#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(result.text) ?? [];
    expect(Number.parseInt(blue, 16)).toBeGreaterThan(Number.parseInt(red, 16) + 128);
    expect(Number.parseInt(blue, 16)).toBeGreaterThan(Number.parseInt(green, 16) + 128);
    await instance.accounting.flush();
    const [row] = await ledgerRows(harness.db, 'request_group = $1', [result.requestGroup]);
    expect(row).toMatchObject({
      task: 'vision',
      images: 1,
      provider: 'dashscope',
      document_id: 'doc-vision',
      status: 'ok',
    });
    expect(Number(row?.cost_usd)).toBeGreaterThan(0);
  });

  it("sends DashScope's thinking flag on a streamed call, as DashScope requires", async () => {
    const thinking = harness.makeRouter({
      routing: {
        ...TEST_ROUTING,
        tasks: {
          ...TEST_ROUTING.tasks,
          vision: [
            {
              provider: 'dashscope',
              model: 'qwen3-vl-30b-a3b-instruct',
              extraBody: { enable_thinking: true, vl_high_resolution_images: true },
            },
          ],
        },
      },
    });
    const result = await thinking.router.describeImage({
      image: { data: await solidPng(), mimeType: 'image/png' },
    });
    expect(result.text.length).toBeGreaterThan(0);
    const request = harness.sim.requests.find((record) => record.provider === 'dashscope');
    expect(request?.stream).toBe(true);
    expect(request?.body).toMatchObject({
      enable_thinking: true,
      vl_high_resolution_images: true,
      stream_options: { include_usage: true },
    });
  });
});
