import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from './test-support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness({ env: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' } });
});
afterAll(async () => {
  await h?.close();
});

it('limits each key to RATE_LIMIT_MAX per window: 429 RATE_LIMITED with Retry-After', async () => {
  const first = await h.key(['read'], 'busy');
  const second = await h.key(['read'], 'quiet');
  const get = (key: string) =>
    h.app.inject({ url: '/v1/documents', headers: { authorization: `Bearer ${key}` } });
  for (let i = 0; i < 3; i++) expect((await get(first)).statusCode).toBe(200);
  const limited = await get(first);
  expect(limited.statusCode).toBe(429);
  expect(limited.json().error.code).toBe('RATE_LIMITED');
  const retryAfter = Number(limited.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60);
  // Counters are per key, and live in Redis under the queue prefix (shared by every API process).
  expect((await get(second)).statusCode).toBe(200);
  const keys = await h.redis.redis.keys(`${h.config.redis.queuePrefix}:rate-limit:*`);
  expect(keys.length).toBeGreaterThanOrEqual(2);
  // Liveness probes are never limited.
  for (let i = 0; i < 5; i++) expect((await h.app.inject({ url: '/healthz' })).statusCode).toBe(200);
});
