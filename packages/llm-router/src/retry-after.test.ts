import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, parseHttpDate, parseRetryAfter } from './retry-after.ts';

// 2025-06-01T12:00:00Z: fixed so the HTTP-date cases don't depend on the machine's clock.
const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('returns undefined without headers or without the headers it reads', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter({}, NOW)).toBeUndefined();
    expect(parseRetryAfter(new Headers({ 'content-type': 'text/plain' }), NOW)).toBeUndefined();
    expect(parseRetryAfter({ 'retry-after': undefined }, NOW)).toBeUndefined();
  });

  describe('retry-after-ms', () => {
    it('reads float milliseconds', () => {
      expect(parseRetryAfter({ 'retry-after-ms': '1500' }, NOW)).toBe(1500);
      expect(parseRetryAfter({ 'retry-after-ms': '12.5' }, NOW)).toBe(12.5);
      expect(parseRetryAfter({ 'retry-after-ms': '0' }, NOW)).toBe(0);
    });

    it('takes precedence over retry-after', () => {
      expect(parseRetryAfter({ 'retry-after-ms': '250', 'retry-after': '30' }, NOW)).toBe(250);
      expect(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '30' }), NOW)).toBe(250);
    });

    it('falls back to retry-after when it is unusable', () => {
      expect(parseRetryAfter({ 'retry-after-ms': 'soon', 'retry-after': '3' }, NOW)).toBe(3000);
      expect(parseRetryAfter({ 'retry-after-ms': '-5', 'retry-after': '3' }, NOW)).toBe(3000);
      expect(parseRetryAfter({ 'retry-after-ms': '', 'retry-after': '3' }, NOW)).toBe(3000);
    });

    it('caps absurd values', () => {
      expect(parseRetryAfter({ 'retry-after-ms': '99999999999' }, NOW)).toBe(MAX_RETRY_AFTER_MS);
    });
  });

  describe('retry-after as delta-seconds', () => {
    it.each([
      ['0', 0],
      ['1', 1000],
      ['120', 120_000],
      ['1.5', 1500],
      ['0.25', 250],
      [' 7 ', 7000],
    ])('%j -> %d ms', (value, expected) => {
      expect(parseRetryAfter({ 'retry-after': value }, NOW)).toBe(expected);
    });

    it('caps values over 24 h', () => {
      expect(parseRetryAfter({ 'retry-after': '86401' }, NOW)).toBe(MAX_RETRY_AFTER_MS);
      expect(parseRetryAfter({ 'retry-after': '9'.repeat(400) }, NOW)).toBe(MAX_RETRY_AFTER_MS);
    });

    it.each([
      '-1',
      '-0.5',
      '1e3',
      '0x10',
      '+5',
      '5s',
      '1,5',
      '.5',
      '5.',
      'Infinity',
      'NaN',
      '',
      '   ',
      'soon',
    ])('ignores %j', (value) => {
      expect(parseRetryAfter({ 'retry-after': value }, NOW)).toBeUndefined();
    });
  });

  describe('retry-after as an HTTP-date', () => {
    it('reads an IMF-fixdate in the future', () => {
      expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2025 12:00:30 GMT' }, NOW)).toBe(30_000);
    });

    it('gives 0 for a date in the past or exactly now', () => {
      expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2025 11:59:00 GMT' }, NOW)).toBe(0);
      expect(parseRetryAfter({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }, NOW)).toBe(0);
      expect(parseRetryAfter({ 'retry-after': 'Sun, 01 Jun 2025 12:00:00 GMT' }, NOW)).toBe(0);
    });

    it('caps a date more than 24 h ahead', () => {
      expect(parseRetryAfter({ 'retry-after': 'Fri, 01 Jun 2035 12:00:00 GMT' }, NOW)).toBe(
        MAX_RETRY_AFTER_MS,
      );
    });

    it('reads the obsolete RFC 850 and asctime forms', () => {
      expect(parseRetryAfter({ 'retry-after': 'Sunday, 01-Jun-25 12:01:00 GMT' }, NOW)).toBe(60_000);
      expect(parseRetryAfter({ 'retry-after': 'Sun Jun  1 12:00:10 2025' }, NOW)).toBe(10_000);
    });

    it('uses the default clock when none is given', () => {
      const inOneMinute = new Date(Date.now() + 60_000).toUTCString();
      const ms = parseRetryAfter({ 'retry-after': inOneMinute });
      // toUTCString drops the milliseconds, so up to 1 s (plus test run time) is lost.
      expect(ms).toBeGreaterThan(58_000);
      expect(ms).toBeLessThanOrEqual(60_000);
    });

    it.each([
      'Sun, 01 Jun 2025 12:00:30 UTC',
      'Sun, 1 Jun 2025 12:00:30 GMT',
      'Sun, 01 Foo 2025 12:00:30 GMT',
      'Sun, 31 Feb 2025 12:00:30 GMT',
      'Sun, 01 Jun 2025 25:00:30 GMT',
      '2025-06-01T12:00:30Z',
      'Sun, 01 Jun 2025 12:00:30 GMT trailing',
      'tomorrow',
    ])('ignores %j', (value) => {
      expect(parseRetryAfter({ 'retry-after': value }, NOW)).toBeUndefined();
    });
  });

  describe('header shapes', () => {
    it('reads a fetch Headers object', () => {
      expect(parseRetryAfter(new Headers({ 'Retry-After': '2' }), NOW)).toBe(2000);
    });

    it('matches record keys case-insensitively', () => {
      expect(parseRetryAfter({ 'Retry-After': '2' }, NOW)).toBe(2000);
      expect(parseRetryAfter({ 'RETRY-AFTER-MS': '20' }, NOW)).toBe(20);
    });

    it('uses the first value of a repeated header', () => {
      expect(parseRetryAfter({ 'retry-after': ['4', '9'] }, NOW)).toBe(4000);
      expect(parseRetryAfter({ 'retry-after': [] }, NOW)).toBeUndefined();
    });

    it('accepts any object with a get method (Headers from another realm or polyfill)', () => {
      const headers = { get: (name: string) => (name === 'retry-after' ? '3' : null) } as unknown as Headers;
      expect(parseRetryAfter(headers, NOW)).toBe(3000);
    });
  });
});

describe('parseHttpDate', () => {
  it('reads the RFC 9110 examples', () => {
    const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(expected);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(expected);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW)).toBe(expected);
  });

  it('puts an RFC 850 two-digit year no more than 50 years ahead', () => {
    expect(parseHttpDate('Monday, 01-Jan-74 00:00:00 GMT', NOW)).toBe(Date.UTC(2074, 0, 1));
    expect(parseHttpDate('Tuesday, 01-Jan-76 00:00:00 GMT', NOW)).toBe(Date.UTC(1976, 0, 1));
  });

  it('rejects what Date.parse would happily accept', () => {
    expect(Number.isNaN(Date.parse('1'))).toBe(false);
    expect(parseHttpDate('1', NOW)).toBeUndefined();
    expect(parseHttpDate('June 1, 2025', NOW)).toBeUndefined();
  });
});
