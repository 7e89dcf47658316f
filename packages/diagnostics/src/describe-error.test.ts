import { describe, expect, it } from 'vitest';
import { describeError } from './describe-error.ts';
import { redisCli } from './infrastructure-checks.ts';

describe('failures for people', () => {
  it('names a network or database failure by its code, wherever the client put it', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(describeError(refused)).toEqual({
      code: 'ECONNREFUSED',
      text: 'refused the connection (nothing listens there)',
    });
    expect(describeError(new AggregateError([refused], 'x')).code).toBe('ECONNREFUSED');
    expect(describeError(new Error('fetch failed', { cause: refused })).code).toBe('ECONNREFUSED');
    expect(
      describeError(Object.assign(new Error('password authentication failed'), { code: '28P01' })).text,
    ).toBe('refused the password');
    expect(describeError(new Error('WRONGPASS invalid username-password pair')).text).toBe(
      'refused the password',
    );
    expect(describeError(new Error('something odd\nwith a second line')).text).toBe('something odd');
  });

  it('builds a redis-cli line for the configured server without printing its password', () => {
    expect(redisCli('redis://10.0.0.5:6380')).toBe('redis-cli -h 10.0.0.5 -p 6380');
    expect(redisCli('rediss://:s3cret-pass@cache.internal:6390/2')).toBe(
      'redis-cli -h cache.internal -p 6390 --tls --askpass -n 2',
    );
    expect(redisCli('redis://127.0.0.1')).toBe('redis-cli -h 127.0.0.1 -p 6379');
  });
});
