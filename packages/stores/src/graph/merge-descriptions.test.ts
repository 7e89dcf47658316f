import { describe, expect, it } from 'vitest';
import { mergeDescriptions } from './merge-descriptions.ts';

describe('mergeDescriptions', () => {
  it('keeps distinct trimmed parts, first occurrence first', () => {
    expect(mergeDescriptions('makes Firefox', ' a non-profit | makes Firefox ')).toBe(
      'makes Firefox | a non-profit',
    );
    expect(mergeDescriptions('', '')).toBe('');
    expect(mergeDescriptions('a |  | b', 'b | c')).toBe('a | b | c');
  });

  it('is idempotent', () => {
    const once = mergeDescriptions('a | b', 'c');
    expect(mergeDescriptions(once, 'c')).toBe(once);
    expect(mergeDescriptions(once, once)).toBe(once);
  });

  it('skips parts that would pass the cap, cuts a first part that is too long', () => {
    expect(mergeDescriptions('aaaa', 'bbbbbbbb | cc', 10)).toBe('aaaa | cc');
    expect(mergeDescriptions('', 'x'.repeat(30), 10)).toBe('x'.repeat(10));
    const many = Array.from({ length: 50 }, (_, index) => `part ${index} `.padEnd(100, '.')).join(' | ');
    expect(mergeDescriptions('', many).length).toBeLessThanOrEqual(1000);
  });
});
