import { isAegisError } from '@aegis/core';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';
import { secretWeaknesses } from './secret-strength.ts';

const GOOD = {
  ENVIRONMENT: 'production',
  API_KEY_PEPPER: 'q8Zt3vLx9PwN2sKe7YbR4mHc6JdF1gUa',
  SESSION_SECRET: 'Vn5Rk2Qw8Ez4Ty7Ui1Op3As6Df9Gh0Jk',
  METRICS_TOKEN: '7f3a9c1e5b2d8f4a6c0e1b3d',
  GRAPH_STORE: 'neo4j',
  NEO4J_URI: 'neo4j+s://graph.internal:7687',
  NEO4J_PASSWORD: 'x7Kp2Mv9Qr4Wn',
  ALLOWED_ORIGINS: 'https://admin.example.com,https://app.example.com:8443',
};

function failure(env: Record<string, string | undefined>): { message: string; problems: string[] } {
  try {
    loadConfig(env);
  } catch (error) {
    if (isAegisError(error, 'CONFIG_INVALID')) {
      return { message: error.message, problems: error.details.problems as string[] };
    }
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}

const keysOf = (problems: string[]): string[] => problems.map((p) => p.split(':')[0] ?? '');

describe('production validation', () => {
  it('accepts a complete, strong production env', () => {
    const config = loadConfig(GOOD);
    expect(config.isProduction).toBe(true);
    expect(config.api.allowedOrigins).toEqual(['https://admin.example.com', 'https://app.example.com:8443']);
  });

  it('lists every missing secret at once, with how to fix it', () => {
    const { problems } = failure({
      ENVIRONMENT: 'production',
      GRAPH_STORE: 'neo4j',
      NEO4J_URI: GOOD.NEO4J_URI,
    });
    expect(keysOf(problems).sort()).toEqual(
      ['ALLOWED_ORIGINS', 'API_KEY_PEPPER', 'METRICS_TOKEN', 'NEO4J_PASSWORD', 'SESSION_SECRET'].sort(),
    );
    expect(problems.find((p) => p.startsWith('API_KEY_PEPPER'))).toContain('openssl rand');
  });

  it('does not require NEO4J_PASSWORD with the Postgres graph store', () => {
    const { NEO4J_PASSWORD: _p, NEO4J_URI: _u, ...rest } = GOOD;
    expect(loadConfig({ ...rest, GRAPH_STORE: 'postgres' }).graphStore.kind).toBe('postgres');
  });

  it('names each weak secret and never includes the secret values', () => {
    const weak = {
      API_KEY_PEPPER: 'changeme',
      SESSION_SECRET: 'a'.repeat(40),
      METRICS_TOKEN: 'abcabcabcabcabcabcabcabcabcabc',
      NEO4J_PASSWORD: '123456789012',
    };
    const { message, problems } = failure({ ...GOOD, ...weak });
    expect(keysOf(problems).sort()).toEqual(Object.keys(weak).sort());
    expect(problems).toHaveLength(4);
    for (const value of Object.values(weak)) {
      expect(message).not.toContain(value);
      expect(problems.join('\n')).not.toContain(value);
    }
    expect(problems.find((p) => p.startsWith('SESSION_SECRET'))).toContain('one repeated character');
    expect(problems.find((p) => p.startsWith('API_KEY_PEPPER'))).toContain('well-known default');
  });

  it('refuses a wildcard or malformed ALLOWED_ORIGINS in production', () => {
    expect(keysOf(failure({ ...GOOD, ALLOWED_ORIGINS: 'https://admin.example.com,*' }).problems)).toEqual([
      'ALLOWED_ORIGINS',
    ]);
    expect(keysOf(failure({ ...GOOD, ALLOWED_ORIGINS: 'admin.example.com' }).problems)).toEqual([
      'ALLOWED_ORIGINS',
    ]);
    expect(keysOf(failure({ ...GOOD, ALLOWED_ORIGINS: ' , ' }).problems)).toEqual(['ALLOWED_ORIGINS']);
  });

  it('reports schema errors and production problems together', () => {
    const { problems } = failure({ ...GOOD, API_PORT: 'eighty', SESSION_SECRET: undefined });
    expect(keysOf(problems)).toEqual(['API_PORT', 'SESSION_SECRET']);
  });

  it('accepts missing secrets outside production', () => {
    expect(() => loadConfig({ ENVIRONMENT: 'development' })).not.toThrow();
    expect(() =>
      loadConfig({ ENVIRONMENT: 'test', GRAPH_STORE: 'neo4j', NEO4J_URI: GOOD.NEO4J_URI }),
    ).not.toThrow();
  });
});

describe('secretWeaknesses', () => {
  it.each([
    ['password', 'a well-known default value'],
    ['12345678901234567890123456789012', 'a well-known default value'],
    ['zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz', 'one repeated character'],
    ['abababababababababababababababab', 'fewer than 8 distinct characters'],
    ['Xk9#', 'shorter than 32 characters'],
  ])('flags %s', (value, reason) => {
    expect(secretWeaknesses(value, 32)).toContain(reason);
  });

  it('accepts a random value', () => {
    expect(secretWeaknesses(GOOD.API_KEY_PEPPER, 32)).toEqual([]);
  });
});
