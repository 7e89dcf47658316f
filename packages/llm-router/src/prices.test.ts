import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICE_TABLE } from './default-prices.ts';
import { picoToUsd, usdToPico } from './money.ts';
import { costUsd, parsePriceTable, resolvePrice } from './prices.ts';

describe('money', () => {
  it('round-trips USD decimals exactly', () => {
    for (const usd of ['0', '0.05', '20', '0.000000000001', '123456.123456789012']) {
      expect(usdToPico(usd).toString()).toBe(usdToPico(picoToUsd(usdToPico(usd))).toString());
    }
    expect(picoToUsd(usdToPico('0.1') + usdToPico('0.2'))).toBe('0.300000000000');
  });

  it('refuses malformed amounts', () => {
    for (const bad of ['-1', '1e-3', 'abc', '0.0000000000001'])
      expect(() => usdToPico(bad)).toThrow(/USD amount/);
  });
});

describe('prices', () => {
  const table = parsePriceTable({
    version: 'test-1',
    currency: 'USD',
    models: {
      'dashscope:qwen-turbo': { inputPerMillion: '0.05', outputPerMillion: '0.20' },
      'openai:gpt-4o': { inputPerMillion: '2.50', cachedInputPerMillion: '1.25', outputPerMillion: '10.00' },
      'openai:vision-per-image': { inputPerMillion: '1', outputPerMillion: '1', perImage: '0.001' },
      'ollama:*': { inputPerMillion: '0', outputPerMillion: '0' },
    },
  });

  it("prices DashScope tokens at REFERENCE.md's rates, divided by one million exactly once", () => {
    const price = resolvePrice(table, 'dashscope', 'qwen-turbo');
    if (!price) throw new Error('price missing');
    // 1M input at $0.05 + 1M output at $0.20
    expect(
      costUsd(price, { inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 1_000_000, images: 0 }),
    ).toBe('0.250000000000');
    expect(costUsd(price, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 0, images: 0 })).toBe(
      '0.000000050000',
    );
  });

  it('bills cached input at the cached rate and the rest at the input rate', () => {
    const price = resolvePrice(table, 'openai', 'gpt-4o');
    if (!price) throw new Error('price missing');
    // 2048 prompt tokens of which 1024 cached: 1024 * 2.50/1M + 1024 * 1.25/1M + 100 * 10/1M
    expect(costUsd(price, { inputTokens: 2048, cachedInputTokens: 1024, outputTokens: 100, images: 0 })).toBe(
      '0.004840000000',
    );
  });

  it('adds per-image prices and treats wildcard free providers as free', () => {
    const perImage = resolvePrice(table, 'openai', 'vision-per-image');
    expect(
      perImage && costUsd(perImage, { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, images: 3 }),
    ).toBe('0.003000000000');
    expect(resolvePrice(table, 'ollama', 'anything')?.free).toBe(true);
    expect(resolvePrice(table, 'groq', 'unknown')).toBeUndefined();
  });

  it('validates the built-in table and rejects prices with more than 6 decimals', () => {
    expect(parsePriceTable(DEFAULT_PRICE_TABLE).version).toBe(DEFAULT_PRICE_TABLE.version);
    expect(() =>
      parsePriceTable({
        version: 'x',
        currency: 'USD',
        models: { 'a:b': { inputPerMillion: '0.0000001', outputPerMillion: '1' } },
      }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
