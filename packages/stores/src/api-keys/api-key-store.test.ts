import { createTestDatabase, type TestDatabase } from '@aegis/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasRole, parseApiKey } from './api-key-format.ts';
import { createApiKeyStore } from './api-key-store.ts';

describe('api key store', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('returns the plaintext once and stores only an HMAC of it', async () => {
    const store = createApiKeyStore({ pool: db.pool, pepper: 'p'.repeat(32) });
    const { key, record } = await store.create('ci', ['ingest', 'read']);
    expect(key).toMatch(/^aegis_[a-z0-9]{8}_[0-9a-f]{48}$/);
    expect(parseApiKey(key)?.id).toBe(record.id);
    const { rows } = await db.pool.query('SELECT * FROM api_keys');
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(key);
    expect(dump).not.toContain(key.slice(15));
    expect(await store.verify(key)).toEqual({ id: record.id, name: 'ci', roles: ['ingest', 'read'] });
  });

  it('refuses wrong secrets, other peppers, malformed and revoked keys', async () => {
    const store = createApiKeyStore({ pool: db.pool, pepper: 'p'.repeat(32) });
    const { key, record } = await store.create('ops', ['admin']);
    const flipped = `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`;
    expect(await store.verify(flipped)).toBeUndefined();
    expect(await store.verify('not-a-key')).toBeUndefined();
    expect(await createApiKeyStore({ pool: db.pool, pepper: 'q'.repeat(32) }).verify(key)).toBeUndefined();
    expect(await store.revoke(record.id)).toBe(true);
    expect(await store.revoke(record.id)).toBe(false);
    expect(await store.verify(key)).toBeUndefined();
    expect((await store.list()).find((listed) => listed.id === record.id)?.revokedAt).toBeInstanceOf(Date);
  });

  it('validates names and roles, and touches last_used_at', async () => {
    const store = createApiKeyStore({ pool: db.pool, pepper: 'p'.repeat(32), touchIntervalMs: 0 });
    await expect(store.create(' ', ['read'])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(store.create('x', [])).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const { record } = await store.create('reader', ['read']);
    expect(record.lastUsedAt).toBeNull();
    await store.touch(record.id);
    expect((await store.list()).find((listed) => listed.id === record.id)?.lastUsedAt).toBeInstanceOf(Date);
    expect(hasRole(['admin'], 'ingest')).toBe(true);
    expect(hasRole(['read'], 'ingest')).toBe(false);
  });
});
