import { describe, expect, it } from 'vitest';
import { splitAtTokenBoundaries, tokenCount, tokenCountWithin } from './tokenizer.ts';

function pieces(text: string, size: number): string[] {
  let start = 0;
  return splitAtTokenBoundaries(text, size).map(({ end }) => {
    const piece = text.slice(start, end);
    start = end;
    return piece;
  });
}

describe('tokenizer helpers', () => {
  it('counts special-token strings as plain text instead of throwing', () => {
    expect(tokenCount('before <|endoftext|> after')).toBeGreaterThan(3);
  });

  it('stops counting early past the limit', () => {
    expect(tokenCountWithin('word '.repeat(10_000), 10)).toBeUndefined();
    expect(tokenCountWithin('hello world', 10)).toBe(2);
  });

  it.each([
    ['latin run', 'x'.repeat(5_000)],
    ['url', `https://example.com/${'a1b2c3/'.repeat(500)}`],
    ['cjk', '機械学習モデルは大量のデータから規則を学ぶ。'.repeat(200)],
    ['arabic', 'التعلم الآلي يتعلم من البيانات '.repeat(200)],
    ['emoji', '🚀🧪👩‍🔬'.repeat(400)],
  ])('splits a %s into clean pieces that tile the text', (_name, text) => {
    const result = splitAtTokenBoundaries(text, 50);
    const parts = pieces(text, 50);
    expect(parts.join('')).toBe(text);
    expect(parts.some((p) => p.includes('\uFFFD'))).toBe(false);
    for (const [i, part] of parts.entries()) {
      expect(result[i]?.tokens).toBeLessThanOrEqual(50);
      // A piece re-tokenized on its own may differ by a token at its edges, never by much.
      expect(tokenCount(part)).toBeLessThanOrEqual(52);
    }
  });
});
