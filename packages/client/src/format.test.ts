import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatUsd, sumUsd, trimUsd } from './format.ts';

describe('money for people', () => {
  it('never shows a non-zero amount as zero, and never more than a handful of digits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 15 }), (pico) => {
        const usd = (pico / 1e12).toFixed(12);
        const shown = formatUsd(usd);
        expect(shown).not.toBe('$0.00');
        expect(shown.replace(/[$,.-]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(16);
      }),
    );
    expect(formatUsd('12.345000000000')).toBe('$12.35');
    expect(formatUsd('1234.5')).toBe('$1,234.50');
    expect(formatUsd('0.012345000000')).toBe('$0.0123');
    expect(formatUsd('0.000004200000')).toBe('$0.0000042');
    expect(formatUsd('0.000000000000')).toBe('$0.00');
  });

  it('trims exact amounts without changing their value, and sums them exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 18n }), { maxLength: 20 }), (picos) => {
        const strings = picos.map(
          (p) => `${p / 10n ** 12n}.${(p % 10n ** 12n).toString().padStart(12, '0')}`,
        );
        for (const s of strings) expect(Number(trimUsd(s))).toBe(Number(s));
        const total = picos.reduce((a, b) => a + b, 0n);
        const expected = `${total / 10n ** 12n}.${(total % 10n ** 12n).toString().padStart(12, '0')}`;
        expect(sumUsd(strings)).toBe(trimUsd(expected));
      }),
    );
    expect(trimUsd('12.500000000000')).toBe('12.50');
    expect(trimUsd('0.000123000000')).toBe('0.000123');
  });

  it('formats durations and sizes', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(7_620_000)).toBe('2 h 07 min');
    expect(formatDuration(null)).toBe('-');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(4.5 * 1024 * 1024)).toBe('4.5 MB');
  });
});
