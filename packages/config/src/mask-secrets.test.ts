import { describe, expect, it } from 'vitest';
import { loadConfig } from './load-config.ts';
import { maskSecrets, maskUrlCredentials, secretKeyNames } from './mask-secrets.ts';

describe('maskSecrets', () => {
  it('redacts secret fields and URL passwords, keeping everything else', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://aegis:db-pass-123@db:5432/aegis',
      REDIS_URL: 'redis://:redis-pass-456@cache:6379',
      OPENAI_API_KEY: 'sk-live-openai-789',
      NEO4J_PASSWORD: 'neo4j-pass-000',
      SESSION_SECRET: 'session-secret-value-abc',
    });
    const masked = maskSecrets(config);
    const text = JSON.stringify(masked);
    for (const secret of [
      'db-pass-123',
      'redis-pass-456',
      'sk-live-openai-789',
      'neo4j-pass-000',
      'session-secret',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(masked.database.url).toBe('postgres://aegis:***@db:5432/aegis');
    expect(masked.redis.url).toBe('redis://:***@cache:6379');
    expect(masked.llm.providers.openai.apiKey).toBe('[redacted]');
    expect(masked.llm.providers.groq.apiKey).toBeUndefined();
    expect(masked.api.port).toBe(8080);
    // The original is untouched.
    expect(config.llm.providers.openai.apiKey).toBe('sk-live-openai-789');
  });

  it('masks a flat env record by secret env names', () => {
    expect(maskSecrets({ OPENAI_API_KEY: 'sk-1', API_PORT: '1' })).toEqual({
      OPENAI_API_KEY: '[redacted]',
      API_PORT: '1',
    });
  });

  it('exposes key names for the logger', () => {
    expect(secretKeyNames()).toEqual(expect.arrayContaining(['OPENAI_API_KEY', 'apiKey', 'password']));
  });

  it('leaves URLs without a password alone', () => {
    expect(maskUrlCredentials('postgres://postgres@127.0.0.1:5432/aegis')).toBe(
      'postgres://postgres@127.0.0.1:5432/aegis',
    );
  });
});
