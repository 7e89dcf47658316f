import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderSimulator } from './provider-simulator.ts';
import { startProviderSimulator } from './provider-simulator.ts';

let sim: ProviderSimulator;
let dashscope: OpenAI;

/** DashScope-only body fields the openai SDK types do not know about. */
const thinking = { enable_thinking: true, vl_high_resolution_images: true };
const messages = [{ role: 'user' as const, content: 'Why is the sky blue?' }];

beforeAll(async () => {
  sim = await startProviderSimulator();
  dashscope = new OpenAI({ apiKey: 'sk-ds', baseURL: sim.openaiBaseUrl('dashscope'), maxRetries: 0 });
});
afterAll(() => sim.close());
beforeEach(() => sim.reset());

describe('dashscope extensions', () => {
  it('rejects enable_thinking without streaming, like DashScope', async () => {
    const failure = dashscope.chat.completions.create({ model: 'qwen3-32b', messages, ...thinking });
    await expect(failure).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining(
        'parameter.enable_thinking must be set to false for non-streaming calls',
      ),
    });
    expect(sim.requests[0]?.body).toMatchObject(thinking);
  });

  it('streams reasoning_content before the content and counts reasoning tokens', async () => {
    const stream = await dashscope.chat.completions.create({
      model: 'qwen3-32b',
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...thinking,
    });
    const kinds: string[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as
        | { content?: string | null; reasoning_content?: string }
        | undefined;
      if (delta?.reasoning_content) kinds.push('reasoning');
      if (delta?.content) kinds.push('content');
      usage ??= chunk.usage;
    }
    expect(kinds[0]).toBe('reasoning');
    expect(kinds.lastIndexOf('reasoning')).toBeLessThan(kinds.indexOf('content'));
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
    expect(sim.requests[0]?.body).toMatchObject({ enable_thinking: true, vl_high_resolution_images: true });
  });

  it('answers non-streaming calls with enable_thinking false', async () => {
    const completion = await dashscope.chat.completions.create({
      model: 'qwen-plus',
      messages,
      enable_thinking: false,
    } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(completion.choices[0]?.message.content).toContain('qwen-plus');
  });

  it('ignores enable_thinking on other providers', async () => {
    const openai = new OpenAI({ apiKey: 'sk', baseURL: sim.openaiBaseUrl('openai'), maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, ...thinking });
    expect(completion.choices).toHaveLength(1);
  });
});
