import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, createApiHarness } from './test-support/api-harness.ts';

describe('CORS allowlist and security headers', () => {
  let withCors: ApiHarness;
  let withoutCors: ApiHarness;
  beforeAll(async () => {
    [withCors, withoutCors] = await Promise.all([
      createApiHarness({ env: { ALLOWED_ORIGINS: 'https://ui.example.com' } }),
      createApiHarness(),
    ]);
  });
  afterAll(async () => {
    await Promise.all([withCors?.close(), withoutCors?.close()]);
  });

  it('answers preflights and sets Access-Control-Allow-Origin only for allowed origins', async () => {
    const preflight = await withCors.app.inject({
      method: 'OPTIONS',
      url: '/v1/documents',
      headers: {
        origin: 'https://ui.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    const key = await withCors.key(['read']);
    const allowed = await withCors.app.inject({
      url: '/v1/documents',
      headers: { origin: 'https://ui.example.com', 'x-api-key': key },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://ui.example.com');
    const foreign = await withCors.app.inject({
      url: '/v1/documents',
      headers: { origin: 'https://evil.example.com', 'x-api-key': key },
    });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    // The preflight route the CORS plugin adds is public (browsers send no credentials on preflights).
    expect(withCors.app.registeredRoutes).toContainEqual({ method: 'OPTIONS', url: '*', access: 'public' });
  });

  it('sends no CORS headers at all when no origins are configured', async () => {
    const response = await withoutCors.app.inject({
      url: '/healthz',
      headers: { origin: 'https://ui.example.com' },
    });
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
    expect(withoutCors.app.registeredRoutes.some((route) => route.method === 'OPTIONS')).toBe(false);
  });

  it('sets security headers, with a CSP that lets Bull Board and the login form work', async () => {
    const health = await withoutCors.app.inject({ url: '/healthz' });
    expect(health.headers['x-content-type-options']).toBe('nosniff');
    expect(health.headers['content-security-policy']).toContain("script-src 'self'");
    expect(health.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const login = await withoutCors.app.inject({ url: '/admin/login' });
    expect(login.headers['content-security-policy']).toContain("form-action 'self'");
    const admin = await withoutCors.key(['admin']);
    const board = await withoutCors.app.inject({ url: '/admin/queues', headers: { 'x-api-key': admin } });
    expect(board.statusCode).toBe(200);
    expect(board.headers['content-security-policy']).toContain("style-src 'self' 'unsafe-inline'");
    expect(board.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });
});
