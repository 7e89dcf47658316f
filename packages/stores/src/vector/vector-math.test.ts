import { describe, expect, it } from 'vitest';
import { assertDimensions, l2Normalise, TopK } from './vector-math.ts';

describe('l2Normalise', () => {
  it('scales to unit length', () => {
    const unit = l2Normalise([3, 4]);
    expect(unit[0]).toBeCloseTo(0.6);
    expect(unit[1]).toBeCloseTo(0.8);
  });

  it.each([[[]], [[0, 0]], [[1, Number.NaN]], [[Number.POSITIVE_INFINITY, 1]]])('refuses %j', (vector) => {
    expect(() => l2Normalise(vector)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('assertDimensions', () => {
  it('fails with VECTOR_DIM_MISMATCH naming both sizes', () => {
    expect(() => assertDimensions([[1, 2, 3]], 4, 'docs')).toThrow(
      expect.objectContaining({
        code: 'VECTOR_DIM_MISMATCH',
        details: { collection: 'docs', expected: 4, actual: 3 },
      }),
    );
    expect(() => assertDimensions([[1, 2, 3, 4]], 4, 'docs')).not.toThrow();
  });
});

describe('TopK', () => {
  it('keeps the best items, best first, in a stable order for ties', () => {
    const top = new TopK<string>(3);
    for (const [score, item] of [
      [0.1, 'a'],
      [0.9, 'b'],
      [0.5, 'c'],
      [0.9, 'd'],
      [-1, 'e'],
      [0.7, 'f'],
    ] as const) {
      top.offer(score, item);
    }
    expect(top.results().map((entry) => entry.item)).toEqual(['b', 'd', 'f']);
    expect(top.threshold).toBe(0.7);
  });

  it('keeps nothing for a limit of 0', () => {
    const top = new TopK<string>(0);
    top.offer(1, 'a');
    expect(top.results()).toEqual([]);
  });
});
