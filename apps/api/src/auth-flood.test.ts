import { randomBytes } from 'node:crypto';
import { createLogger } from '@aegis/observability';
import { type ApiKeyStore, createApiKeyStore } from '@aegis/stores';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { type ApiHarness, createApiHarness, TEST_PEPPER } from './test-support/api-harness.ts';

const MAX = 20;

/** A key of the right shape that exists nowhere: verifying it needs a database lookup. */
const guessedKey = () => `aegis_${randomBytes(4).toString('hex')}_${randomBytes(24).toString('hex')}`;

describe('failed authentication floods', () => {
  let h: ApiHarness;
  let app: FastifyInstance;
  // Key lookups (database queries) so far; requests run one at a time, so differences count per request.
  let lookups = 0;
  let valid: string;

  beforeAll(async () => {
    h = await createApiHarness({ env: { AUTH_FAILURE_MAX: String(MAX), AUTH_FAILURE_WINDOW_MS: '600000' } });
    const store = createApiKeyStore({ pool: h.db.pool, pepper: TEST_PEPPER });
    const counting: ApiKeyStore = {
      ...store,
      async verify(key) {
        lookups++;
        return store.verify(key);
      },
    };
    app = await buildApp({
      config: h.config,
      runtime: h.runtime,
      logger: createLogger({ level: 'silent' }),
      uploadTempDir: h.uploadDir,
      apiKeys: counting,
    });
    await app.ready();
    valid = (await store.create('flood-test', ['ingest', 'read'])).key;
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
  });

  const post = (ip: string, key: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/documents',
      remoteAddress: ip,
      headers: { 'x-api-key': key },
      payload: { path: '/nowhere' },
    });

  it('refuses an IP with 429 before any key lookup once it failed AUTH_FAILURE_MAX times, and audits the flood as one row', async () => {
    const ip = '203.0.113.7';
    const start = lookups;
    const statuses = new Map<number, number>();
    for (let index = 0; index < 1_000; index++) {
      const response = await post(ip, guessedKey());
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      if (response.statusCode === 429) {
        expect(response.json().error.code).toBe('RATE_LIMITED');
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: MAX, 429: 1_000 - MAX });
    expect(lookups - start).toBe(MAX);
    // Even the right key waits out the window from that address (no lookup: the address is refused first).
    expect((await post(ip, valid)).statusCode).toBe(429);
    expect(lookups - start).toBe(MAX);
    // Another address is not affected.
    const other = await app.inject({
      url: '/v1/documents',
      remoteAddress: '198.51.100.9',
      headers: { 'x-api-key': valid },
    });
    expect(other.statusCode).toBe(200);

    await app.auditDrain();
    const { rows } = await h.db.pool.query(`SELECT action, status, details FROM audit_log WHERE ip = $1`, [
      ip,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0].action).toBe('auth.refused');
    expect(rows[0].details.count).toBe(1_001);
    expect(rows[0].details.byStatus).toEqual({ '401 UNAUTHENTICATED': MAX, '429 RATE_LIMITED': 1_001 - MAX });
  });

  it('guards the login form the same way', async () => {
    const ip = '203.0.113.8';
    const start = lookups;
    const codes: number[] = [];
    for (let index = 0; index < 100; index++) {
      const response = await app.inject({
        method: 'POST',
        url: '/admin/login',
        remoteAddress: ip,
        payload: { apiKey: guessedKey() },
      });
      codes.push(response.statusCode);
    }
    expect(codes.filter((code) => code === 401)).toHaveLength(MAX);
    expect(codes.filter((code) => code === 429)).toHaveLength(100 - MAX);
    expect(lookups - start).toBe(MAX);
  });

  it('holds for any interleaving of addresses, good and guessed keys (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.boolean()), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        async (steps, run) => {
          const failures = new Map<string, number>();
          for (const [which, good] of steps) {
            const ip = `192.0.2.${(run % 80) * 3 + which}`;
            const before = lookups;
            const blocked = (failures.get(ip) ?? 0) >= MAX;
            const response = await post(ip, good ? valid : guessedKey());
            if (blocked) {
              expect(response.statusCode).toBe(429);
              expect(lookups).toBe(before);
            } else if (good) {
              expect(response.statusCode).not.toBe(401);
              expect(response.statusCode).not.toBe(429);
            } else {
              expect(response.statusCode).toBe(401);
              failures.set(ip, (failures.get(ip) ?? 0) + 1);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
