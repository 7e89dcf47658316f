import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { extractJson } from './json-reply.ts';
import { chainFor, DEFAULT_ROUTING_CONFIG, parseRoutingConfig } from './routing-config.ts';
import { estimatePromptTokens, promptTokenUpperBound } from './tokens.ts';

const isLocal = (provider: string): boolean => provider === 'ollama';

describe('routing config', () => {
  it('orders and filters chains by mode', () => {
    const config = parseRoutingConfig({
      tasks: {
        generation: [
          { provider: 'dashscope', model: 'qwen-plus' },
          { provider: 'ollama', model: 'llama3.1:8b' },
          { provider: 'openai', model: 'gpt-4o' },
        ],
        embedding: [{ provider: 'ollama', model: 'bge-m3' }],
        extraction: [{ provider: 'openai', model: 'gpt-4o-mini' }],
        vision: [{ provider: 'openai', model: 'gpt-4o' }],
      },
    });
    expect(config.mode).toBe('local-first');
    expect(config.localMaxPromptTokens).toBe(3000);
    const names = (mode: 'local-first' | 'cloud-only' | 'local-only') =>
      chainFor(config, 'generation', mode, isLocal).map((entry) => entry.provider);
    expect(names('local-first')).toEqual(['ollama', 'dashscope', 'openai']);
    expect(names('cloud-only')).toEqual(['dashscope', 'openai']);
    expect(names('local-only')).toEqual(['ollama']);
  });

  it('rejects an invalid file with CONFIG_INVALID naming the problem', () => {
    expect(() => parseRoutingConfig({ mode: 'cheapest', tasks: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('mode') }),
    );
    expect(parseRoutingConfig(DEFAULT_ROUTING_CONFIG).tasks.vision.length).toBeGreaterThan(1);
  });
});

describe('tokens', () => {
  it('bounds input tokens by UTF-8 bytes, which no byte-level tokenizer exceeds', () => {
    const messages = [{ content: 'Ünïcödé text — with “quotes” and 汉字 characters repeated '.repeat(20) }];
    expect(promptTokenUpperBound(messages, 0)).toBeGreaterThan(estimatePromptTokens(messages));
    expect(promptTokenUpperBound([{ content: 'x', images: [1, 2] }], 1000)).toBeGreaterThanOrEqual(2000);
  });
});

describe('extractJson', () => {
  const schema = z.object({ entities: z.array(z.object({ name: z.string() })) });

  it('accepts fenced or surrounded JSON and validates it', () => {
    expect(extractJson('Sure!\n```json\n{"entities":[{"name":"Ada"}]}\n```', schema)).toEqual({
      ok: true,
      value: { entities: [{ name: 'Ada' }] },
    });
    expect(extractJson('{"entities":[{"name":"Ada"}]} trailing', schema).ok).toBe(true);
  });

  it('says what is wrong', () => {
    expect(extractJson('no json here', schema)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('no JSON object'),
    });
    expect(extractJson('{"entities":[{"name":1}]}', schema)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('schema'),
    });
    expect(extractJson('{"entities": [}', schema)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('parseable'),
    });
  });
});
