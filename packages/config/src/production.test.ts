import { randomBytes } from 'node:crypto';
import { isAegisError } from '@aegis/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';
import { PUBLISHED_SECRET_VALUES } from './published-secrets.ts';
import { secretWeaknesses } from './secret-strength.ts';

// Generated per run, as an operator would (`openssl rand`): a literal here would be a published secret.
const GOOD = {
  ENVIRONMENT: 'production',
  API_KEY_PEPPER: randomBytes(36).toString('base64'),
  SESSION_SECRET: randomBytes(36).toString('base64'),
  METRICS_TOKEN: randomBytes(24).toString('hex'),
  GRAPH_STORE: 'neo4j',
  NEO4J_URI: 'neo4j+s://graph.internal:7687',
  NEO4J_PASSWORD: randomBytes(12).toString('base64url'),
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

  it('refuses every value the repository publishes, for every secret, also inside a longer value', () => {
    for (const published of PUBLISHED_SECRET_VALUES) {
      for (const key of ['API_KEY_PEPPER', 'SESSION_SECRET', 'METRICS_TOKEN', 'NEO4J_PASSWORD']) {
        const { problems } = failure({ ...GOOD, [key]: published });
        expect(keysOf(problems), `${key}=${published}`).toContain(key);
      }
      expect(keysOf(failure({ ...GOOD, OPENAI_API_KEY: published }).problems)).toEqual(['OPENAI_API_KEY']);
      if (published.length >= 16) {
        const { problems } = failure({ ...GOOD, API_KEY_PEPPER: `${published}-${GOOD.API_KEY_PEPPER}` });
        expect(problems.join('\n')).toContain('published');
      }
    }
  });

  it('refuses one value used for several secrets, naming the keys and never the value', () => {
    const shared = randomBytes(36).toString('base64');
    const { problems, message } = failure({
      ...GOOD,
      API_KEY_PEPPER: shared,
      SESSION_SECRET: shared,
      METRICS_TOKEN: shared,
    });
    expect(keysOf(problems).sort()).toEqual(['API_KEY_PEPPER', 'METRICS_TOKEN', 'SESSION_SECRET']);
    expect(problems.find((p) => p.startsWith('SESSION_SECRET'))).toContain('API_KEY_PEPPER, METRICS_TOKEN');
    expect(message).not.toContain(shared);
    // A database password reused as the Neo4j password, even percent-encoded in the URL.
    const password = `${randomBytes(12).toString('base64url')}@/`;
    const reused = failure({
      ...GOOD,
      NEO4J_PASSWORD: password,
      DATABASE_URL: `postgres://aegis:${encodeURIComponent(password)}@db:5432/aegis`,
    });
    expect(keysOf(reused.problems).sort()).toEqual(['DATABASE_URL', 'NEO4J_PASSWORD']);
    expect(reused.message).not.toContain(password);
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

  it.each([
    ['abcdefghijklmnopqrstuvwxyz012345', 'mostly sequences'],
    ['qwertyuiopasdfgh'.repeat(2), 'a repeated pattern'],
    ['Summer2026!Summer2026!Summer2026', 'a repeated pattern'],
    ['aaaaaaaaaaaaaaaaaaaaaaabcdefghij', 'too predictable'],
    ['aegis-development-pepper-not-for-production', 'published'],
  ])('flags %s', (value, reason) => {
    expect(secretWeaknesses(value, 32).join('; ')).toContain(reason);
  });

  it('accepts what `openssl rand -base64 N` and `-hex N` give at the minimum length and above', () => {
    fc.assert(
      fc.property(fc.integer({ min: 24, max: 64 }), fc.boolean(), (bytes, hex) => {
        const value = randomBytes(bytes).toString(hex ? 'hex' : 'base64');
        expect(secretWeaknesses(value, 32)).toEqual([]);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 12, max: 48 }), (bytes) => {
        expect(secretWeaknesses(randomBytes(bytes).toString('hex'), 24)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});
