import { describe, expect, it } from 'vitest';
import { maskSecretsInString } from './mask-string.ts';

describe('maskSecretsInString', () => {
  it.each([
    ['postgres://user:pass@host:5432/db', 'postgres://user:***@host:5432/db'],
    ['redis://:pass@host:6379', 'redis://:***@host:6379'],
    ['postgres://user:p@ss@host/db', 'postgres://user:***@host/db'],
    ['Authorization: Bearer abc.def-ghi', 'Authorization: Bearer ***'],
    ['GET /v1/x?api_key=abc123&q=1', 'GET /v1/x?api_key=***&q=1'],
    ['password=hunter22 user=bob', 'password=*** user=bob'],
    ['{"token":"abc"}', '{"token":"***"}'],
    ['key sk-proj-0123456789abcdefXYZ used', 'key sk-*** used'],
  ])('%s', (input, expected) => {
    expect(maskSecretsInString(input)).toBe(expected);
  });

  it('leaves text without credentials alone', () => {
    for (const text of [
      'postgres://postgres@127.0.0.1:5432/aegis',
      'https://api.openai.com/v1',
      'password authentication failed for user "aegis"',
      'used 120 tokens',
    ]) {
      expect(maskSecretsInString(text)).toBe(text);
    }
  });

  it('masks exact secret values of 6 characters or more', () => {
    expect(maskSecretsInString('x my-secret-v y', ['my-secret-v', 'abc'])).toBe('x *** y');
  });
});
